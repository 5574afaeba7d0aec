// bench_attention: Loom's multihead_attention layer (attention plugin, onednn
// backend) against the same computation composed from raw oneDNN primitives,
// and its peak memory with and without query blocking.
//
// How to run (plugins are found next to libloom-core, in
// <build>/lib/loom/plugins, so no path setting is needed):
//
//   build/bin/bench_attention --threads 2                       # the timing case
//   build/bin/bench_attention --threads 2 --batch 8 --seq 512 --dim 512 --heads 8
//   build/bin/bench_attention --memory loom --batch 1 --seq 8192 --block 128
//   build/bin/bench_attention --memory loom --batch 1 --seq 8192 --block 8192
//   build/bin/bench_attention --memory direct --batch 1 --seq 8192
//
// Timing variants of self-attention (x [N, L, E] batch_first, weights as
// torch.nn.MultiheadAttention stores them), run interleaved (bench_harness.hpp):
//   A direct oneDNN   the computation the layer does, from raw primitives:
//                     three matmuls (x W_q^T + b_q, ..., weights reordered
//                     once) -> q, k, v [N*L, E], read per head through strided
//                     memory descriptors -> batched matmul Q K^T with output
//                     scale 1/sqrt(hd) -> softmax_v2 in place -> batched
//                     matmul P V written in [N, L, E] order -> matmul
//                     (x W_out^T + b). Primitives created once; no query
//                     blocking (a full [N, H, L, L] buffer).
//   B loom mha        multihead_attention, block_size --block (128), weights not asked for
//   C loom unblocked  block_size = L
//   D loom + weights  as B, also returning the per-head weights [N, H, L, L]
//   F direct fused    A with one [E, 3E] input product and the heads read
//                     from the fused [N*L, 3E] buffer (for the design choice)
// Target (docs/performance.md): B >= 0.90 x A.
//
// --memory MODE runs one forward pass in a fresh process and prints its max
// RSS (getrusage) and the RSS growth over the set-up (weights, input): MODE
// is `loom` (with --block B; B = seq means unblocked) or `direct` (the
// composition above, unblocked by construction). No timing in that mode.
#include <omp.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_data.hpp"
#include "bench_harness.hpp"
#include "bench_memory.hpp"
#include "bench_setup.hpp"
#include "loom/loom.hpp"

namespace {

constexpr const char* kHelp =
    "Attention options:\n"
    "  --batch N       batch size (default 8)\n"
    "  --seq L         sequence length, self-attention (default 512)\n"
    "  --dim E         embed_dim (default 512)\n"
    "  --heads H       num_heads (default 8)\n"
    "  --block B       block_size of the Loom layer in variants B, D, E and in --memory mode (default 128)\n"
    "  --memory MODE   one forward pass, print peak memory: loom | direct\n"
    "  --plugin-dir D  search D for plugins before the default folders\n";

using dnnl::memory;
using tag = memory::format_tag;
constexpr memory::data_type f32 = memory::data_type::f32;

struct Shape4 {
  int64_t n = 8, l = 512, e = 512, h = 8;
  int64_t hd() const { return e / h; }
  std::string name() const {
    return "self-attention N=" + std::to_string(n) + " L=" + std::to_string(l) + " E=" + std::to_string(e) +
           " H=" + std::to_string(h);
  }
  double flops() const {
    const double m = static_cast<double>(n * l), ee = static_cast<double>(e);
    const double proj = 2.0 * m * ee * 3 * ee + 2.0 * m * ee * ee;
    const double attn = 2.0 * 2.0 * static_cast<double>(n * h) * static_cast<double>(l) * static_cast<double>(l) *
                        static_cast<double>(hd());
    return proj + attn;
  }
};

using loom::bench::fill_random;
using loom::bench::max_abs_diff;

// The direct oneDNN composition; every primitive and buffer made once.
// fused = false: q, k, v from three products into [M, E] buffers (what the
// Loom layer does); true: one [M, 3E] product, heads read from it in place.
struct DirectAttention {
  dnnl::engine& eng;
  dnnl::stream& strm;
  Shape4 s;
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps;
  std::vector<memory> buffers;  // intermediates, owned by oneDNN
  std::vector<std::string> impls;

  // Weights as nn.Linear stores them ([out, in]); reordered once to the
  // layout the matmul wants (format any).
  memory weights_for(const dnnl::matmul::primitive_desc& pd, const memory::desc& user_md, float* data) {
    memory user(user_md, eng, data);
    if (pd.weights_desc() == user_md) return user;
    memory w(pd.weights_desc(), eng);
    dnnl::reorder(user, w).execute(strm, user, w);
    strm.wait();
    return w;
  }

