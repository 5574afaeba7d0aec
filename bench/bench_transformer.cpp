// bench_transformer: Loom's transformer_encoder_layer (transformer plugin,
// onednn backend) against the same layer composed from raw oneDNN
// primitives, and the decoder's time per generated token with its key/value
// cache.
//
// How to run (plugins are found next to libloom-core):
//
//   build/bin/bench_transformer --threads 2                 # encoder layer + decoder steps
//   build/bin/bench_transformer --threads 2 --batch 8 --seq 512 --dim 512 --heads 8 --ff 2048
//   build/bin/bench_transformer --threads 2 --skip-decoder
//
// Encoder layer variants (x [N, L, E] batch_first, post-norm, relu, weights as
// torch.nn.TransformerEncoderLayer stores them), run interleaved:
//   A direct oneDNN  q, k, v = three matmuls (weights reordered once); heads
//                    read in place through strided descriptors; Q K^T with
//                    output scale; softmax_v2 in place; P V written in
//                    [N, L, E] order; out_proj matmul with a sum post-op onto
//                    a copy of x; layer_normalization; linear1 with a relu
//                    post-op; linear2 with a sum post-op; layer_normalization.
//                    Primitives made once, no query blocking.
//   B loom layer     transformer_encoder_layer, block_size 128
//   C loom unblocked block_size = L
// Targets (docs/performance.md): B >= 0.75 of peak, B >= 0.90 x A.
//
// Decoder (transformer_decoder_layer, batch 1, memory of --memory-len
// positions, incremental): for t = 16 .. --max-t, one step of one new token
// with a cache of t positions (variant "cached step"), next to recomputing the
// whole prefix of t + 1 positions without a cache ("full prefix"). The cached
// step also reuses the memory's cross-attention keys/values.
#include <omp.h>

#include <cmath>
#include <cstdio>
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
    "Transformer options:\n"
    "  --batch N        batch size (default 8)\n"
    "  --seq L          sequence length (default 512)\n"
    "  --dim E          d_model (default 512)\n"
    "  --heads H        nhead (default 8)\n"
    "  --ff F           dim_feedforward (default 2048)\n"
    "  --max-t T        longest cache in the decoder timing (default 512)\n"
    "  --memory-len S   encoder memory positions in the decoder timing (default 64)\n"
    "  --skip-decoder   time the encoder layer only\n"
    "  --skip-encoder   time the decoder steps only\n"
    "  --plugin-dir D   search D for plugins before the default folders\n";

using dnnl::memory;
using tag = memory::format_tag;
constexpr memory::data_type f32 = memory::data_type::f32;

struct Dims {
  int64_t n = 8, l = 512, e = 512, h = 8, f = 2048;
  int64_t hd() const { return e / h; }
  std::string name() const {
    return "encoder layer N=" + std::to_string(n) + " L=" + std::to_string(l) + " E=" + std::to_string(e) +
           " H=" + std::to_string(h) + " FF=" + std::to_string(f);
  }
  double flops() const {
    const double m = static_cast<double>(n * l), ee = static_cast<double>(e), ff = static_cast<double>(f);
    const double proj = 2.0 * m * ee * 4 * ee, mlp = 2.0 * 2.0 * m * ee * ff;
    const double attn = 2.0 * 2.0 * static_cast<double>(n * h) * static_cast<double>(l) * static_cast<double>(l) *
                        static_cast<double>(hd());
    return proj + mlp + attn;
  }
};

using loom::bench::fill_random;
using loom::bench::max_abs_diff;
using loom::bench::random_tensor;

// Weights of one layer under torch's names (encoder or decoder layer).
struct LayerWeights {
  loom::MemoryWeights weights;
  std::unordered_map<std::string, loom::Tensor> host;
  void add(const std::string& name, const loom::Shape& shape, uint64_t seed, float scale, float offset = 0.0f) {
    loom::Tensor t = random_tensor(shape, seed, scale);
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] += offset;
    host[name] = t;
    weights.add(name, t);
  }
  void add_attention(const std::string& p, int64_t e, uint64_t seed) {
    const float ws = 1.0f / std::sqrt(static_cast<float>(e));
    add(p + "in_proj_weight", {3 * e, e}, seed, ws);
    add(p + "in_proj_bias", {3 * e}, seed + 1, 0.1f);
    add(p + "out_proj.weight", {e, e}, seed + 2, ws);
    add(p + "out_proj.bias", {e}, seed + 3, 0.1f);
  }
  void add_rest(int64_t e, int64_t f, int norms, uint64_t seed) {
    add("linear1.weight", {f, e}, seed, 1.0f / std::sqrt(static_cast<float>(e)));
    add("linear1.bias", {f}, seed + 1, 0.1f);
    add("linear2.weight", {e, f}, seed + 2, 1.0f / std::sqrt(static_cast<float>(f)));
    add("linear2.bias", {e}, seed + 3, 0.1f);
    for (int i = 1; i <= norms; ++i) {
      add("norm" + std::to_string(i) + ".weight", {e}, seed + 4 + 2 * static_cast<uint64_t>(i), 0.1f, 1.0f);
      add("norm" + std::to_string(i) + ".bias", {e}, seed + 5 + 2 * static_cast<uint64_t>(i), 0.1f);
    }
  }
  float* at(const std::string& name) { return host.at(name).data_as<float>(); }
};

