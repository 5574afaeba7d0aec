// bench_recurrent: Loom's lstm / gru / rnn layers (recurrent plugin) on the
// onednn backend against oneDNN's RNN primitives called directly.
//
// How to run (plugins are found next to libloom-core, in
// <build>/lib/loom/plugins, so no path setting is needed):
//
//   build/bin/bench_recurrent --threads 2
//   build/bin/bench_recurrent --threads 2 --cell lstm --shape 128x32x512x512 --json rnn.json
//
// Cases (default): each of lstm, gru, rnn (tanh) on T=128 N=32 512->512 and on
// T=128 N=1 (batch 1), plus one decoder step (T=1 N=32, states in and out).
// Variants of each case, run interleaved (see bench_harness.hpp):
//   A direct       the oneDNN primitive (lstm_forward, lbr_gru_forward,
//                  vanilla_rnn_forward), created once, weights reordered once
//                  to the layout it asks for (format any): the kernel alone
//   B loom rnn op  Backend::rnn_forward with weights from Backend::rnn_pack:
//                  the host wrapper, plugin boundary and the backend's op
//   C loom layer   the recurrent plugin's layer forward(): output
//                  allocation, input checks and the op; what a model runs
//   D direct plain the same primitive with weights in the plain ldigo layout,
//                  which makes oneDNN 2.x run its GEMM-based kernel instead
//                  of brgemm; the onednn backend does this for 2 <= N <= 4,
//                  where it is faster (plugins/onednn/rnn.cpp). At N = 1 the
//                  backend runs its own kernels (rnn_small_batch.cpp) on
//                  AVX-512 CPUs, so there D is simply the fastest direct run.
// All variants compute output, h_n (and c_n); the step case also reads h0
// (and c0). "x base" is B's and C's throughput relative to the direct run of
// the kernel the backend picks (A for N > 4, D for N <= 4; at N = 1 the
// fastest oneDNN kernel, D). Targets
// (docs/performance.md): C >= 0.90 x that; fraction of peak at N=32: LSTM >=
// 0.80, GRU >= 0.75. The step case shows what one decoder step costs next to
// the full sequence's cost per step.
//
// --threads N goes to the onednn backend's `threads` option and to
// omp_set_num_threads for the direct path (both share one OpenMP runtime).
#include <omp.h>

#include <algorithm>
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
    "Recurrent options:\n"
    "  --cell C        lstm, gru or rnn (tanh); repeatable; default all three\n"
    "  --shape S       TxNxIxH (steps, batch, input, hidden); repeatable;\n"
    "                  default 128x32x512x512 and 128x1x512x512\n"
    "  --no-step       skip the decoder-step case (T=1, N of the first shape, states in and out)\n"
    "  --plugin-dir D  search D for plugins before the default folders\n";

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct RnnShape {
  int64_t t = 0, n = 0, input = 0, hidden = 0;
  bool states_in = false;  // h0 (and c0) given: the decoder-step case
  std::string name() const {
    return "T=" + std::to_string(t) + " N=" + std::to_string(n) + " " + std::to_string(input) + "->" +
           std::to_string(hidden) + (states_in ? " (step, states in/out)" : "");
  }
};

RnnShape parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t x = text.find('x', pos);
    std::string part = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    dims.push_back(loom::bench::detail::to_long("--shape", part, 1, 1L << 20));
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  if (dims.size() != 4) throw std::invalid_argument("--shape: expected TxNxIxH, got '" + text + "'");
  return RnnShape{dims[0], dims[1], dims[2], dims[3], false};
}

int gates_of(const std::string& cell) { return cell == "lstm" ? 4 : cell == "gru" ? 3 : 1; }

using loom::bench::fill_random;
using loom::bench::max_abs_diff;

// PyTorch-layout weights of one layer, one direction, as a state_dict has them.
struct TorchWeights {
  loom::Tensor w_ih, w_hh, b_ih, b_hh;  // [G*H, I], [G*H, H], [G*H], [G*H]
};

// The oneDNN primitive of one cell, created once; run() is the timed call.
// Written from oneDNN's documentation, independently of the onednn plugin.
struct DirectRnn {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  std::string impl;

