// bench_gpu: Loom on the cudnn backend (an NVIDIA GPU) against cuBLAS called
// directly, LSTM over a whole sequence against a per-step loop, and the
// transformer encoder layer and attention at n = 512 .. 16384.
//
// How to run (plugins are found next to libloom-core; scripts/gpu-check.sh
// runs it on the GPU machine, see docs/gpu.md):
//
//   build/bin/bench_gpu --rounds 9 --json gpu.json
//   build/bin/bench_gpu --part gemm --tf32
//   build/bin/bench_gpu --part attention --max-seq 4096
//
// Without a usable GPU it prints "bench_gpu: skipped: <why>" and exits 0.
//
// Timing: GPU work is asynchronous, so each timed call enqueues `inner`
// operations and then waits once (the stream's synchronize), as a model
// enqueues many ops and waits at the end. `inner` is chosen per case so that
// one timed call does about --inner-ms of work of the first variant; the
// case's name says it ("[x20]") and its time/call and GFLOP/s are per timed
// call; the summary gives time per operation. Variants are interleaved, the
// median of --rounds rounds is reported (bench_harness.hpp).
//
// Parts:
//  gemm       y = x W^T on [tokens, d] x [d, 4d], d = 512 and 1024, tokens
//             128 .. 8192, f32 and bf16:
//               A direct cuBLAS   cublasGemmEx (weights [4d, d] as nn.Linear)
//               B loom matmul     Backend::matmul, transpose_b
//               C loom packed     Backend::matmul_packed (weights packed once)
//             f32 also: D direct cuBLASLt with the bias fused (epilogue) and
//               E loom linear     the basic-layers `linear` layer with bias.
//             Target (issue 10): B, C >= 0.95 x A and E >= 0.95 x D.
//  lstm       T = 128, N = 1 and 32, H = 512 and 1024 (input size H), f32:
//               A loom sequence   Backend::rnn_forward over all T steps (cuDNN)
//               B loom step loop  T calls of rnn_forward with T = 1, h/c carried
//               C lstm layer      the recurrent plugin's lstm, whole sequence
//               D layer steps     the lstm layer in step mode, T calls
//             Target: A >= 5 x B (and C >= 5 x D).
//  attention  batch 1, d_model 512, 8 heads, n = 512 .. 16384 (--max-seq):
//             transformer_encoder_layer (ff 2048) and multihead_attention in
//             f32, each with block_size 128 (the default) and = n; and the
//             attention core softmax(Q K^T / sqrt(64)) V per head in bf16 and
//             f32: A loom core (matmul, softmax, matmul through the backend),
//             B loom matmuls only (Q K^T and S V), C direct cuBLAS
//             (strided-batched GEMMs for the same two products).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_gpu_direct.hpp"
#include "bench_harness.hpp"
#include "loom/loom.hpp"

