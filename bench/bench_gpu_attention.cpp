// bench_gpu --part attention: the transformer encoder layer, multihead
// attention and the attention core at n = 512 .. 16384 on the cudnn backend
// (see bench_gpu.cpp).
#include "bench_gpu_common.hpp"

namespace loom::bench::gpu {

namespace {

constexpr int64_t kDim = 512, kHeads = 8, kFeedForward = 2048;

struct LayerWeights {
  loom::MemoryWeights weights;
  void add(const std::string& name, const loom::Shape& shape, uint64_t seed, float scale, float offset = 0.0f) {
    Tensor t = random_tensor(shape, seed, scale);
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

}  // namespace

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
  const loom::TensorMap in{{input, be->upload(random_tensor({1, n, kDim}, 40 + static_cast<uint64_t>(n), 1.0f))}};
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
  Tensor q32 = random_tensor({1, kHeads, n, D}, 50 + static_cast<uint64_t>(n), 1.0f);
  Tensor k32 = random_tensor({1, kHeads, n, D}, 60 + static_cast<uint64_t>(n), 1.0f);
  Tensor v32 = random_tensor({1, kHeads, n, D}, 70 + static_cast<uint64_t>(n), 1.0f);
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

}  // namespace loom::bench::gpu