  // dst [M, out] = src [M, in] W^T + b with W [out, in] at w, b [out] at b.
  void linear(float* src, memory::dim in, float* w, float* b, memory::dim out, float* dst) {
    const memory::dim M = s.n * s.l;
    memory::desc x_md({M, in}, f32, tag::ab), w_md({in, out}, f32, tag::any), b_md({1, out}, f32, tag::ab),
        d_md({M, out}, f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x_md, w_md, b_md, d_md), eng);
    memory wm = weights_for(pd, memory::desc({in, out}, f32, tag::ba), w);
    steps.push_back({dnnl::matmul(pd), {{DNNL_ARG_SRC, memory(x_md, eng, src)},
                                        {DNNL_ARG_WEIGHTS, wm},
                                        {DNNL_ARG_BIAS, memory(b_md, eng, b)},
                                        {DNNL_ARG_DST, memory(d_md, eng, dst)}}});
    impls.push_back(pd.impl_info_str());
  }

  float* buffer(memory::dim elements) {
    buffers.emplace_back(memory::desc({elements}, f32, tag::a), eng);
    return static_cast<float*>(buffers.back().get_data_handle());
  }

  DirectAttention(dnnl::engine& e, dnnl::stream& st, const Shape4& shape, bool fused, float* x, float* w_in,
                  float* b_in, float* w_out, float* b_out, float* out)
      : eng(e), strm(st), s(shape) {
    const memory::dim N = s.n, L = s.l, E = s.e, H = s.h, D = s.hd(), M = N * L;
    // 1. q, k, v = x W^T + b, as [M, E] row blocks of width `ld`.
    float *q, *k, *v;
    memory::dim ld;
    if (fused) {
      ld = 3 * E;
      q = buffer(M * ld), k = q + E, v = q + 2 * E;
      linear(x, E, w_in, b_in, 3 * E, q);
    } else {
      ld = E;
      q = buffer(M * E), k = buffer(M * E), v = buffer(M * E);
      linear(x, E, w_in, b_in, E, q);
      linear(x, E, w_in + E * E, b_in + E, E, k);
      linear(x, E, w_in + 2 * E * E, b_in + 2 * E, E, v);
    }
    // 2. scores [N, H, L, L] = Q K^T / sqrt(D), heads read in place.
    float* scores = buffer(N * H * L * L);
    {
      memory::desc q_md({N, H, L, D}, f32, memory::dims{L * ld, D, ld, 1});
      memory::desc k_md({N, H, D, L}, f32, memory::dims{L * ld, D, 1, ld});
      memory::desc s_md({N, H, L, L}, f32, tag::abcd);
      dnnl::primitive_attr attr;
      attr.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(D))});
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(q_md, k_md, s_md), attr, eng);
      steps.push_back({dnnl::matmul(pd), {{DNNL_ARG_SRC, memory(q_md, eng, q)},
                                          {DNNL_ARG_WEIGHTS, memory(k_md, eng, k)},
                                          {DNNL_ARG_DST, memory(s_md, eng, scores)}}});
      impls.push_back(pd.impl_info_str());
      // 3. softmax over keys, in place.
      dnnl::softmax_v2_forward::primitive_desc spd(
          dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate, s_md,
                                         s_md, 3),
          eng);
      steps.push_back({dnnl::softmax_v2_forward(spd),
                       {{DNNL_ARG_SRC, memory(s_md, eng, scores)}, {DNNL_ARG_DST, memory(s_md, eng, scores)}}});
      impls.push_back(spd.impl_info_str());
    }
    // 4. context [N, H, L, D] = P V, written as [N, L, E] (head h at columns h*D).
    float* context = buffer(M * E);
    {
      memory::desc p_md({N, H, L, L}, f32, tag::abcd);
      memory::desc v_md({N, H, L, D}, f32, memory::dims{L * ld, D, ld, 1});
      memory::desc c_md({N, H, L, D}, f32, memory::dims{L * E, D, E, 1});
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(p_md, v_md, c_md), eng);
      steps.push_back({dnnl::matmul(pd), {{DNNL_ARG_SRC, memory(p_md, eng, scores)},
                                          {DNNL_ARG_WEIGHTS, memory(v_md, eng, v)},
                                          {DNNL_ARG_DST, memory(c_md, eng, context)}}});
      impls.push_back(pd.impl_info_str());
    }
    // 5. out [M, E] = context W_out^T + b_out
    linear(context, E, w_out, b_out, E, out);
  }

  std::string impl_summary() const {
    std::string out;
    for (const auto& i : impls) out += (out.empty() ? "" : ", ") + i;
    return out;
  }

  void run() {
    for (auto& [p, args] : steps) p.execute(strm, args);
    strm.wait();
  }
};