namespace {

constexpr const char* kHelp =
    "GPU options:\n"
    "  --part P        gemm, lstm or attention; repeatable; default all three\n"
    "  --max-seq N     longest attention sequence (default 16384; 512, 1024, ... up to N)\n"
    "  --tf32          let f32 GEMMs use TF32 (the backend's tf32 option and the direct calls alike)\n"
    "  --device N      CUDA device index (default 0)\n"
    "  --inner-ms MS   GPU work per timed call, in ms of the first variant (default 2)\n"
    "  --plugin-dir D  search D for plugins before the default folders\n";

using loom::DType;
using loom::Tensor;
using loom::bench::gpu::Direct;

// ---- host data -------------------------------------------------------------

uint16_t to_bf16(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

float from_bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f = 0;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

Tensor random_f32(const loom::Shape& shape, uint64_t seed, float scale) {
  Tensor t = Tensor::host(DType::f32, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// `f32` in `dtype` (f32 or bf16) on the host; also rounds f32 itself to what
// the device holds, so host references use exactly the device's inputs.
Tensor in_dtype(Tensor& f32, DType dtype) {
  if (dtype == DType::f32) return f32;
  Tensor t = Tensor::host(DType::bf16, f32.shape());
  float* src = f32.data_as<float>();
  uint16_t* dst = t.data_as<uint16_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    dst[i] = to_bf16(src[i]);
    src[i] = from_bf16(dst[i]);
  }
  return t;
}

// A host tensor of f32 or bf16 as floats.
std::vector<float> as_floats(const Tensor& host) {
  std::vector<float> out(static_cast<size_t>(host.numel()));
  if (host.dtype() == DType::f32) {
    std::memcpy(out.data(), host.data(), out.size() * sizeof(float));
  } else if (host.dtype() == DType::bf16) {
    const uint16_t* p = host.data_as<uint16_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = from_bf16(p[i]);
  } else {
    throw std::runtime_error(std::string("unexpected dtype ") + loom::dtype_name(host.dtype()));
  }
  return out;
}

double max_abs(const std::vector<float>& a) {
  double m = 0;
  for (float v : a) m = std::max(m, static_cast<double>(std::fabs(v)));
  return m;
}

// Largest |a - b|; NaN anywhere gives infinity, so a check against it fails.
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (!(d <= m)) m = std::isnan(d) ? INFINITY : d;
  }
  return m;
}

std::string num(const char* format, double v) {
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

// ---- gemm ------------------------------------------------------------------

void gemm_case(Bench& b, int64_t tokens, int64_t d, DType dtype) {
  const int64_t M = tokens, K = d, N = 4 * d;
  const bool bf16 = dtype == DType::bf16;
  const std::string name = std::string("gemm ") + loom::dtype_name(dtype) + " x[" + std::to_string(M) + ", " +
                           std::to_string(K) + "] W^T[" + std::to_string(K) + ", " + std::to_string(N) + "]";
  auto& be = b.backend;

  Tensor x32 = random_f32({M, K}, 100 + static_cast<uint64_t>(M + K), 1.0f);
  Tensor w32 = random_f32({N, K}, 200 + static_cast<uint64_t>(K), 1.0f / std::sqrt(static_cast<float>(K)));
  Tensor bias = random_f32({N}, 300 + static_cast<uint64_t>(K), 0.1f);
  const Tensor x = be->upload(in_dtype(x32, dtype)), w = be->upload(in_dtype(w32, dtype));
  const Tensor bias_dev = be->upload(bias);
  Tensor y_a = be->empty(dtype, {M, N}), y_b = be->empty(dtype, {M, N}), y_c = be->empty(dtype, {M, N});
  loom::MatmulOptions mo;
  mo.transpose_b = true;
  // matmul_pack may refuse a dtype (LOOM_ERR_UNSUPPORTED): then no C.
  loom::Backend::Packed packed;
  try {
    packed = be->matmul_pack(w, /*transpose_b=*/true);
  } catch (const loom::Unsupported& e) {
    std::printf("%s: no C (loom packed): %s\n", name.c_str(), e.what());
  }
  be->synchronize();

  // Results once, checked before timing: A against the host on sampled
  // entries (bound: a multiple of sum_k |x w|), B and C against A.
  b.direct.gemm_nt(M, K, N, x.data(), w.data(), y_a.data(), bf16);
  b.direct.sync();
  be->matmul(x, w, nullptr, y_b, mo);
  if (packed) be->matmul_packed(x, packed, nullptr, y_c);
  const std::vector<float> ra = as_floats(be->download(y_a)), rb = as_floats(be->download(y_b));
  const std::vector<float> rc = packed ? as_floats(be->download(y_c)) : ra;
  const float* hx = x32.data_as<float>();
  const float* hw = w32.data_as<float>();
  const double rel = bf16 ? 1e-2 : (b.tf32 ? 5e-3 : 1e-4);
  double worst_host = 0;  // |error| / bound over the samples
  std::mt19937_64 pick(7);
  for (int s = 0; s < 64; ++s) {
    const int64_t i = static_cast<int64_t>(pick() % static_cast<uint64_t>(M));
    const int64_t j = static_cast<int64_t>(pick() % static_cast<uint64_t>(N));
    double dot = 0, bound = 0;
    for (int64_t k = 0; k < K; ++k) {
      dot += static_cast<double>(hx[i * K + k]) * hw[j * K + k];
      bound += std::fabs(static_cast<double>(hx[i * K + k]) * hw[j * K + k]);
    }
    const double err = std::fabs(ra[static_cast<size_t>(i * N + j)] - dot) / (rel * bound + 1e-12);
    worst_host = std::max(worst_host, std::isnan(err) ? INFINITY : err);
  }
  const double tol = (bf16 ? 2e-2 : rel * std::sqrt(static_cast<double>(K))) * std::max(1.0, max_abs(ra));
  const double db = max_abs_diff(ra, rb), dc = max_abs_diff(ra, rc);
  std::printf("%s: A vs host %.2f of its bound; max |diff| vs A: B %.2e, C %.2e (tolerance %.2e)\n", name.c_str(),
              worst_host, db, dc, tol);
  if (!b.require(worst_host <= 1.0 && db <= tol && dc <= tol, name)) return;

  std::vector<GpuVariant> variants = {
      {"A direct cuBLAS", [&] { b.direct.gemm_nt(M, K, N, x.data(), w.data(), y_a.data(), bf16); }, b.direct_wait(), 0},
      {"B loom matmul", [&] { be->matmul(x, w, nullptr, y_b, mo); }, b.loom_wait(), 0},
  };
  const int c_index = packed ? static_cast<int>(variants.size()) : -1;
  if (packed) variants.push_back({"C loom packed", [&] { be->matmul_packed(x, packed, nullptr, y_c); }, b.loom_wait(), 0});

  // f32: nn.Linear with its bias, the layer against cuBLASLt's fused bias.
  std::unique_ptr<loom::bench::gpu::LtLinear> lt;
  std::unique_ptr<loom::Layer> linear;
  Tensor y_d, y_e;
  loom::MemoryWeights weights;
  int e_index = -1;
  if (!bf16) {
    y_d = be->empty(dtype, {M, N});
    lt = std::make_unique<loom::bench::gpu::LtLinear>(b.direct, M, K, N, x.data(), w.data(),
                                                      static_cast<const float*>(bias_dev.data()), y_d.data());
    weights.add("weight", w32);
    weights.add("bias", bias);
    linear = b.plugins.create_layer("linear", be,
                                    {{"in_features", std::to_string(K)}, {"out_features", std::to_string(N)},
                                     {"bias", "true"}},
                                    &weights, "bench_linear");
    lt->run();
    b.direct.sync();
    y_e = linear->forward(x);
    const std::vector<float> rd = as_floats(be->download(y_d)), re = as_floats(be->download(y_e));
    std::vector<float> ra_bias = ra;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) ra_bias[static_cast<size_t>(i * N + j)] += bias.data_as<float>()[j];
    const double dd = max_abs_diff(ra_bias, rd), de = max_abs_diff(rd, re);
    std::printf("%s + bias: max |diff|: D vs A + bias %.2e, E vs D %.2e (tolerance %.2e)\n", name.c_str(), dd, de, tol);
    if (!b.require(dd <= tol && de <= tol, name + " + bias")) return;
    const int d_index = static_cast<int>(variants.size());
    variants.push_back({"D direct cuBLASLt+bias", [&] { lt->run(); }, b.direct_wait(), d_index});
    e_index = d_index + 1;
    variants.push_back({"E loom linear+bias", [&] { y_e = linear->forward(x); }, b.loom_wait(), d_index});
  }

  const auto [r, inner] = b.run(name, 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K),
                                variants);
  const loom::bench::CaseResult* res = r;
  const auto ratio = [res](int i) { return res->variants[static_cast<size_t>(i)].ratio_vs_baseline; };
  double worst = ratio(1);
  std::string v = name + ": direct " + Bench::per_op(*r, 0, inner) + "/op; matmul " + num("%.3f", ratio(1)) + " x";
  if (c_index >= 0) {
    worst = std::min(worst, ratio(c_index));
    v += ", packed " + num("%.3f", ratio(c_index)) + " x";
  } else {
    v += ", packed: unsupported";
  }
  if (e_index >= 0) {
    worst = std::min(worst, ratio(e_index));
    v += ", linear " + num("%.3f", ratio(e_index)) + " x direct+bias";
  }
  v += std::string(" (target >= 0.95: ") + (worst >= 0.95 ? "met" : "NOT met") + ")";
  b.verdicts.push_back(v);
}

