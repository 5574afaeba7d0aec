// bench_gpu --part gemm: y = x W^T through the cudnn backend against cuBLAS
// called directly (see bench_gpu.cpp).
#include <random>

#include "bench_gpu_common.hpp"

namespace loom::bench::gpu {

void gemm_case(Bench& b, int64_t tokens, int64_t d, DType dtype) {
  const int64_t M = tokens, K = d, N = 4 * d;
  const bool bf16 = dtype == DType::bf16;
  const std::string name = std::string("gemm ") + loom::dtype_name(dtype) + " x[" + std::to_string(M) + ", " +
                           std::to_string(K) + "] W^T[" + std::to_string(K) + ", " + std::to_string(N) + "]";
  auto& be = b.backend;

  Tensor x32 = random_tensor({M, K}, 100 + static_cast<uint64_t>(M + K), 1.0f);
  Tensor w32 = random_tensor({N, K}, 200 + static_cast<uint64_t>(K), 1.0f / std::sqrt(static_cast<float>(K)));
  Tensor bias = random_tensor({N}, 300 + static_cast<uint64_t>(K), 0.1f);
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

}  // namespace loom::bench::gpu