  DirectRnn(dnnl::engine& eng, dnnl::stream& strm, const std::string& cell, const RnnShape& s, const TorchWeights& w,
            float* src, float* h0, float* c0, float* dst, float* hn, float* cn, bool plain_weights) {
    const int64_t G = gates_of(cell), H = s.hidden, I = s.input;
    const bool lstm = cell == "lstm", gru = cell == "gru";
    const dnnl::memory::desc src_md({s.t, s.n, I}, dt::f32, tag::tnc);
    const dnnl::memory::desc dst_md({s.t, s.n, H}, dt::f32, tag::tnc);
    const dnnl::memory::desc iter_md({1, 1, s.n, H}, dt::f32, tag::ldnc);
    const dnnl::memory::desc src_iter_md = s.states_in ? iter_md : dnnl::memory::desc();
    const tag w_tag = plain_weights ? tag::ldigo : tag::any;
    const dnnl::memory::desc wl_any({1, 1, I, G, H}, dt::f32, w_tag), wi_any({1, 1, H, G, H}, dt::f32, w_tag);
    const int64_t bias_gates = gru ? 4 : G;
    const dnnl::memory::desc bias_md({1, 1, bias_gates, H}, dt::f32, tag::ldgo);
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;

    dnnl::memory::desc wl_md, wi_md;
    if (lstm) {
      dnnl::lstm_forward::primitive_desc pd(
          dnnl::lstm_forward::desc(prop, dir, src_md, src_iter_md, src_iter_md, wl_any, wi_any, bias_md, dst_md,
                                   iter_md, iter_md),
          eng);
      prim = dnnl::lstm_forward(pd);
      impl = pd.impl_info_str();
      wl_md = pd.weights_layer_desc();
      wi_md = pd.weights_iter_desc();
    } else if (gru) {
      dnnl::lbr_gru_forward::primitive_desc pd(
          dnnl::lbr_gru_forward::desc(prop, dir, src_md, src_iter_md, wl_any, wi_any, bias_md, dst_md, iter_md), eng);
      prim = dnnl::lbr_gru_forward(pd);
      impl = pd.impl_info_str();
      wl_md = pd.weights_layer_desc();
      wi_md = pd.weights_iter_desc();
    } else {
      dnnl::vanilla_rnn_forward::primitive_desc pd(
          dnnl::vanilla_rnn_forward::desc(prop, dnnl::algorithm::eltwise_tanh, dir, src_md, src_iter_md, wl_any,
                                          wi_any, bias_md, dst_md, iter_md),
          eng);
      prim = dnnl::vanilla_rnn_forward(pd);
      impl = pd.impl_info_str();
      wl_md = pd.weights_layer_desc();
      wi_md = pd.weights_iter_desc();
    }

    // oneDNN's gate g is PyTorch's gate torch_gate(g): GRU's u, r, o are z, r, n.
    auto torch_gate = [&](int64_t g) { return gru ? (g == 0 ? 1 : g == 1 ? 0 : 2) : g; };
    // PyTorch [G*H, K] -> oneDNN's plain ldigo [1, 1, K, G, H], then the primitive's layout.
    auto weights = [&](const loom::Tensor& m, int64_t k, const dnnl::memory::desc& want) {
      dnnl::memory plain({{1, 1, k, G, H}, dt::f32, tag::ldigo}, eng);
      float* out = static_cast<float*>(plain.get_data_handle());
      const float* in = m.data_as<float>();
      for (int64_t i = 0; i < k; ++i)
        for (int64_t g = 0; g < G; ++g)
          for (int64_t o = 0; o < H; ++o) *out++ = in[(torch_gate(g) * H + o) * k + i];
      if (want == plain.get_desc()) return plain;
      dnnl::memory packed(want, eng);
      dnnl::reorder(plain, packed).execute(strm, plain, packed);
      strm.wait();
      return packed;
    };
    dnnl::memory bias(bias_md, eng);
    {
      float* b = static_cast<float*>(bias.get_data_handle());
      const float* bi = w.b_ih.data_as<float>();
      const float* bh = w.b_hh.data_as<float>();
      for (int64_t g = 0; g < bias_gates; ++g)
        for (int64_t o = 0; o < H; ++o) {
          if (gru && g == 2)
            b[g * H + o] = bi[2 * H + o];  // b_in
          else if (gru && g == 3)
            b[g * H + o] = bh[2 * H + o];  // b_hn, inside r * (W_hn h + b_hn)
          else
            b[g * H + o] = bi[torch_gate(g) * H + o] + bh[torch_gate(g) * H + o];
        }
    }
    args[DNNL_ARG_SRC_LAYER] = dnnl::memory(src_md, eng, src);
    args[DNNL_ARG_WEIGHTS_LAYER] = weights(w.w_ih, I, wl_md);
    args[DNNL_ARG_WEIGHTS_ITER] = weights(w.w_hh, H, wi_md);
    args[DNNL_ARG_BIAS] = bias;
    args[DNNL_ARG_DST_LAYER] = dnnl::memory(dst_md, eng, dst);
    args[DNNL_ARG_DST_ITER] = dnnl::memory(iter_md, eng, hn);
    if (lstm) args[DNNL_ARG_DST_ITER_C] = dnnl::memory(iter_md, eng, cn);
    if (s.states_in) {
      args[DNNL_ARG_SRC_ITER] = dnnl::memory(iter_md, eng, h0);
      if (lstm) args[DNNL_ARG_SRC_ITER_C] = dnnl::memory(iter_md, eng, c0);
    }
  }