struct Problem {
  Shape4 s;
  loom::Tensor x, w_in, b_in, w_out, b_out;
  loom::MemoryWeights weights;

  explicit Problem(const Shape4& shape) : s(shape) {
    using loom::DType;
    x = loom::Tensor::host(DType::f32, {s.n, s.l, s.e});
    w_in = loom::Tensor::host(DType::f32, {3 * s.e, s.e});
    b_in = loom::Tensor::host(DType::f32, {3 * s.e});
    w_out = loom::Tensor::host(DType::f32, {s.e, s.e});
    b_out = loom::Tensor::host(DType::f32, {s.e});
    const float ws = 1.0f / std::sqrt(static_cast<float>(s.e));
    fill_random(x.data_as<float>(), x.numel(), 1, 1.0f);
    fill_random(w_in.data_as<float>(), w_in.numel(), 2, ws);
    fill_random(b_in.data_as<float>(), b_in.numel(), 3, 0.1f);
    fill_random(w_out.data_as<float>(), w_out.numel(), 4, ws);
    fill_random(b_out.data_as<float>(), b_out.numel(), 5, 0.1f);
    weights.add("in_proj_weight", w_in);
    weights.add("in_proj_bias", b_in);
    weights.add("out_proj.weight", w_out);
    weights.add("out_proj.bias", b_out);
  }

  loom::OptionMap options(int64_t block) const {
    return {{"embed_dim", std::to_string(s.e)},
            {"num_heads", std::to_string(s.h)},
            {"batch_first", "true"},
            {"block_size", std::to_string(block)}};
  }
};