// The encoder layer from raw oneDNN primitives; every primitive and buffer
// made once.
struct DirectEncoderLayer {
  dnnl::engine& eng;
  dnnl::stream& strm;
  Dims s;
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps;
  std::vector<memory> buffers;

  float* buffer(memory::dim elements) {
    buffers.emplace_back(memory::desc({elements}, f32, tag::a), eng);
    return static_cast<float*>(buffers.back().get_data_handle());
  }

  memory weights_for(const dnnl::matmul::primitive_desc& pd, const memory::desc& user_md, float* data) {
    memory user(user_md, eng, data);
    if (pd.weights_desc() == user_md) return user;
    memory w(pd.weights_desc(), eng);
    dnnl::reorder(user, w).execute(strm, user, w);
    strm.wait();
    return w;
  }

  // dst [M, out] (=|+=) act(src [M, in] W^T + b).
  void linear(float* src, memory::dim in, float* w, float* b, memory::dim out, float* dst, bool relu, bool sum) {
    const memory::dim M = s.n * s.l;
    memory::desc x_md({M, in}, f32, tag::ab), w_md({in, out}, f32, tag::any), b_md({1, out}, f32, tag::ab),
        d_md({M, out}, f32, tag::ab);
    dnnl::primitive_attr attr;
    dnnl::post_ops po;
    if (relu) po.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    if (sum) po.append_sum(1.0f);
    attr.set_post_ops(po);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x_md, w_md, b_md, d_md), attr, eng);
    memory wm = weights_for(pd, memory::desc({in, out}, f32, tag::ba), w);
    steps.push_back({dnnl::matmul(pd), {{DNNL_ARG_SRC, memory(x_md, eng, src)},
                                        {DNNL_ARG_WEIGHTS, wm},
                                        {DNNL_ARG_BIAS, memory(b_md, eng, b)},
                                        {DNNL_ARG_DST, memory(d_md, eng, dst)}}});
  }

  void layer_norm(float* src, float* gamma, float* beta, float* dst) {
    memory::desc md({s.n * s.l, s.e}, f32, tag::ab), v_md({s.e}, f32, tag::a);
    dnnl::layer_normalization_forward::primitive_desc pd(
        dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_inference, md, 1e-5f,
                                                dnnl::normalization_flags::use_scale |
                                                    dnnl::normalization_flags::use_shift),
        eng);
    steps.push_back({dnnl::layer_normalization_forward(pd), {{DNNL_ARG_SRC, memory(md, eng, src)},
                                                             {DNNL_ARG_SCALE, memory(v_md, eng, gamma)},
                                                             {DNNL_ARG_SHIFT, memory(v_md, eng, beta)},
                                                             {DNNL_ARG_DST, memory(md, eng, dst)}}});
  }

  DirectEncoderLayer(dnnl::engine& e, dnnl::stream& st, const Dims& d, float* x, LayerWeights& w, float* out)
      : eng(e), strm(st), s(d) {
    const memory::dim N = s.n, L = s.l, E = s.e, H = s.h, D = s.hd(), M = N * L;
    float* w_in = w.at("self_attn.in_proj_weight");
    float* b_in = w.at("self_attn.in_proj_bias");
    float *q = buffer(M * E), *k = buffer(M * E), *v = buffer(M * E);
    linear(x, E, w_in, b_in, E, q, false, false);
    linear(x, E, w_in + E * E, b_in + E, E, k, false, false);
    linear(x, E, w_in + 2 * E * E, b_in + 2 * E, E, v, false, false);
    float* scores = buffer(N * H * L * L);
    memory::desc q_md({N, H, L, D}, f32, memory::dims{L * E, D, E, 1});
    memory::desc k_md({N, H, D, L}, f32, memory::dims{L * E, D, 1, E});
    memory::desc s_md({N, H, L, L}, f32, tag::abcd);
    {
      dnnl::primitive_attr attr;
      attr.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(D))});
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(q_md, k_md, s_md), attr, eng);
      steps.push_back({dnnl::matmul(pd), {{DNNL_ARG_SRC, memory(q_md, eng, q)},
                                          {DNNL_ARG_WEIGHTS, memory(k_md, eng, k)},
                                          {DNNL_ARG_DST, memory(s_md, eng, scores)}}});
      dnnl::softmax_v2_forward::primitive_desc spd(
          dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate, s_md,
                                         s_md, 3),
          eng);
      steps.push_back({dnnl::softmax_v2_forward(spd),
                       {{DNNL_ARG_SRC, memory(s_md, eng, scores)}, {DNNL_ARG_DST, memory(s_md, eng, scores)}}});
    }
    float* context = buffer(M * E);
    {
      memory::desc v_md({N, H, L, D}, f32, memory::dims{L * E, D, E, 1});
      memory::desc c_md({N, H, L, D}, f32, memory::dims{L * E, D, E, 1});
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(s_md, v_md, c_md), eng);
      steps.push_back({dnnl::matmul(pd), {{DNNL_ARG_SRC, memory(s_md, eng, scores)},
                                          {DNNL_ARG_WEIGHTS, memory(v_md, eng, v)},
                                          {DNNL_ARG_DST, memory(c_md, eng, context)}}});
    }
    // r = x + out_proj(context): copy x, then a matmul with a sum post-op.
    float* r = buffer(M * E);
    {
      memory::desc md({M, E}, f32, tag::ab);
      memory src(md, eng, x), dst(md, eng, r);
      steps.push_back({dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}}});
    }
    linear(context, E, w.at("self_attn.out_proj.weight"), w.at("self_attn.out_proj.bias"), E, r, false, true);
    float* y = buffer(M * E);
    layer_norm(r, w.at("norm1.weight"), w.at("norm1.bias"), y);
    float* hidden = buffer(M * s.f);
    linear(y, E, w.at("linear1.weight"), w.at("linear1.bias"), s.f, hidden, true, false);
    linear(hidden, s.f, w.at("linear2.weight"), w.at("linear2.bias"), E, y, false, true);
    layer_norm(y, w.at("norm2.weight"), w.at("norm2.bias"), out);
  }

  void run() {
    for (auto& [p, args] : steps) p.execute(strm, args);
    strm.wait();
  }
};