  void run(dnnl::stream& strm) {
    prim.execute(strm, args);
    strm.wait();
  }
};

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_recurrent", kHelp);
  std::vector<std::string> cells;
  std::vector<RnnShape> shapes;
  bool step_case = true;
  std::vector<std::filesystem::path> plugin_dirs;
  try {
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (loom::bench::detail::take_value(opt.rest, i, "--cell", v)) {
        if (v != "lstm" && v != "gru" && v != "rnn")
          throw std::invalid_argument("--cell: expected lstm, gru or rnn, got '" + v + "'");
        cells.push_back(v);
      } else if (loom::bench::detail::take_value(opt.rest, i, "--shape", v)) {
        shapes.push_back(parse_shape(v));
      } else if (loom::bench::detail::take_value(opt.rest, i, "--plugin-dir", v)) {
        plugin_dirs.emplace_back(v);
      } else if (opt.rest[i] == "--no-step") {
        step_case = false;
      } else {
        throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_recurrent: %s (see --help)\n", e.what());
    return 2;
  }
  if (cells.empty()) cells = {"lstm", "gru", "rnn"};
  if (shapes.empty()) shapes = {RnnShape{128, 32, 512, 512, false}, RnnShape{128, 1, 512, 512, false}};
  if (step_case) shapes.push_back(RnnShape{1, shapes.front().n, shapes.front().input, shapes.front().hidden, true});

  omp_set_num_threads(opt.threads);

  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    backend = plugins.create_backend("onednn", {{"threads", std::to_string(opt.threads)}});
    if (plugins.layer_factories("lstm").empty()) throw loom::NotFound("no 'lstm' layer: the recurrent plugin is missing");
  } catch (const std::exception& e) {
    return loom::bench::report_setup_failure("bench_recurrent", "the onednn backend and the recurrent plugin", e, plugins);
  }

  loom::bench::Harness harness("Loom recurrent layers (onednn backend) vs direct oneDNN RNN primitives, fp32", opt);
  {
    loom::bench::add_onednn_info(harness, *backend, opt.threads);
    harness.add_info("flops", "2 * gates * H * (I + H) * T * N per call (the two GEMMs; gate math not counted)");
    harness.add_info("variants",
                     "A direct oneDNN primitive (weights format any, reordered once); B Loom Backend::rnn_forward "
                     "(rnn_pack once); C Loom layer forward (recurrent plugin); D direct with plain ldigo weights "
                     "(oneDNN's GEMM-based kernel). x base of B and C: the direct run of the kernel the backend "
                     "picks (D for N <= 4, else A; at N = 1 the backend's own kernels vs D, oneDNN's fastest)");
  }
  harness.begin();

  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  int failures = 0;
  std::vector<std::string> verdicts;

  for (const std::string& cell : cells) {
    for (size_t si = 0; si < shapes.size(); ++si) {
      const RnnShape& s = shapes[si];
      const int64_t G = gates_of(cell), H = s.hidden, I = s.input, T = s.t, N = s.n;
      const std::string case_name = cell + (cell == "rnn" ? " (tanh) " : " ") + s.name();
      try {
        using loom::DType;
        const uint64_t seed = 1000 * (si + 1) + static_cast<uint64_t>(G);
        // torch's default initialisation range, U(-1/sqrt(H), 1/sqrt(H)).
        const float k = 1.0f / std::sqrt(static_cast<float>(H));
        TorchWeights w{loom::Tensor::host(DType::f32, {G * H, I}), loom::Tensor::host(DType::f32, {G * H, H}),
                       loom::Tensor::host(DType::f32, {G * H}), loom::Tensor::host(DType::f32, {G * H})};
        fill_random(w.w_ih.data_as<float>(), w.w_ih.numel(), seed + 1, k);
        fill_random(w.w_hh.data_as<float>(), w.w_hh.numel(), seed + 2, k);
        fill_random(w.b_ih.data_as<float>(), w.b_ih.numel(), seed + 3, k);
        fill_random(w.b_hh.data_as<float>(), w.b_hh.numel(), seed + 4, k);
        loom::Tensor x = loom::Tensor::host(DType::f32, {T, N, I});
        loom::Tensor h0 = loom::Tensor::host(DType::f32, {1, N, H}), c0 = loom::Tensor::host(DType::f32, {1, N, H});
        fill_random(x.data_as<float>(), x.numel(), seed + 5, 1.0f);
        fill_random(h0.data_as<float>(), h0.numel(), seed + 6, 0.5f);
        fill_random(c0.data_as<float>(), c0.numel(), seed + 7, 0.5f);

        // A
        loom::Tensor dst_a = loom::Tensor::host(DType::f32, {T, N, H});
        loom::Tensor hn_a = loom::Tensor::host(DType::f32, {1, N, H}), cn_a = loom::Tensor::host(DType::f32, {1, N, H});
        DirectRnn direct(eng, strm, cell, s, w, x.data_as<float>(), h0.data_as<float>(), c0.data_as<float>(),
                         dst_a.data_as<float>(), hn_a.data_as<float>(), cn_a.data_as<float>(), false);
        loom::Tensor dst_d = loom::Tensor::host(DType::f32, {T, N, H});
        loom::Tensor hn_d = loom::Tensor::host(DType::f32, {1, N, H}), cn_d = loom::Tensor::host(DType::f32, {1, N, H});
        DirectRnn direct_plain(eng, strm, cell, s, w, x.data_as<float>(), h0.data_as<float>(), c0.data_as<float>(),
                               dst_d.data_as<float>(), hn_d.data_as<float>(), cn_d.data_as<float>(), true);

        // B: the op, through the core's Backend.
        loom::Tensor x_dev = backend->upload(x), h0_dev = backend->upload(h0), c0_dev = backend->upload(c0);
        loom_rnn_desc desc{};
        desc.struct_size = sizeof(desc);
        desc.cell = cell == "lstm" ? LOOM_RNN_LSTM : cell == "gru" ? LOOM_RNN_GRU : LOOM_RNN_TANH;
        desc.input_size = I;
        desc.hidden_size = H;
        desc.num_layers = 1;
        desc.bidirectional = 0;
        loom::Backend::Packed packed = backend->rnn_pack(
            desc, {{backend->upload(w.w_ih)}, {backend->upload(w.w_hh)}, {backend->upload(w.b_ih)},
                   {backend->upload(w.b_hh)}});
        loom::Backend::RnnIO io_b;
        io_b.src = x_dev;
        io_b.dst = backend->empty(DType::f32, {T, N, H});
        io_b.hn = backend->empty(DType::f32, {1, N, H});
        if (cell == "lstm") io_b.cn = backend->empty(DType::f32, {1, N, H});
        if (s.states_in) {
          io_b.h0 = h0_dev;
          if (cell == "lstm") io_b.c0 = c0_dev;
        }

        // C: the layer, weights from a state_dict-like map.
        loom::MemoryWeights weights;
        weights.add("weight_ih_l0", w.w_ih);
        weights.add("weight_hh_l0", w.w_hh);
        weights.add("bias_ih_l0", w.b_ih);
        weights.add("bias_hh_l0", w.b_hh);
        loom::OptionMap options{{"input_size", std::to_string(I)}, {"hidden_size", std::to_string(H)}};
        std::unique_ptr<loom::Layer> layer = plugins.create_layer(cell, backend, options, &weights, "bench_" + cell);
        loom::TensorMap in{{"input", x_dev}};
        if (s.states_in) {
          in["h0"] = h0_dev;
          if (cell == "lstm") in["c0"] = c0_dev;
        }
        loom::TensorMap out_c;

        // Check B, C and D against A once before timing.
        direct.run(strm);
        direct_plain.run(strm);
        backend->rnn_forward(packed, io_b);
        out_c = layer->forward(in);
        const int64_t n_out = T * N * H, n_state = N * H;
        const loom::Tensor yb = backend->download(io_b.dst), yc = backend->download(out_c.at("output"));
        const loom::Tensor hb = backend->download(io_b.hn), hc = backend->download(out_c.at("h_n"));
        double diff = std::max({max_abs_diff(dst_a.data_as<float>(), yb.data_as<float>(), n_out),
                                max_abs_diff(dst_a.data_as<float>(), yc.data_as<float>(), n_out),
                                max_abs_diff(hn_a.data_as<float>(), hb.data_as<float>(), n_state),
                                max_abs_diff(hn_a.data_as<float>(), hc.data_as<float>(), n_state),
                                max_abs_diff(dst_a.data_as<float>(), dst_d.data_as<float>(), n_out),
                                max_abs_diff(hn_a.data_as<float>(), hn_d.data_as<float>(), n_state)});
        if (cell == "lstm") {
          const loom::Tensor cb = backend->download(io_b.cn), cc = backend->download(out_c.at("c_n"));
          diff = std::max({diff, max_abs_diff(cn_a.data_as<float>(), cb.data_as<float>(), n_state),
                           max_abs_diff(cn_a.data_as<float>(), cc.data_as<float>(), n_state)});
        }
        const double tol = 1e-4;
        std::printf("%s: max |diff| of B, C and D vs A %.2e (tolerance %.0e); A impl %s, D impl %s\n",
                    case_name.c_str(), diff, tol, direct.impl.c_str(), direct_plain.impl.c_str());
        if (!(diff <= tol)) {
          std::fprintf(stderr, "bench_recurrent: %s: results differ from direct oneDNN; not timing it\n",
                       case_name.c_str());
          ++failures;
          continue;
        }

        loom::bench::Case c;
        c.name = case_name;
        c.flops = 2.0 * static_cast<double>(G * H) * static_cast<double>(I + H) * static_cast<double>(T * N);
        // The direct run of the kernel the backend picks (see plugins/onednn/rnn.cpp).
        const int same_kernel = N <= 4 ? 3 : 0;
        c.variants = {
            {"A direct", [&] { direct.run(strm); }, 0},
            {"B loom rnn op", [&] { backend->rnn_forward(packed, io_b); }, same_kernel},
            {"C loom layer", [&] { out_c = layer->forward(in); }, same_kernel},
            {"D direct plain", [&] { direct_plain.run(strm); }, 0},
        };
        const loom::bench::CaseResult& r = harness.run(c);
        const double layer_ratio = r.variants[2].ratio_vs_baseline;
        const double best_direct = std::min(r.variants[0].median_s, r.variants[3].median_s);
        const double vs_best = best_direct / r.variants[2].median_s;
        std::string verdict = case_name + ": layer " + std::to_string(layer_ratio).substr(0, 5) + " x direct " +
                              (same_kernel ? "plain" : "any") + " (target >= 0.90: " +
                              (layer_ratio >= 0.90 ? "met" : "NOT met") + "), " + std::to_string(vs_best).substr(0, 5) +
                              " x the faster direct";
        if (N >= 32 && T > 1 && (cell == "lstm" || cell == "gru")) {
          const double want = cell == "lstm" ? 0.80 : 0.75;
          const double frac = r.variants[2].fraction_of_peak;
          verdict += ", layer at " + std::to_string(frac).substr(0, 5) + " of peak (target >= " +
                     std::to_string(want).substr(0, 4) + ": " + (frac >= want ? "met" : "NOT met") +
                     "; direct at " + std::to_string(r.variants[0].fraction_of_peak).substr(0, 5) + ")";
        }
        verdicts.push_back(verdict);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_recurrent: %s: %s\n", case_name.c_str(), e.what());
        ++failures;
      }
    }
  }
  std::printf("Summary against the targets:\n");
  for (const auto& v : verdicts) std::printf("  %s\n", v.c_str());
  int rc = harness.finish();
  return failures ? 1 : rc;
}