// ---- lstm ------------------------------------------------------------------

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// torch.nn.LSTM for sequence 0 of the batch, in double: output [T, H] and
// the final h, c. Gates i, f, g, o.
void host_lstm(const float* x, int64_t T, int64_t N, int64_t I, int64_t H, const float* w_ih, const float* w_hh,
               const float* b_ih, const float* b_hh, const float* h0, const float* c0, std::vector<double>& out,
               std::vector<double>& h, std::vector<double>& c) {
  h.assign(h0, h0 + H);  // sequence 0's rows of h0 [1, N, H] / c0
  c.assign(c0, c0 + H);
  out.assign(static_cast<size_t>(T * H), 0.0);
  std::vector<double> gates(static_cast<size_t>(4 * H));
  for (int64_t t = 0; t < T; ++t) {
    const float* xt = x + t * N * I;
    for (int64_t r = 0; r < 4 * H; ++r) {
      double g = static_cast<double>(b_ih[r]) + b_hh[r];
      for (int64_t k = 0; k < I; ++k) g += static_cast<double>(w_ih[r * I + k]) * xt[k];
      for (int64_t k = 0; k < H; ++k) g += static_cast<double>(w_hh[r * H + k]) * h[static_cast<size_t>(k)];
      gates[static_cast<size_t>(r)] = g;
    }
    for (int64_t u = 0; u < H; ++u) {
      const size_t su = static_cast<size_t>(u);
      const double ig = sigmoid(gates[su]), fg = sigmoid(gates[su + static_cast<size_t>(H)]);
      const double gg = std::tanh(gates[su + static_cast<size_t>(2 * H)]);
      const double og = sigmoid(gates[su + static_cast<size_t>(3 * H)]);
      c[su] = fg * c[su] + ig * gg;
      h[su] = og * std::tanh(c[su]);
      out[static_cast<size_t>(t * H + u)] = h[su];
    }
  }
}

// Largest |device - host| over sequence 0 (device tensors [.., N, H] with
// `steps` leading rows of N * H).
double diff_seq0(const std::vector<float>& dev, const std::vector<double>& host, int64_t steps, int64_t N, int64_t H) {
  double m = 0;
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t u = 0; u < H; ++u) {
      const double d = std::fabs(dev[static_cast<size_t>(t * N * H + u)] - host[static_cast<size_t>(t * H + u)]);
      m = std::isnan(d) ? INFINITY : std::max(m, d);
    }
  return m;
}