int memory_mode(const std::string& mode, const Shape4& s, int64_t block, int threads,
                const std::vector<std::filesystem::path>& plugin_dirs) {
  omp_set_num_threads(threads);
  loom::PluginManager plugins;
  plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
  auto backend = plugins.create_backend("onednn", {{"threads", std::to_string(threads)}});
  Problem p(s);
  const long before = loom::bench::current_rss_kib();
  double checksum = 0;
  if (mode == "loom") {
    auto layer = plugins.create_layer("multihead_attention", backend, p.options(block), &p.weights, "mha");
    const long with_weights = loom::bench::current_rss_kib();
    loom::Tensor out = backend->download(layer->forward(backend->upload(p.x)));
    for (int64_t i = 0; i < out.numel(); i += 997) checksum += out.data_as<float>()[i];
    std::printf("memory loom: %s block_size=%lld threads=%d: max RSS %.1f MB, set-up RSS %.1f MB, growth %.1f MB "
                "(checksum %.6g)\n",
                s.name().c_str(), static_cast<long long>(block), threads,
                static_cast<double>(loom::bench::max_rss_kib()) / 1024.0, static_cast<double>(with_weights) / 1024.0,
                static_cast<double>(loom::bench::max_rss_kib() - with_weights) / 1024.0, checksum);
  } else if (mode == "direct") {
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream strm(eng);
    loom::Tensor out = loom::Tensor::host(loom::DType::f32, {s.n, s.l, s.e});
    DirectAttention direct(eng, strm, s, false, p.x.data_as<float>(), p.w_in.data_as<float>(),
                           p.b_in.data_as<float>(), p.w_out.data_as<float>(), p.b_out.data_as<float>(),
                           out.data_as<float>());
    direct.run();
    for (int64_t i = 0; i < out.numel(); i += 997) checksum += out.data_as<float>()[i];
    std::printf("memory direct: %s threads=%d: max RSS %.1f MB, set-up RSS %.1f MB, growth %.1f MB (checksum %.6g)\n",
                s.name().c_str(), threads, static_cast<double>(loom::bench::max_rss_kib()) / 1024.0,
                static_cast<double>(before) / 1024.0,
                static_cast<double>(loom::bench::max_rss_kib() - before) / 1024.0, checksum);
  } else {
    std::fprintf(stderr, "bench_attention: --memory must be loom or direct, got '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_attention", kHelp);
  Shape4 s;
  int64_t block = 128;
  std::string memory_mode_name;
  std::vector<std::filesystem::path> plugin_dirs;
  try {
    using loom::bench::detail::take_value;
    using loom::bench::detail::to_long;
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (take_value(opt.rest, i, "--batch", v)) s.n = to_long("--batch", v, 1, 1 << 16);
      else if (take_value(opt.rest, i, "--seq", v)) s.l = to_long("--seq", v, 1, 1 << 20);
      else if (take_value(opt.rest, i, "--dim", v)) s.e = to_long("--dim", v, 1, 1 << 16);
      else if (take_value(opt.rest, i, "--heads", v)) s.h = to_long("--heads", v, 1, 1 << 12);
      else if (take_value(opt.rest, i, "--block", v)) block = to_long("--block", v, 1, 1 << 20);
      else if (take_value(opt.rest, i, "--memory", v)) memory_mode_name = v;
      else if (take_value(opt.rest, i, "--plugin-dir", v)) plugin_dirs.emplace_back(v);
      else throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
    }
    if (s.e % s.h != 0) throw std::invalid_argument("--dim must be divisible by --heads");
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_attention: %s (see --help)\n", e.what());
    return 2;
  }
  if (!memory_mode_name.empty()) {
    try {
      return memory_mode(memory_mode_name, s, block, opt.threads, plugin_dirs);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_attention: %s\n", e.what());
      return 1;
    }
  }

  omp_set_num_threads(opt.threads);
  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    backend = plugins.create_backend("onednn", {{"threads", std::to_string(opt.threads)}});
  } catch (const std::exception& e) {
    return loom::bench::report_setup_failure("bench_attention", "the onednn backend", e, plugins);
  }

  loom::bench::Harness harness("Loom multihead_attention (onednn backend) vs raw oneDNN primitives, fp32", opt);
  loom::bench::add_onednn_info(harness, *backend, opt.threads);
  harness.add_info("variants", "A direct oneDNN composition (unblocked, 3 input products); B Loom "
                               "multihead_attention block_size " +
                                   std::to_string(block) +
                                   "; C Loom block_size = L; D as B, returning per-head weights; F as A with one "
                                   "fused [E, 3E] input product. x base: vs A");
  harness.begin();

  int failures = 0;
  try {
    Problem p(s);
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream strm(eng);
    loom::Tensor out_a = loom::Tensor::host(loom::DType::f32, {s.n, s.l, s.e});
    loom::Tensor out_f = loom::Tensor::host(loom::DType::f32, {s.n, s.l, s.e});
    DirectAttention direct(eng, strm, s, false, p.x.data_as<float>(), p.w_in.data_as<float>(),
                           p.b_in.data_as<float>(), p.w_out.data_as<float>(), p.b_out.data_as<float>(),
                           out_a.data_as<float>());
    DirectAttention fused(eng, strm, s, true, p.x.data_as<float>(), p.w_in.data_as<float>(), p.b_in.data_as<float>(),
                          p.w_out.data_as<float>(), p.b_out.data_as<float>(), out_f.data_as<float>());
    std::printf("direct oneDNN implementations (A): %s\n", direct.impl_summary().c_str());
    auto blocked = plugins.create_layer("multihead_attention", backend, p.options(block), &p.weights, "mha");
    auto unblocked = plugins.create_layer("multihead_attention", backend, p.options(s.l), &p.weights, "mha_unblocked");
    const loom::Tensor x = backend->upload(p.x);
    const loom::TensorMap in{{"query", x}};
    loom::TensorMap out_b, out_c, out_d;

    direct.run();
    fused.run();
    out_b = blocked->forward(in);
    out_c = unblocked->forward(in);
    out_d = blocked->forward(in, true);
    const int64_t n = out_a.numel();
    const float* ref = out_a.data_as<float>();
    const double db = max_abs_diff(ref, backend->download(out_b.at("output")).data_as<float>(), n);
    const double dc = max_abs_diff(ref, backend->download(out_c.at("output")).data_as<float>(), n);
    const double dd = max_abs_diff(ref, backend->download(out_d.at("output")).data_as<float>(), n);
    const double df = max_abs_diff(ref, out_f.data_as<float>(), n);
    const double tol = 1e-4;
    std::printf("%s: max |diff| vs A: B %.2e, C %.2e, D %.2e, F %.2e (tolerance %.0e)\n", s.name().c_str(), db, dc,
                dd, df, tol);
    if (db > tol || dc > tol || dd > tol || df > tol) {
      std::fprintf(stderr, "bench_attention: results differ from direct oneDNN beyond tolerance; not timing\n");
      return 1;
    }

    loom::bench::Case c;
    c.name = s.name() + " fp32";
    c.flops = s.flops();
    c.variants = {
        {"A direct oneDNN", [&] { direct.run(); }, 0},
        {"B loom mha", [&] { out_b = blocked->forward(in); }, 0},
        {"C loom unblocked", [&] { out_c = unblocked->forward(in); }, 0},
        {"D loom + weights", [&] { out_d = blocked->forward(in, true); }, 0},
        {"F direct fused qkv", [&] { fused.run(); }, 0},
    };
    harness.run(c);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_attention: %s: %s\n", s.name().c_str(), e.what());
    ++failures;
  }
  const int rc = harness.finish();
  return failures ? 1 : rc;
}
