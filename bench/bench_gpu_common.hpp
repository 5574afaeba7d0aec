// bench_gpu's shared parts: host data helpers, one GPU case's variants and
// the Bench that times them, and the cases of each part (bench_gpu_gemm.cpp,
// bench_gpu_lstm.cpp, bench_gpu_attention.cpp). See bench_gpu.cpp for what
// each part measures.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bench_data.hpp"
#include "bench_gpu_direct.hpp"
#include "bench_harness.hpp"
#include "loom/loom.hpp"
#include "loom/sdk/dtype.hpp"

namespace loom::bench::gpu {

using loom::DType;
using loom::Tensor;

// ---- host data -------------------------------------------------------------

// `f32` in `dtype` (f32 or bf16) on the host; also rounds f32 itself to what
// the device holds, so host references use exactly the device's inputs.
inline Tensor in_dtype(Tensor& f32, DType dtype) {
  if (dtype == DType::f32) return f32;
  Tensor t = Tensor::host(DType::bf16, f32.shape());
  float* src = f32.data_as<float>();
  uint16_t* dst = t.data_as<uint16_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    dst[i] = loom::sdk::f32_to_bf16(src[i]);
    src[i] = loom::sdk::bf16_to_f32(dst[i]);
  }
  return t;
}

// A host tensor of f32 or bf16 as floats.
inline std::vector<float> as_floats(const Tensor& host) {
  std::vector<float> out(static_cast<size_t>(host.numel()));
  if (host.dtype() == DType::f32) {
    std::memcpy(out.data(), host.data(), out.size() * sizeof(float));
  } else if (host.dtype() == DType::bf16) {
    const uint16_t* p = host.data_as<uint16_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = loom::sdk::bf16_to_f32(p[i]);
  } else {
    throw std::runtime_error(std::string("unexpected dtype ") + loom::dtype_name(host.dtype()));
  }
  return out;
}

inline double max_abs(const std::vector<float>& a) {
  double m = 0;
  for (float v : a) m = std::max(m, static_cast<double>(std::fabs(v)));
  return m;
}

// Largest |a - b| (bench_data.hpp's rule: NaN gives infinity); infinity
// when the sizes differ.
inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  return loom::bench::max_abs_diff(a.data(), b.data(), static_cast<int64_t>(a.size()));
}

inline std::string num(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// ---- cases -----------------------------------------------------------------

// One variant of a GPU case: `enqueue` starts one operation, `wait` waits for
// everything it enqueued.
struct GpuVariant {
  std::string name;
  std::function<void()> enqueue;
  std::function<void()> wait;
  int baseline = 0;
};

struct Bench {
  loom::PluginManager& plugins;
  std::shared_ptr<loom::Backend> backend;
  const Direct& direct;
  loom::bench::Harness& harness;
  double inner_ms = 2.0;
  bool tf32 = false;
  std::vector<std::string> verdicts;
  int failures = 0;

  std::function<void()> loom_wait() {
    return [be = backend] { be->synchronize(); };
  }
  std::function<void()> direct_wait() {
    return [d = &direct] { d->sync(); };
  }

  // Times the variants; returns the result and how many operations one
  // timed call enqueued.
  std::pair<const loom::bench::CaseResult*, long> run(const std::string& name, double flops_per_op,
                                                      const std::vector<GpuVariant>& variants) {
    // Calibration: one operation of the first variant, after a warm-up one.
    const GpuVariant& first = variants.front();
    first.enqueue();
    first.wait();
    const auto t0 = std::chrono::steady_clock::now();
    first.enqueue();
    first.wait();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long inner = std::clamp(static_cast<long>(std::ceil(inner_ms * 1e-3 / std::max(s, 1e-9))), 1L, 1000L);

    loom::bench::Case c;
    c.name = name + " [x" + std::to_string(inner) + "]";
    c.flops = flops_per_op * static_cast<double>(inner);
    for (const GpuVariant& v : variants) {
      c.variants.push_back({v.name,
                            [enqueue = v.enqueue, wait = v.wait, inner] {
                              for (long k = 0; k < inner; ++k) enqueue();
                              wait();
                            },
                            v.baseline});
    }
    return {&harness.run(c), inner};
  }

  // Time per operation of variant i, for the summary.
  static std::string per_op(const loom::bench::CaseResult& r, size_t i, long inner) {
    return loom::bench::detail::format_time(r.variants[i].median_s / static_cast<double>(inner));
  }

  // Frees what the caching allocator keeps, so the next case has the GPU's memory.
  void release() {
    try {
      backend->synchronize();
      backend->release_cached();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_gpu: releasing cached memory: %s\n", e.what());
    }
  }

  bool require(bool ok, const std::string& what) {
    if (!ok) {
      std::fprintf(stderr, "bench_gpu: %s: results are wrong; not timing it\n", what.c_str());
      ++failures;
    }
    return ok;
  }
};

// ---- the parts' cases ------------------------------------------------------

// y = x W^T on x [tokens, d], W [4d, d]: cuBLAS direct vs Loom's matmul,
// packed matmul and linear layer.
void gemm_case(Bench& b, int64_t tokens, int64_t d, DType dtype);

// LSTM over T steps, batch N, hidden H: one cuDNN call vs a per-step loop.
void lstm_case(Bench& b, int64_t T, int64_t N, int64_t H);

// A layer (transformer_encoder_layer or multihead_attention) on x [1, n, 512]
// with block_size 128 and = n.
void layer_case(Bench& b, const std::string& type, int64_t n);

// softmax(Q K^T / sqrt(64)) V for 8 heads of n positions.
void core_case(Bench& b, int64_t n, DType dtype);

}  // namespace loom::bench::gpu