void lstm_case(Bench& b, int64_t T, int64_t N, int64_t H) {
  const int64_t I = H, G = 4;
  const std::string name = "lstm T=" + std::to_string(T) + " N=" + std::to_string(N) + " " + std::to_string(I) +
                           "->" + std::to_string(H) + " f32";
  auto& be = b.backend;
  const float k = 1.0f / std::sqrt(static_cast<float>(H));  // torch's init range
  const uint64_t seed = 1000 + static_cast<uint64_t>(N * 7 + H);
  Tensor w_ih = random_f32({G * H, I}, seed + 1, k), w_hh = random_f32({G * H, H}, seed + 2, k);
  Tensor b_ih = random_f32({G * H}, seed + 3, k), b_hh = random_f32({G * H}, seed + 4, k);
  Tensor x = random_f32({T, N, I}, seed + 5, 1.0f);
  Tensor h0 = random_f32({1, N, H}, seed + 6, 0.5f), c0 = random_f32({1, N, H}, seed + 7, 0.5f);
  const Tensor x_dev = be->upload(x), h0_dev = be->upload(h0), c0_dev = be->upload(c0);

  loom_rnn_desc desc{};
  desc.struct_size = sizeof desc;
  desc.cell = LOOM_RNN_LSTM;
  desc.input_size = I;
  desc.hidden_size = H;
  desc.num_layers = 1;
  desc.bidirectional = 0;
  const loom::Backend::Packed packed =
      be->rnn_pack(desc, {{be->upload(w_ih)}, {be->upload(w_hh)}, {be->upload(b_ih)}, {be->upload(b_hh)}});

  // A: the whole sequence in one op.
  loom::Backend::RnnIO seq;
  seq.src = x_dev;
  seq.h0 = h0_dev;
  seq.c0 = c0_dev;
  seq.dst = be->empty(DType::f32, {T, N, H});
  seq.hn = be->empty(DType::f32, {1, N, H});
  seq.cn = be->empty(DType::f32, {1, N, H});

  // B: T one-step ops; h and c ping-pong between two buffers (an op's state
  // output never aliases its state input).
  const Tensor y_steps = be->empty(DType::f32, {T, N, H});
  const Tensor hs[2] = {be->empty(DType::f32, {1, N, H}), be->empty(DType::f32, {1, N, H})};
  const Tensor cs[2] = {be->empty(DType::f32, {1, N, H}), be->empty(DType::f32, {1, N, H})};
  std::vector<loom::Backend::RnnIO> steps(static_cast<size_t>(T));
  std::vector<Tensor> x_t(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    loom::Backend::RnnIO& io = steps[static_cast<size_t>(t)];
    x_t[static_cast<size_t>(t)] = x_dev.slice(0, t, t + 1);
    io.src = x_t[static_cast<size_t>(t)];
    io.dst = y_steps.slice(0, t, t + 1);
    io.h0 = t == 0 ? h0_dev : hs[t % 2];
    io.c0 = t == 0 ? c0_dev : cs[t % 2];
    io.hn = hs[(t + 1) % 2];
    io.cn = cs[(t + 1) % 2];
  }
  const Tensor& h_last = hs[T % 2];
  const Tensor& c_last = cs[T % 2];
  auto step_loop = [&] {
    for (const auto& io : steps) be->rnn_forward(packed, io);
  };

  // C and D: the lstm layer, whole sequence and step by step.
  loom::MemoryWeights weights;
  weights.add("weight_ih_l0", w_ih);
  weights.add("weight_hh_l0", w_hh);
  weights.add("bias_ih_l0", b_ih);
  weights.add("bias_hh_l0", b_hh);
  std::unique_ptr<loom::Layer> layer = b.plugins.create_layer(
      "lstm", be, {{"input_size", std::to_string(I)}, {"hidden_size", std::to_string(H)}}, &weights, "bench_lstm");
  const loom::TensorMap in{{"input", x_dev}, {"h0", h0_dev}, {"c0", c0_dev}};
  loom::TensorMap out_c, out_d;
  auto layer_steps = [&] {
    loom::TensorMap state{{"h_n", h0_dev}, {"c_n", c0_dev}};
    for (int64_t t = 0; t < T; ++t)
      state = layer->forward({{"input", x_t[static_cast<size_t>(t)]}, {"h0", state.at("h_n")}, {"c0", state.at("c_n")}});
    out_d = std::move(state);
  };

  // Results once: A against the host (sequence 0), B, C and D against A.
  be->rnn_forward(packed, seq);
  step_loop();
  out_c = layer->forward(in);
  layer_steps();
  std::vector<double> ref_out, ref_h, ref_c;
  host_lstm(x.data_as<float>(), T, N, I, H, w_ih.data_as<float>(), w_hh.data_as<float>(), b_ih.data_as<float>(),
            b_hh.data_as<float>(), h0.data_as<float>(), c0.data_as<float>(), ref_out, ref_h, ref_c);
  const auto ya = as_floats(be->download(seq.dst)), ha = as_floats(be->download(seq.hn)),
             ca = as_floats(be->download(seq.cn));
  const double d_host = std::max({diff_seq0(ya, ref_out, T, N, H), diff_seq0(ha, ref_h, 1, N, H),
                                  diff_seq0(ca, ref_c, 1, N, H)});
  const double d_b = std::max({max_abs_diff(ya, as_floats(be->download(y_steps))),
                               max_abs_diff(ha, as_floats(be->download(h_last))),
                               max_abs_diff(ca, as_floats(be->download(c_last)))});
  const double d_c = std::max({max_abs_diff(ya, as_floats(be->download(out_c.at("output")))),
                               max_abs_diff(ha, as_floats(be->download(out_c.at("h_n")))),
                               max_abs_diff(ca, as_floats(be->download(out_c.at("c_n"))))});
  const double d_d = std::max(max_abs_diff(ha, as_floats(be->download(out_d.at("h_n")))),
                              max_abs_diff(ca, as_floats(be->download(out_d.at("c_n")))));
  const double tol = b.tf32 ? 5e-3 : 1e-4;
  std::printf("%s: max |diff|: A vs host (sequence 0) %.2e; vs A: B %.2e, C %.2e, D %.2e (tolerance %.0e)\n",
              name.c_str(), d_host, d_b, d_c, d_d, tol);
  if (!b.require(d_host <= tol && d_b <= tol && d_c <= tol && d_d <= tol, name)) return;

  const auto [r, inner] =
      b.run(name, 2.0 * static_cast<double>(G * H) * static_cast<double>(I + H) * static_cast<double>(T * N),
            {
                {"A loom sequence", [&] { be->rnn_forward(packed, seq); }, b.loom_wait(), 1},
                {"B loom step loop", step_loop, b.loom_wait(), 1},
                {"C lstm layer", [&] { out_c = layer->forward(in); }, b.loom_wait(), 3},
                {"D layer steps", layer_steps, b.loom_wait(), 3},
            });
  const double op_ratio = r->variants[0].ratio_vs_baseline, layer_ratio = r->variants[2].ratio_vs_baseline;
  b.verdicts.push_back(name + ": sequence " + Bench::per_op(*r, 0, inner) + ", step loop " +
                       Bench::per_op(*r, 1, inner) + ": " + num("%.2f", op_ratio) + " x (layer " +
                       num("%.2f", layer_ratio) + " x its step mode) (target >= 5: " +
                       (op_ratio >= 5.0 ? "met" : "NOT met") + ")");
}