loom::OptionMap layer_options(const Dims& s, int64_t block) {
  return {{"d_model", std::to_string(s.e)},          {"nhead", std::to_string(s.h)},
          {"dim_feedforward", std::to_string(s.f)}, {"batch_first", "true"},
          {"block_size", std::to_string(block)}};
}

int run_encoder(loom::PluginManager& plugins, const std::shared_ptr<loom::Backend>& backend, const Dims& s,
                loom::bench::Harness& harness) {
  LayerWeights w;
  w.add_attention("self_attn.", s.e, 10);
  w.add_rest(s.e, s.f, 2, 20);
  loom::Tensor x = random_tensor({s.n, s.l, s.e}, 1, 1.0f);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  loom::Tensor out_a = loom::Tensor::host(loom::DType::f32, {s.n, s.l, s.e});
  DirectEncoderLayer direct(eng, strm, s, x.data_as<float>(), w, out_a.data_as<float>());
  auto blocked = plugins.create_layer("transformer_encoder_layer", backend, layer_options(s, 128), &w.weights, "enc");
  auto unblocked =
      plugins.create_layer("transformer_encoder_layer", backend, layer_options(s, s.l), &w.weights, "enc_unblocked");
  const loom::TensorMap in{{"src", backend->upload(x)}};
  loom::TensorMap out_b, out_c;
  direct.run();
  out_b = blocked->forward(in);
  out_c = unblocked->forward(in);
  const int64_t n = out_a.numel();
  const double db = max_abs_diff(out_a.data_as<float>(), backend->download(out_b.at("output")).data_as<float>(), n);
  const double dc = max_abs_diff(out_a.data_as<float>(), backend->download(out_c.at("output")).data_as<float>(), n);
  std::printf("%s: max |diff| vs A: B %.2e, C %.2e (tolerance 1e-4)\n", s.name().c_str(), db, dc);
  if (db > 1e-4 || dc > 1e-4) {
    std::fprintf(stderr, "bench_transformer: results differ from direct oneDNN beyond tolerance; not timing\n");
    return 1;
  }
  loom::bench::Case c;
  c.name = s.name() + " fp32";
  c.flops = s.flops();
  c.variants = {
      {"A direct oneDNN", [&] { direct.run(); }, 0},
      {"B loom encoder layer", [&] { out_b = blocked->forward(in); }, 0},
      {"C loom unblocked", [&] { out_c = unblocked->forward(in); }, 0},
  };
  harness.run(c);
  return 0;
}

