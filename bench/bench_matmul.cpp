// bench_matmul: Loom's matmul through the onednn backend plugin against
// oneDNN's matmul primitive called directly, on transformer-sized shapes.
//
// How to run (from the build folder's parent; plugins are found next to
// libloom-core, in <build>/lib/loom/plugins, so no path setting is needed):
//
//   build/bin/bench_matmul --threads 2
//   build/bin/bench_matmul --threads 2 --rounds 9 --json matmul.json
//   build/bin/bench_matmul --shape 8x512x512x2048 --shape 1024x1024x1024 --bias
//
// Variants of each case, run interleaved (see bench_harness.hpp):
//   A direct        oneDNN matmul primitive, created once outside the timed
//                   loop, weights as nn.Linear stores them ([N, K], read as W^T)
//   B loom matmul   Backend::matmul with transpose_b (plain weights, every call)
//   C loom packed   Backend::matmul_packed, the weight packed once
//   D direct packed oneDNN matmul with weights reordered once to the
//                   primitive's preferred layout (format_tag::any): the direct
//                   counterpart of C
//   E loom linear   the basic-layers `linear` layer (bias off unless --bias) on
//                   the [batch, seq, K] input: what a model runs
// "x first" is throughput relative to A; "x base" relative to the variant's
// own baseline (B: A; C and E: D). Target (docs/performance.md): Loom >= 0.90 x direct.
//
// --threads N goes to the onednn backend's `threads` option and to
// omp_set_num_threads for the direct path (both share one OpenMP runtime).
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_data.hpp"
#include "bench_harness.hpp"
#include "bench_setup.hpp"
#include "loom/loom.hpp"

namespace {

constexpr const char* kHelp =
    "Matmul options:\n"
    "  --shape S       a case, repeatable: MxKxN, or BxSxKxN for a [B, S, K] input (M = B*S);\n"
    "                  default 8x512x512x512, 8x512x512x2048, 8x512x2048x512, 1024x1024x1024\n"
    "  --bias          add a bias [N] in every variant (nn.Linear with bias)\n"
    "  --plugin-dir D  search D for plugins before the default folders\n";

struct MatmulShape {
  int64_t batch = 1, seq = 0, k = 0, n = 0;  // M = batch * seq
  int64_t m() const { return batch * seq; }
  std::string name() const {
    std::string s = "M=" + std::to_string(m());
    if (batch > 1) s += " (" + std::to_string(batch) + "x" + std::to_string(seq) + ")";
    return s + " K=" + std::to_string(k) + " N=" + std::to_string(n);
  }
};

MatmulShape parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t x = text.find('x', pos);
    std::string part = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    long v = loom::bench::detail::to_long("--shape", part, 1, 1L << 20);
    dims.push_back(v);
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  if (dims.size() == 3) return MatmulShape{1, dims[0], dims[1], dims[2]};
  if (dims.size() == 4) return MatmulShape{dims[0], dims[1], dims[2], dims[3]};
  throw std::invalid_argument("--shape: expected MxKxN or BxSxKxN, got '" + text + "'");
}

using loom::bench::fill_random;
using loom::bench::max_abs_diff;

double max_abs(const float* a, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(std::fabs(a[i])));
  return m;
}

// oneDNN's matmul primitive, created once; execute() is the timed call.
struct DirectMatmul {
  dnnl::matmul prim;
  std::unordered_map<int, dnnl::memory> args;
  std::string impl;