// ---- attention -------------------------------------------------------------

constexpr int64_t kDim = 512, kHeads = 8, kFeedForward = 2048;

struct LayerWeights {
  loom::MemoryWeights weights;
  void add(const std::string& name, const loom::Shape& shape, uint64_t seed, float scale, float offset = 0.0f) {
    Tensor t = random_f32(shape, seed, scale);
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] += offset;
    weights.add(name, t);
  }
  void add_attention(const std::string& p, uint64_t seed) {
    const float ws = 1.0f / std::sqrt(static_cast<float>(kDim));
    add(p + "in_proj_weight", {3 * kDim, kDim}, seed, ws);
    add(p + "in_proj_bias", {3 * kDim}, seed + 1, 0.1f);
    add(p + "out_proj.weight", {kDim, kDim}, seed + 2, ws);
    add(p + "out_proj.bias", {kDim}, seed + 3, 0.1f);
  }
  void add_encoder_rest(uint64_t seed) {
    add("linear1.weight", {kFeedForward, kDim}, seed, 1.0f / std::sqrt(static_cast<float>(kDim)));
    add("linear1.bias", {kFeedForward}, seed + 1, 0.1f);
    add("linear2.weight", {kDim, kFeedForward}, seed + 2, 1.0f / std::sqrt(static_cast<float>(kFeedForward)));
    add("linear2.bias", {kDim}, seed + 3, 0.1f);
    for (int i = 1; i <= 2; ++i) {
      add("norm" + std::to_string(i) + ".weight", {kDim}, seed + 4 + 2 * static_cast<uint64_t>(i), 0.1f, 1.0f);
      add("norm" + std::to_string(i) + ".bias", {kDim}, seed + 5 + 2 * static_cast<uint64_t>(i), 0.1f);
    }
  }
};

double attention_core_flops(int64_t n) {
  return 2.0 * 2.0 * static_cast<double>(kHeads) * static_cast<double>(n) * static_cast<double>(n) *
         static_cast<double>(kDim / kHeads);
}

double mha_flops(int64_t n) {
  const double m = static_cast<double>(n), e = static_cast<double>(kDim);
  return 2.0 * m * e * 3 * e + 2.0 * m * e * e + attention_core_flops(n);
}

double encoder_flops(int64_t n) {
  const double m = static_cast<double>(n), e = static_cast<double>(kDim), f = static_cast<double>(kFeedForward);
  return mha_flops(n) + 2.0 * 2.0 * m * e * f;
}

