// Kernels of rnn_cell_kernels.hpp. Packing is generic code; everything after
// the target pragma is compiled for AVX-512F: keep it free of standard-library
// templates (see the header).
#include "rnn_cell_kernels.hpp"

#include <immintrin.h>

#include "loom/abi/backend.h"

namespace loom::onednn::cell_kernels {

// Packing runs in generic code; only block_step below is AVX-512.
namespace {
int gate_count(int32_t cell) { return cell == LOOM_RNN_LSTM ? 4 : cell == LOOM_RNN_GRU ? 3 : 1; }
}  // namespace

int64_t StepShape::cols() const { return gate_count(cell) * units; }

StepShape step_shape(int32_t cell, int64_t hidden) {
  StepShape s;
  s.cell = cell;
  s.hidden = hidden;
  s.units = cell == LOOM_RNN_LSTM || cell == LOOM_RNN_GRU ? 32 : 128;
  s.blocks = (hidden + s.units - 1) / s.units;
  return s;
}

size_t panel_floats(const StepShape& s) { return static_cast<size_t>(s.blocks * s.hidden * s.cols()); }

void pack_panels(const StepShape& s, const float* w_iter, float* panels) {
  const int64_t g_n = gate_count(s.cell), h = s.hidden, cols = s.cols();
  for (int64_t b = 0; b < s.blocks; ++b)
    for (int64_t j = 0; j < h; ++j) {
      float* row = panels + (b * h + j) * cols;
      for (int64_t g = 0; g < g_n; ++g)
        for (int64_t u = 0; u < s.units; ++u) {
          const int64_t unit = b * s.units + u;
          row[g * s.units + u] = unit < h ? w_iter[(j * g_n + g) * h + unit] : 0.0f;
        }
    }
}

}  // namespace loom::onednn::cell_kernels

#pragma GCC push_options
#pragma GCC target("avx512f")
// GCC 12 reports the deliberately undefined pass-through operand inside its
// own unmasked AVX-512 intrinsics (_mm512_undefined_ps) as uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace loom::onednn::cell_kernels {

namespace {

constexpr int kLanes = 16;

// e^x to ~1 ulp over the float range: x = n ln2 + r, |r| <= ln2 / 2, a
// degree-7 Taylor polynomial for e^r (truncation error < 3e-9 relative),
// then 2^n by scalef.
inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);  // ln2 split in two for accuracy
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

inline __m512 sigmoid_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// tanh |x| = (1 - t) / (1 + t) with t = e^(-2|x|) in (0, 1]: no overflow,
// absolute error ~1e-7 near 0; the sign is put back afterwards.
inline __m512 tanh_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  const __m512i bits = _mm512_castps_si512(x);
  const __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sign_bit, bits));
  const __m512 t = exp_ps(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
  const __m512 y = _mm512_div_ps(_mm512_sub_ps(one, t), _mm512_add_ps(one, t));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), _mm512_and_si512(sign_bit, bits)));
}

// out[0 .. 16K) = h[0 .. rows) . panel, the panel [rows][16K] row-major.
template <int K>
void panel_gemv(const float* panel, const float* h, int64_t rows, float* out) {
  __m512 acc[K];
  for (int k = 0; k < K; ++k) acc[k] = _mm512_setzero_ps();
  for (int64_t j = 0; j < rows; ++j) {
    const __m512 hj = _mm512_set1_ps(h[j]);
    const float* row = panel + j * (K * kLanes);
    for (int k = 0; k < K; ++k) acc[k] = _mm512_fmadd_ps(hj, _mm512_loadu_ps(row + k * kLanes), acc[k]);
  }
  for (int k = 0; k < K; ++k) _mm512_storeu_ps(out + k * kLanes, acc[k]);
}

__mmask16 lanes_below(int64_t first, int64_t limit) {
  const int64_t valid = limit - first;
  if (valid >= kLanes) return static_cast<__mmask16>(0xFFFF);
  return valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1u);
}

}  // namespace

void block_step(const StepShape& s, int64_t b, const float* panels, const float* h_prev, const float* x_gates,
                const float* b_hn, float* c, float* h_out) {
  alignas(64) float gh[128];
  const int64_t h = s.hidden, cols = s.cols();
  const float* panel = panels + b * h * cols;
  if (cols == 128)
    panel_gemv<8>(panel, h_prev, h, gh);
  else
    panel_gemv<6>(panel, h_prev, h, gh);

  for (int64_t v = 0; v < s.units; v += kLanes) {
    const int64_t unit = b * s.units + v;
    const __mmask16 m = lanes_below(unit, h);
    if (!m) break;
    // Gate g of these 16 units: the input part plus the recurrent part.
    auto gate = [&](int g) {
      return _mm512_add_ps(_mm512_maskz_loadu_ps(m, x_gates + g * h + unit), _mm512_load_ps(gh + g * s.units + v));
    };
    __m512 h_new;
    if (s.cell == LOOM_RNN_LSTM) {  // oneDNN order i, f, c~, o
      const __m512 i = sigmoid_ps(gate(0)), f = sigmoid_ps(gate(1)), cc = tanh_ps(gate(2)), o = sigmoid_ps(gate(3));
      const __m512 c_new = _mm512_fmadd_ps(f, _mm512_maskz_loadu_ps(m, c + unit), _mm512_mul_ps(i, cc));
      _mm512_mask_storeu_ps(c + unit, m, c_new);
      h_new = _mm512_mul_ps(o, tanh_ps(c_new));
    } else if (s.cell == LOOM_RNN_GRU) {  // oneDNN order u (PyTorch z), r, o (PyTorch n)
      const __m512 z = sigmoid_ps(gate(0)), r = sigmoid_ps(gate(1));
      const __m512 hn = _mm512_add_ps(_mm512_load_ps(gh + 2 * s.units + v), _mm512_maskz_loadu_ps(m, b_hn + unit));
      const __m512 n = tanh_ps(_mm512_fmadd_ps(r, hn, _mm512_maskz_loadu_ps(m, x_gates + 2 * h + unit)));
      const __m512 hp = _mm512_maskz_loadu_ps(m, h_prev + unit);
      h_new = _mm512_fmadd_ps(z, _mm512_sub_ps(hp, n), n);  // z h + (1 - z) n
    } else if (s.cell == LOOM_RNN_RELU) {
      h_new = _mm512_max_ps(gate(0), _mm512_setzero_ps());
    } else {
      h_new = tanh_ps(gate(0));
    }
    _mm512_mask_storeu_ps(h_out + unit, m, h_new);
  }
}

}  // namespace loom::onednn::cell_kernels

#pragma GCC diagnostic pop
#pragma GCC pop_options