  DirectMatmul(dnnl::engine& eng, dnnl::stream& strm, const MatmulShape& s, float* a, float* w_nk, float* bias,
               float* dst, bool reorder_weights) {
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    const dnnl::memory::dims src_dims{s.m(), s.k}, w_dims{s.k, s.n}, dst_dims{s.m(), s.n};
    dnnl::memory::desc src_md(src_dims, dt::f32, tag::ab);
    // nn.Linear's weight [N, K] row-major is W^T [K, N] in column-major: tag ba.
    dnnl::memory::desc w_user_md(w_dims, dt::f32, tag::ba);
    dnnl::memory::desc w_md = reorder_weights ? dnnl::memory::desc(w_dims, dt::f32, tag::any) : w_user_md;
    dnnl::memory::desc dst_md(dst_dims, dt::f32, tag::ab);
    dnnl::memory::desc bias_md({1, s.n}, dt::f32, tag::ab);
    auto desc = bias ? dnnl::matmul::desc(src_md, w_md, bias_md, dst_md) : dnnl::matmul::desc(src_md, w_md, dst_md);
    dnnl::matmul::primitive_desc pd(desc, eng);
    impl = pd.impl_info_str();
    prim = dnnl::matmul(pd);

    dnnl::memory w_user(w_user_md, eng, w_nk);
    dnnl::memory w_mem = w_user;
    if (pd.weights_desc() != w_user_md) {
      w_mem = dnnl::memory(pd.weights_desc(), eng);
      dnnl::reorder(w_user, w_mem).execute(strm, w_user, w_mem);
      strm.wait();
    }
    args[DNNL_ARG_SRC] = dnnl::memory(src_md, eng, a);
    args[DNNL_ARG_WEIGHTS] = w_mem;
    args[DNNL_ARG_DST] = dnnl::memory(dst_md, eng, dst);
    if (bias) args[DNNL_ARG_BIAS] = dnnl::memory(bias_md, eng, bias);
  }