// A layer with block_size 128 (the default) and block_size = n, on x [1, n, 512].
void layer_case(Bench& b, const std::string& type, int64_t n) {
  const bool encoder = type == "transformer_encoder_layer";
  const std::string name = type + " n=" + std::to_string(n) + " d=512 heads=8 batch=1 f32";
  auto& be = b.backend;
  LayerWeights w;
  loom::OptionMap o;
  if (encoder) {
    w.add_attention("self_attn.", 10);
    w.add_encoder_rest(20);
    o = {{"d_model", std::to_string(kDim)},
         {"nhead", std::to_string(kHeads)},
         {"dim_feedforward", std::to_string(kFeedForward)},
         {"batch_first", "true"}};
  } else {
    w.add_attention("", 30);
    o = {{"embed_dim", std::to_string(kDim)}, {"num_heads", std::to_string(kHeads)}, {"batch_first", "true"}};
  }
  const std::string input = encoder ? "src" : "query";
  loom::OptionMap o_blocked = o, o_whole = o;
  o_blocked["block_size"] = "128";
  o_whole["block_size"] = std::to_string(n);
  auto blocked = b.plugins.create_layer(type, be, o_blocked, &w.weights, "bench_blocked");
  auto whole = b.plugins.create_layer(type, be, o_whole, &w.weights, "bench_whole");
  const loom::TensorMap in{{input, be->upload(random_f32({1, n, kDim}, 40 + static_cast<uint64_t>(n), 1.0f))}};
  loom::TensorMap out_a, out_b;

  out_a = blocked->forward(in);
  out_b = whole->forward(in);
  const auto ya = as_floats(be->download(out_a.at("output"))), yb = as_floats(be->download(out_b.at("output")));
  const double d = max_abs_diff(ya, yb), tol = b.tf32 ? 5e-3 : 1e-4;
  std::printf("%s: max |diff| block 128 vs block n %.2e (tolerance %.0e), max |output| %.3g\n", name.c_str(), d, tol,
              max_abs(ya));
  if (!b.require(d <= tol, name)) return;
  out_a.clear();
  out_b.clear();

  const auto [r, inner] = b.run(name, encoder ? encoder_flops(n) : mha_flops(n),
                                {
                                    {"A block_size 128", [&] { out_a = blocked->forward(in); }, b.loom_wait(), 0},
                                    {"B block_size n", [&] { out_b = whole->forward(in); }, b.loom_wait(), 0},
                                });
  b.verdicts.push_back(name + ": " + Bench::per_op(*r, 0, inner) + " (" + num("%.0f", r->variants[0].gflops) +
                       " GFLOP/s) with block_size 128, " + Bench::per_op(*r, 1, inner) + " (" +
                       num("%.0f", r->variants[1].gflops) + " GFLOP/s) with block_size n");
}