void run_decoder(loom::PluginManager& plugins, const std::shared_ptr<loom::Backend>& backend, const Dims& s,
                 int64_t max_t, int64_t memory_len, loom::bench::Harness& harness) {
  LayerWeights w;
  w.add_attention("self_attn.", s.e, 30);
  w.add_attention("multihead_attn.", s.e, 40);
  w.add_rest(s.e, s.f, 3, 50);
  loom::OptionMap o = layer_options(s, 128);
  o["incremental"] = "true";
  auto step = plugins.create_layer("transformer_decoder_layer", backend, o, &w.weights, "dec_step");
  auto full = plugins.create_layer("transformer_decoder_layer", backend, layer_options(s, 128), &w.weights, "dec_full");
  const loom::Tensor memory = backend->upload(random_tensor({1, memory_len, s.e}, 60, 1.0f));
  for (int64_t t = 16; t <= max_t; t *= 2) {
    const loom::Tensor prefix = backend->upload(random_tensor({1, t, s.e}, 70 + static_cast<uint64_t>(t), 1.0f));
    const loom::Tensor whole = backend->upload(random_tensor({1, t + 1, s.e}, 80 + static_cast<uint64_t>(t), 1.0f));
    const loom::Tensor token = backend->upload(random_tensor({1, 1, s.e}, 90 + static_cast<uint64_t>(t), 1.0f));
    const loom::TensorMap cache = step->forward({{"tgt", prefix}, {"memory", memory}});
    const loom::TensorMap in_step{{"tgt", token},
                                  {"memory", memory},
                                  {"cache_key", cache.at("cache_key")},
                                  {"cache_value", cache.at("cache_value")},
                                  {"memory_key", cache.at("memory_key")},
                                  {"memory_value", cache.at("memory_value")}};
    const loom::TensorMap in_full{{"tgt", whole}, {"memory", memory}};
    loom::TensorMap out;
    loom::bench::Case c;
    c.name = "decoder layer, one new token after t=" + std::to_string(t) + " (batch 1, memory " +
             std::to_string(memory_len) + ", E=" + std::to_string(s.e) + ")";
    c.variants = {
        {"cached step", [&] { out = step->forward(in_step); }, 0},
        {"full prefix t+1", [&] { out = full->forward(in_full); }, 0},
    };
    harness.run(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_transformer", kHelp);
  Dims s;
  int64_t max_t = 512, memory_len = 64;
  bool skip_decoder = false, skip_encoder = false;
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
      else if (take_value(opt.rest, i, "--ff", v)) s.f = to_long("--ff", v, 1, 1 << 20);
      else if (take_value(opt.rest, i, "--max-t", v)) max_t = to_long("--max-t", v, 16, 1 << 20);
      else if (take_value(opt.rest, i, "--memory-len", v)) memory_len = to_long("--memory-len", v, 1, 1 << 20);
      else if (take_value(opt.rest, i, "--plugin-dir", v)) plugin_dirs.emplace_back(v);
      else if (opt.rest[i] == "--skip-decoder") skip_decoder = true;
      else if (opt.rest[i] == "--skip-encoder") skip_encoder = true;
      else throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
    }
    if (s.e % s.h != 0) throw std::invalid_argument("--dim must be divisible by --heads");
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_transformer: %s (see --help)\n", e.what());
    return 2;
  }

  omp_set_num_threads(opt.threads);
  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    backend = plugins.create_backend("onednn", {{"threads", std::to_string(opt.threads)}});
  } catch (const std::exception& e) {
    return loom::bench::report_setup_failure("bench_transformer", "the onednn backend", e, plugins);
  }
  loom::bench::Harness harness("Loom transformer layers (onednn backend) vs raw oneDNN primitives, fp32", opt);
  loom::bench::add_onednn_info(harness, *backend, opt.threads);
  harness.add_info("encoder variants", "A direct oneDNN composition (unblocked); B Loom transformer_encoder_layer "
                                       "block_size 128; C Loom block_size = L. x base: vs A");
  harness.add_info("decoder variants", "cached step: incremental transformer_decoder_layer, one token with a cache "
                                       "of t positions; full prefix t+1: no cache, t + 1 positions");
  harness.begin();
  int failures = 0;
  try {
    if (!skip_encoder && run_encoder(plugins, backend, s, harness) != 0) ++failures;
    if (!skip_decoder) run_decoder(plugins, backend, s, max_t, memory_len, harness);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_transformer: %s\n", e.what());
    ++failures;
  }
  const int rc = harness.finish();
  return failures ? 1 : rc;
}