  void run(dnnl::stream& strm) {
    prim.execute(strm, args);
    strm.wait();
  }
};

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_matmul", kHelp);
  std::vector<MatmulShape> shapes;
  bool with_bias = false;
  std::vector<std::filesystem::path> plugin_dirs;
  try {
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (loom::bench::detail::take_value(opt.rest, i, "--shape", v)) {
        shapes.push_back(parse_shape(v));
      } else if (loom::bench::detail::take_value(opt.rest, i, "--plugin-dir", v)) {
        plugin_dirs.emplace_back(v);
      } else if (opt.rest[i] == "--bias") {
        with_bias = true;
      } else {
        throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_matmul: %s (see --help)\n", e.what());
    return 2;
  }
  if (shapes.empty())
    shapes = {MatmulShape{8, 512, 512, 512}, MatmulShape{8, 512, 512, 2048}, MatmulShape{8, 512, 2048, 512},
              MatmulShape{1, 1024, 1024, 1024}};

  omp_set_num_threads(opt.threads);

  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    backend = plugins.create_backend("onednn", {{"threads", std::to_string(opt.threads)}});
  } catch (const std::exception& e) {
    return loom::bench::report_setup_failure("bench_matmul", "the onednn backend", e, plugins);
  }

  loom::bench::Harness harness("Loom matmul (onednn backend) vs direct oneDNN matmul, fp32", opt);
  {
    loom::bench::add_onednn_info(harness, *backend, opt.threads);
    harness.add_info("bias", with_bias ? "yes" : "no");
    harness.add_info("variants",
                     "A direct oneDNN (weights [N,K] as W^T); B Loom matmul transpose_b; C Loom matmul_packed; "
                     "D direct oneDNN, weights reordered once (format any); E Loom linear layer. "
                     "x base: B vs A, C and E vs D");
  }

  harness.begin();

  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  int failures = 0;

  for (size_t si = 0; si < shapes.size(); ++si) {
    const MatmulShape& s = shapes[si];
    const int64_t M = s.m(), K = s.k, N = s.n;
    try {
      using loom::DType;
      loom::Tensor a = loom::Tensor::host(DType::f32, {M, K});
      loom::Tensor w = loom::Tensor::host(DType::f32, {N, K});  // nn.Linear weight [out, in]
      loom::Tensor bias = loom::Tensor::host(DType::f32, {N});
      fill_random(a.data_as<float>(), a.numel(), 1000 + si);
      fill_random(w.data_as<float>(), w.numel(), 2000 + si);
      fill_random(bias.data_as<float>(), bias.numel(), 3000 + si);
      // On the CPU backend upload() shares the host memory; it is still the API's path.
      loom::Tensor a_dev = backend->upload(a), w_dev = backend->upload(w), bias_dev = backend->upload(bias);
      loom::Tensor a3_dev = a_dev.reshape({s.batch, s.seq, K});
      loom::Tensor dst_a = loom::Tensor::host(DType::f32, {M, N}), dst_d = loom::Tensor::host(DType::f32, {M, N});
      loom::Tensor dst_b = backend->empty(DType::f32, {M, N}), dst_c = backend->empty(DType::f32, {M, N});
      const loom::Tensor* bias_arg = with_bias ? &bias_dev : nullptr;

      DirectMatmul direct(eng, strm, s, a.data_as<float>(), w.data_as<float>(),
                          with_bias ? bias.data_as<float>() : nullptr, dst_a.data_as<float>(), false);
      DirectMatmul direct_packed(eng, strm, s, a.data_as<float>(), w.data_as<float>(),
                                 with_bias ? bias.data_as<float>() : nullptr, dst_d.data_as<float>(), true);

      loom::MatmulOptions mo_t;
      mo_t.transpose_b = true;
      loom::Backend::Packed packed = backend->matmul_pack(w_dev, /*transpose_b=*/true);

      loom::MemoryWeights weights;
      weights.add("weight", w);
      weights.add("bias", bias);
      std::unique_ptr<loom::Layer> linear = plugins.create_layer("linear", backend,
                                                                 {{"in_features", std::to_string(K)},
                                                                  {"out_features", std::to_string(N)},
                                                                  {"bias", with_bias ? "true" : "false"}},
                                                                 &weights, "bench_linear");
      loom::Tensor dst_e;

      // Check every variant against A once before timing.
      direct.run(strm);
      direct_packed.run(strm);
      backend->matmul(a_dev, w_dev, bias_arg, dst_b, mo_t);
      backend->matmul_packed(a_dev, packed, bias_arg, dst_c);
      dst_e = linear->forward(a3_dev);
      const loom::Tensor dst_e_host = backend->download(dst_e);
      const float* ref = dst_a.data_as<float>();
      const int64_t n_out = M * N;
      const double tol = 1e-4 * std::sqrt(static_cast<double>(K)) * std::max(1.0, max_abs(ref, n_out));
      const loom::Tensor dst_b_host = backend->download(dst_b), dst_c_host = backend->download(dst_c);
      const double diffs[4] = {
          max_abs_diff(ref, dst_b_host.data_as<float>(), n_out), max_abs_diff(ref, dst_c_host.data_as<float>(), n_out),
          max_abs_diff(ref, dst_d.data_as<float>(), n_out), max_abs_diff(ref, dst_e_host.data_as<float>(), n_out)};
      std::printf("%s: max |diff| vs A: B %.2e, C %.2e, D %.2e, E %.2e (tolerance %.2e); A impl %s, D impl %s\n",
                  s.name().c_str(), diffs[0], diffs[1], diffs[2], diffs[3], tol, direct.impl.c_str(),
                  direct_packed.impl.c_str());
      bool ok = true;
      for (double d : diffs) ok = ok && d <= tol;
      if (!ok) {
        std::fprintf(stderr, "bench_matmul: %s: results differ from direct oneDNN beyond tolerance; not timing it\n",
                     s.name().c_str());
        ++failures;
        continue;
      }

      loom::bench::Case c;
      c.name = s.name() + (with_bias ? " +bias" : "");
      c.flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
      c.variants = {
          {"A direct", [&] { direct.run(strm); }, 0},
          {"B loom matmul", [&] { backend->matmul(a_dev, w_dev, bias_arg, dst_b, mo_t); }, 0},
          {"C loom packed", [&] { backend->matmul_packed(a_dev, packed, bias_arg, dst_c); }, 3},
          {"D direct packed", [&] { direct_packed.run(strm); }, 0},
          {"E loom linear", [&] { dst_e = linear->forward(a3_dev); }, 3},
      };
      harness.run(c);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_matmul: %s: %s\n", s.name().c_str(), e.what());
      ++failures;
    }
  }
  int rc = harness.finish();
  return failures ? 1 : rc;
}