// softmax(Q K^T / sqrt(64)) V for 8 heads of n positions, through the backend's ops.
void core_case(Bench& b, int64_t n, DType dtype) {
  const int64_t D = kDim / kHeads;
  const bool bf16 = dtype == DType::bf16;
  const std::string name =
      std::string("attention core ") + loom::dtype_name(dtype) + " n=" + std::to_string(n) + " heads=8 d_head=64";
  auto& be = b.backend;
  const float alpha = 1.0f / std::sqrt(static_cast<float>(D));
  Tensor q32 = random_f32({1, kHeads, n, D}, 50 + static_cast<uint64_t>(n), 1.0f);
  Tensor k32 = random_f32({1, kHeads, n, D}, 60 + static_cast<uint64_t>(n), 1.0f);
  Tensor v32 = random_f32({1, kHeads, n, D}, 70 + static_cast<uint64_t>(n), 1.0f);
  const Tensor q = be->upload(in_dtype(q32, dtype)), k = be->upload(in_dtype(k32, dtype)),
               v = be->upload(in_dtype(v32, dtype));
  const Tensor s = be->empty(dtype, {1, kHeads, n, n}), p = be->empty(dtype, {1, kHeads, n, n});
  const Tensor o_a = be->empty(dtype, {1, kHeads, n, D}), o_b = be->empty(dtype, {1, kHeads, n, D}),
               o_c = be->empty(dtype, {1, kHeads, n, D});
  loom::MatmulOptions qk;
  qk.transpose_b = true;
  qk.alpha = alpha;
  auto core = [&] {
    be->matmul(q, k, nullptr, s, qk);
    be->softmax(s, nullptr, -1, p);
    be->matmul(p, v, nullptr, o_a);
  };
  auto loom_gemms = [&] {
    be->matmul(q, k, nullptr, s, qk);
    be->matmul(s, v, nullptr, o_b);
  };
  auto direct_gemms = [&] {
    b.direct.scores(kHeads, n, D, alpha, q.data(), k.data(), s.data(), bf16);
    b.direct.context(kHeads, n, D, s.data(), v.data(), o_c.data(), bf16);
  };

  // Results once. A against the host on sampled query rows; C's scores on
  // those rows against the host; B against C.
  const int64_t rows[3] = {0, n / 3, n - 1};
  const int64_t heads[2] = {0, kHeads - 1};
  core();
  const auto oa = as_floats(be->download(o_a));
  loom_gemms();
  const auto ob = as_floats(be->download(o_b));
  be->synchronize();
  direct_gemms();
  b.direct.sync();
  const auto oc = as_floats(be->download(o_c));
  const float *hq = q32.data_as<float>(), *hk = k32.data_as<float>(), *hv = v32.data_as<float>();
  double d_core = 0, d_scores = 0;
  std::vector<double> sc(static_cast<size_t>(n));
  for (int64_t h : heads)
    for (int64_t i : rows) {
      const int64_t base = h * n * D;
      double mx = -INFINITY;
      for (int64_t j = 0; j < n; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < D; ++c) dot += static_cast<double>(hq[base + i * D + c]) * hk[base + j * D + c];
        sc[static_cast<size_t>(j)] = dot * alpha;
        mx = std::max(mx, sc[static_cast<size_t>(j)]);
      }
      const auto srow = as_floats(be->download(s.slice(1, h, h + 1).slice(2, i, i + 1)));
      for (int64_t j = 0; j < n; ++j) {
        const double e = std::fabs(srow[static_cast<size_t>(j)] - sc[static_cast<size_t>(j)]);
        d_scores = std::isnan(e) ? INFINITY : std::max(d_scores, e);
      }
      double sum = 0;
      for (double& e : sc) sum += (e = std::exp(e - mx));
      for (int64_t c = 0; c < D; ++c) {
        double o = 0;
        for (int64_t j = 0; j < n; ++j) o += sc[static_cast<size_t>(j)] / sum * hv[base + j * D + c];
        const double e = std::fabs(oa[static_cast<size_t>(base + i * D + c)] - o);
        d_core = std::isnan(e) ? INFINITY : std::max(d_core, e);
      }
    }
  // Scores are O(1) (|q k| / 8 with entries in [-1, 1]); outputs of the core
  // are convex combinations of v, so |o| <= 1; S V grows like sqrt(n).
  const double tol_core = bf16 ? 2e-2 : (b.tf32 ? 5e-3 : 1e-4);
  const double tol_scores = bf16 ? 2e-2 : (b.tf32 ? 5e-3 : 1e-4);
  const double tol_bc = (bf16 ? 2e-2 : (b.tf32 ? 5e-3 : 1e-4)) * std::max(1.0, max_abs(oc));
  const double d_bc = max_abs_diff(ob, oc);
  std::printf("%s: max |diff| vs host: A %.2e (tolerance %.0e), C's scores %.2e (%.0e); B vs C %.2e (%.2e)\n",
              name.c_str(), d_core, tol_core, d_scores, tol_scores, d_bc, tol_bc);
  if (!b.require(d_core <= tol_core && d_scores <= tol_scores && d_bc <= tol_bc, name)) return;

  const auto [r, inner] = b.run(name, attention_core_flops(n),
                                {
                                    {"A loom core", core, b.loom_wait(), 0},
                                    {"B loom 2 matmuls", loom_gemms, b.loom_wait(), 2},
                                    {"C direct 2 GEMMs", direct_gemms, b.direct_wait(), 2},
                                });
  b.verdicts.push_back(name + ": core " + Bench::per_op(*r, 0, inner) + " (" + num("%.0f", r->variants[0].gflops) +
                       " GFLOP/s); its two matmuls " + num("%.3f", r->variants[1].ratio_vs_baseline) +
                       " x direct cuBLAS");
}

