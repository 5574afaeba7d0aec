#include "rnn_small_batch.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "primitive_cache.hpp"
#include "rnn_cell_kernels.hpp"

namespace loom::onednn {

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
namespace ck = cell_kernels;

int64_t bias_gates(const sdk::RnnArgs& a) { return a.cell == LOOM_RNN_GRU ? 4 : a.gates(); }

// The recurrent panels of every (layer, direction), made on first use from
// the plain ldigo weights.
void ensure_panels(OpContext& ctx, const PackedRnn& p) {
  std::call_once(p.panels_once, [&] {
    const sdk::RnnArgs& a = p.args;
    const int64_t d_n = a.dirs(), h = a.hidden_size, g_n = a.gates();
    const ck::StepShape s = ck::step_shape(a.cell, h);
    std::vector<AlignedBuffer> made;
    for (int l = 0; l < a.num_layers; ++l) {
      const Segment& seg = p.segment_of(l);
      const dnnl::memory::desc plain({seg.layers, d_n, h, g_n, h}, dt::f32, tag::ldigo);
      const dnnl::memory w = seg.w_iter.get(ctx, plain);
      const float* base = static_cast<const float*>(w.get_data_handle());
      for (int64_t d = 0; d < d_n; ++d) {
        AlignedBuffer buf(ck::panel_floats(s) * sizeof(float));
        ck::pack_panels(s, base + ((l - seg.first) * d_n + d) * h * g_n * h, static_cast<float*>(buf.data()));
        made.push_back(std::move(buf));
      }
    }
    p.panels = std::move(made);
  });
}

// x_gates[T, G*H] = src[T, in] . w[in, G*H] + bias[G*H], one cached matmul.
void input_projection(OpContext& ctx, const float* src, int64_t t, int64_t in, const float* w, const float* bias,
                      int64_t gh, float* x_gates) {
  using md = dnnl::memory::desc;
  const md src_md({t, in}, dt::f32, tag::ab), w_md({in, gh}, dt::f32, tag::ab), b_md({1, gh}, dt::f32, tag::ab),
      dst_md({t, gh}, dt::f32, tag::ab);
  Key key = ctx.key("rnn_small_batch_projection");
  key.add(t).add(in).add(gh);
  auto prim = ctx.runtime().cache.get(key, [&] {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, w_md, b_md, dst_md), attr, ctx.engine());
    return make_primitive<dnnl::matmul>(pd);
  });
  ctx.execute(*prim, {{DNNL_ARG_SRC, ctx.mem(src_md, src)},
                      {DNNL_ARG_WEIGHTS, ctx.mem(w_md, w)},
                      {DNNL_ARG_BIAS, ctx.mem(b_md, bias)},
                      {DNNL_ARG_DST, ctx.mem(dst_md, x_gates)}});
}

// Row r of a [rows, 1, H] state, strided or not.
void read_state(const sdk::View& v, int64_t r, int64_t h, float* out) {
  const float* p = v.data_as<const float>() + r * v.stride(0);
  for (int64_t u = 0; u < h; ++u) out[u] = p[u * v.stride(2)];
}
void write_state(const sdk::View& v, int64_t r, int64_t h, const float* in) {
  float* p = v.data_as<float>() + r * v.stride(0);
  for (int64_t u = 0; u < h; ++u) p[u * v.stride(2)] = in[u];
}

// One direction of one layer: out[t * ld + u] = h_t[u]. Each thread owns
// the same blocks of units at every step, so its slice of the panels stays
// in its own cache; one barrier per step publishes h_t.
void recur(const ck::StepShape& s, const float* panels, const float* x_gates, const float* b_hn, int64_t t_n,
           bool reverse, const float* h_init, float* c, float* out, int64_t ld, int threads) {
  const int64_t gh = s.cols() / s.units * s.hidden;
  const int nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, s.blocks)));
#pragma omp parallel num_threads(nt)
  {
    const int64_t tid = omp_get_thread_num(), nth = omp_get_num_threads();
    const int64_t b0 = tid * s.blocks / nth, b1 = (tid + 1) * s.blocks / nth;
    const float* h_prev = h_init;
    for (int64_t step = 0; step < t_n; ++step) {
      const int64_t t = reverse ? t_n - 1 - step : step;
      float* h_out = out + t * ld;
      for (int64_t b = b0; b < b1; ++b) ck::block_step(s, b, panels, h_prev, x_gates + t * gh, b_hn, c, h_out);
#pragma omp barrier
      h_prev = h_out;
    }
  }
}

}  // namespace

bool use_small_batch_rnn(int64_t batch) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return batch == 1 && avx512;
}

void small_batch_rnn_forward(OpContext& ctx, const PackedRnn& packed, const float* src, int64_t t,
                             const sdk::View* h0, const sdk::View* c0, float* dst, const sdk::View* hn,
                             const sdk::View* cn) {
  ensure_panels(ctx, packed);
  const sdk::RnnArgs& a = packed.args;
  const int64_t d_n = a.dirs(), h = a.hidden_size, g_n = a.gates(), gh = g_n * h, width = d_n * h;
  const ck::StepShape s = ck::step_shape(a.cell, h);
  auto* x_gates = static_cast<float*>(ctx.temp(static_cast<size_t>(t * gh) * sizeof(float)));
  auto* h_init = static_cast<float*>(ctx.temp(static_cast<size_t>(h) * sizeof(float)));
  auto* c = static_cast<float*>(ctx.temp(static_cast<size_t>(h) * sizeof(float)));

  const float* in = src;
  int64_t in_size = a.input_size;
  for (int l = 0; l < a.num_layers; ++l) {
    const Segment& seg = packed.segment_of(l);
    const int64_t local = l - seg.first;
    const dnnl::memory::desc plain({seg.layers, d_n, seg.input, g_n, h}, dt::f32, tag::ldigo);
    const dnnl::memory w_layer = seg.w_layer.get(ctx, plain);
    const float* w_base = static_cast<const float*>(w_layer.get_data_handle());
    const float* b_base = static_cast<const float*>(seg.bias.get_data_handle());
    const bool last = l + 1 == a.num_layers;
    float* out = last ? dst : static_cast<float*>(ctx.temp(static_cast<size_t>(t * width) * sizeof(float)));
    for (int64_t d = 0; d < d_n; ++d) {
      const int64_t row = l * d_n + d, ld_index = local * d_n + d;
      const float* bias = b_base + ld_index * bias_gates(a) * h;
      input_projection(ctx, in, t, in_size, w_base + ld_index * in_size * gh, bias, gh, x_gates);
      if (h0) read_state(*h0, row, h, h_init); else std::memset(h_init, 0, static_cast<size_t>(h) * sizeof(float));
      if (c0) read_state(*c0, row, h, c); else std::memset(c, 0, static_cast<size_t>(h) * sizeof(float));
      const float* b_hn = a.cell == LOOM_RNN_GRU ? bias + 3 * h : nullptr;
      const bool reverse = d == 1;
      recur(s, static_cast<const float*>(packed.panels[static_cast<size_t>(row)].data()), x_gates, b_hn, t, reverse,
            h_init, c, out + d * h, width, static_cast<int>(ctx.threads()));
      if (hn) write_state(*hn, row, h, out + (reverse ? 0 : t - 1) * width + d * h);
      if (cn) write_state(*cn, row, h, c);
    }
    in = out;
    in_size = width;
  }
}

}  // namespace loom::onednn