// The fp32 CUDA-core peak (SMs x FP32 lanes x 2 x clock): what the harness's
// "peak" column is against. bf16 GEMMs on tensor cores go far beyond it.
double fp32_peak_gflops(const cudaDeviceProp& prop, int device) {
  int khz = 0;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) != cudaSuccess || khz <= 0) return 0;
  const int lanes = prop.major == 8 && prop.minor == 0 ? 64 : 128;  // A100: 64 per SM; sm_86+, Hopper: 128
  return static_cast<double>(prop.multiProcessorCount) * lanes * 2.0 * khz * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_gpu", kHelp);
  std::vector<std::string> parts;
  int64_t max_seq = 16384;
  int device = 0;
  bool tf32 = false;
  double inner_ms = 2.0;
  std::vector<std::filesystem::path> plugin_dirs;
  try {
    using loom::bench::detail::take_value;
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (take_value(opt.rest, i, "--part", v)) {
        if (v != "gemm" && v != "lstm" && v != "attention")
          throw std::invalid_argument("--part: expected gemm, lstm or attention, got '" + v + "'");
        parts.push_back(v);
      } else if (take_value(opt.rest, i, "--max-seq", v)) {
        max_seq = loom::bench::detail::to_long("--max-seq", v, 512, 1L << 20);
      } else if (take_value(opt.rest, i, "--device", v)) {
        device = static_cast<int>(loom::bench::detail::to_long("--device", v, 0, 1024));
      } else if (take_value(opt.rest, i, "--inner-ms", v)) {
        inner_ms = loom::bench::detail::to_double("--inner-ms", v, 0.0);
      } else if (take_value(opt.rest, i, "--plugin-dir", v)) {
        plugin_dirs.emplace_back(v);
      } else if (opt.rest[i] == "--tf32") {
        tf32 = true;
      } else {
        throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_gpu: %s (see --help)\n", e.what());
    return 2;
  }
  if (parts.empty()) parts = {"gemm", "lstm", "attention"};
  auto wants = [&](const char* p) { return std::find(parts.begin(), parts.end(), p) != parts.end(); };

  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    const auto names = plugins.backend_names();
    if (std::find(names.begin(), names.end(), "cudnn") == names.end())
      throw loom::NotFound("no 'cudnn' backend: the cudnn plugin was not loaded");
    std::string why;
    if (!plugins.backend_available("cudnn", &why)) {
      std::printf("bench_gpu: skipped: %s\n", why.c_str());
      return 0;
    }
    backend = plugins.create_backend("cudnn", {{"device", std::to_string(device)}, {"tf32", tf32 ? "true" : "false"}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu: cannot set up the cudnn backend: %s\n", e.what());
    for (const auto& s : plugins.skipped())
      std::fprintf(stderr, "  skipped %s: %s\n", s.file.string().c_str(), s.reason.c_str());
    std::fprintf(stderr, "  (build the plugins: cmake --build <build> --target loom-all-plugins)\n");
    return 1;
  }

  int failures = 0;
  try {
    Direct direct(device, tf32);
    cudaDeviceProp prop{};
    loom::bench::gpu::check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    int runtime = 0, driver = 0, cublas = 0;
    (void)cudaRuntimeGetVersion(&runtime);
    (void)cudaDriverGetVersion(&driver);
    (void)cublasGetProperty(MAJOR_VERSION, &cublas);
    int cublas_minor = 0, cublas_patch = 0;
    (void)cublasGetProperty(MINOR_VERSION, &cublas_minor);
    (void)cublasGetProperty(PATCH_LEVEL, &cublas_patch);

    // One host thread issues the GPU work; the peak column is the GPU's fp32
    // CUDA-core peak unless --peak-gflops-per-core says otherwise.
    opt.threads = 1;
    if (opt.peak_source.rfind("default", 0) == 0) {
      const double peak = fp32_peak_gflops(prop, device);
      if (peak > 0) {
        opt.peak_gflops_per_core = peak;
        opt.peak_source = "the GPU's fp32 CUDA-core peak (SMs x FP32 lanes x 2 x clock); bf16 and TF32 use tensor "
                          "cores, which go beyond it";
      }
    }
    loom::bench::Harness harness("Loom on the cudnn backend vs cuBLAS called directly (GPU)", opt);
    const loom::FactoryInfo* info = plugins.find_backend_info("cudnn");
    harness.add_info("gpu", std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
                                ", " + std::to_string(prop.multiProcessorCount) + " SMs, " +
                                std::to_string(prop.totalGlobalMem >> 20) + " MiB, cuda:" + std::to_string(device) + ")");
    harness.add_info("cuda", "runtime " + std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10) +
                                 ", driver " + std::to_string(driver / 1000) + "." +
                                 std::to_string(driver % 1000 / 10) + ", cuBLAS " + std::to_string(cublas) + "." +
                                 std::to_string(cublas_minor) + "." + std::to_string(cublas_patch));
    harness.add_info("backend", "cudnn, tf32=" + std::string(tf32 ? "true" : "false") +
                                    (info ? ": " + info->description : std::string()));
    harness.add_info("direct calls", std::string("own stream; cuBLAS ") +
                                         (tf32 ? "TF32 tensor-op math" : "default math (no TF32)") +
                                         ", fp32 accumulation, 32 MiB workspaces (as the backend's handles)");
    harness.add_info("timing", "each timed call enqueues [xN] operations and waits once; time/call and GFLOP/s are "
                               "per timed call, the summary per operation; target work per timed call " +
                                   num("%.3g", inner_ms) + " ms");
    harness.begin();

    Bench b{plugins, backend, direct, harness, inner_ms, tf32, {}, 0};
    auto guarded = [&](const std::string& what, const std::function<void()>& fn) {
      try {
        fn();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_gpu: %s: %s\n", what.c_str(), e.what());
        ++b.failures;
      }
      b.release();
    };
    if (wants("gemm"))
      for (DType dt : {DType::f32, DType::bf16})
        for (int64_t d : {512, 1024})
          for (int64_t tokens : {128, 512, 2048, 8192})
            guarded("gemm", [&] { gemm_case(b, tokens, d, dt); });
    if (wants("lstm"))
      for (int64_t n : {1, 32})
        for (int64_t h : {512, 1024}) guarded("lstm", [&] { lstm_case(b, 128, n, h); });
    if (wants("attention"))
      for (int64_t n = 512; n <= max_seq; n *= 2) {
        guarded("transformer_encoder_layer", [&] { layer_case(b, "transformer_encoder_layer", n); });
        guarded("multihead_attention", [&] { layer_case(b, "multihead_attention", n); });
        for (DType dt : {DType::bf16, DType::f32}) guarded("attention core", [&] { core_case(b, n, dt); });
      }
    std::printf("Summary against the targets:\n");
    for (const auto& v : b.verdicts) std::printf("  %s\n", v.c_str());
    if (b.failures) std::printf("  %d case(s) failed or were not timed (see above)\n", b.failures);
    failures = b.failures;
    const int rc = harness.finish();
    if (rc != 0) return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu: %s\n", e.what());
    return 1;
  }
  return failures ? 1 : 0;
}
