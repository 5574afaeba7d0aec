// bench_overhead: Loom's per-call framework overhead on a tiny op (batch 1,
// 16 floats by default), against the same oneDNN eltwise primitive executed
// directly. Target (docs/performance.md): <= 5 microseconds above the kernel.
//
// How to run (plugins are found next to libloom-core, in
// <build>/lib/loom/plugins, so no path setting is needed):
//
//   build/bin/bench_overhead --threads 2
//   build/bin/bench_overhead --threads 1 --elements 1024 --json overhead.json
//
// Variants, run interleaved (see bench_harness.hpp), all compared with A:
//   A direct eltwise  oneDNN eltwise_relu primitive created once, executed on a
//                     stream (execute + wait): the kernel alone
//   B backend unary   loom::Backend::unary(RELU) on the onednn backend: the
//                     host wrapper, the plugin boundary and the plugin's op
//   C raw vtable      the plugin's vtable->unary called with prepared views:
//                     B without the host wrapper (its cost is B - C)
//   D relu layer      the basic-layers `relu` layer's forward() on the onednn
//                     backend: output allocation (caching allocator), the
//                     layer ABI and the op; what a pipeline pays per layer
// The "+us/call" column is the overhead above the kernel.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_harness.hpp"
#include "bench_setup.hpp"
#include "loom/loom.hpp"

namespace {

constexpr const char* kHelp =
    "Overhead options:\n"
    "  --elements N    floats in the [1, N] tensor (default 16)\n"
    "  --plugin-dir D  search D for plugins before the default folders\n";

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_overhead", kHelp);
  int64_t elements = 16;
  std::vector<std::filesystem::path> plugin_dirs;
  try {
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (loom::bench::detail::take_value(opt.rest, i, "--elements", v)) {
        elements = loom::bench::detail::to_long("--elements", v, 1, 1L << 28);
      } else if (loom::bench::detail::take_value(opt.rest, i, "--plugin-dir", v)) {
        plugin_dirs.emplace_back(v);
      } else {
        throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_overhead: %s (see --help)\n", e.what());
    return 2;
  }

  omp_set_num_threads(opt.threads);

  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  std::unique_ptr<loom::Layer> relu;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    backend = plugins.create_backend("onednn", {{"threads", std::to_string(opt.threads)}});
    relu = plugins.create_layer("relu", backend, {}, nullptr, "bench_relu");
  } catch (const std::exception& e) {
    return loom::bench::report_setup_failure("bench_overhead", "the onednn backend and the relu layer", e, plugins);
  }

  loom::bench::Harness harness("Per-call overhead: tiny relu through Loom vs a direct oneDNN eltwise primitive", opt);
  harness.add_info("tensor", "f32[1, " + std::to_string(elements) + "]");
  harness.add_info("omp_get_max_threads after backend creation", std::to_string(omp_get_max_threads()));
  harness.add_info("backend", backend->name() + " with threads=" + std::to_string(opt.threads));
  harness.add_info("variants",
                   "A direct oneDNN eltwise_relu (primitive created once); B Backend::unary; C raw vtable unary; "
                   "D relu layer forward (basic-layers)");

  int rc = 0;
  try {
    using loom::DType;
    loom::Tensor x = loom::Tensor::host(DType::f32, {1, elements});
    {
      std::mt19937_64 rng(7);
      std::uniform_real_distribution<float> dist(-1.f, 1.f);
      float* p = x.data_as<float>();
      for (int64_t i = 0; i < elements; ++i) p[i] = dist(rng);
    }
    loom::Tensor x_dev = backend->upload(x);
    loom::Tensor y_direct = loom::Tensor::host(DType::f32, {1, elements});
    loom::Tensor y_b = backend->empty(DType::f32, {1, elements});
    loom::Tensor y_c = backend->empty(DType::f32, {1, elements});
    loom::Tensor y_d;

    // A: the oneDNN eltwise primitive, created once.
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream strm(eng);
    dnnl::memory::desc md({1, elements}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
    dnnl::eltwise_forward::primitive_desc pd(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu, md, 0.f, 0.f),
        eng);
    dnnl::eltwise_forward prim(pd);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, dnnl::memory(md, eng, x.data())},
                                               {DNNL_ARG_DST, dnnl::memory(md, eng, y_direct.data())}};
    harness.add_info("direct impl", pd.impl_info_str());

    // C: the raw vtable call, views prepared once.
    const loom_backend_vtable* vt = backend->vtable();
    loom_backend* handle = backend->handle();
    const loom_tensor_view vx = x_dev.view(), vy = y_c.view();
    // loom_error is the host's opaque type, so no error object is passed: the
    // host's set_error ignores a null one, and a failure still returns a status.
    auto raw_call = [&] {
      loom_status s = vt->unary(handle, LOOM_UNARY_RELU, 0.f, 0.f, &vx, &vy, nullptr);
      if (s != LOOM_OK) throw loom::Error("raw vtable unary failed with status " + std::to_string(s), s);
    };

    // Check every variant once.
    prim.execute(strm, args);
    strm.wait();
    backend->unary(LOOM_UNARY_RELU, x_dev, y_b);
    raw_call();
    y_d = relu->forward(x_dev);
    const loom::Tensor yb = backend->download(y_b), yc = backend->download(y_c), yd = backend->download(y_d);
    for (int64_t i = 0; i < elements; ++i) {
      const float want = x.data_as<float>()[i] > 0 ? x.data_as<float>()[i] : 0.f;
      if (y_direct.data_as<float>()[i] != want || yb.data_as<float>()[i] != want || yc.data_as<float>()[i] != want ||
          yd.data_as<float>()[i] != want)
        throw loom::Error("relu results differ at element " + std::to_string(i));
    }

    loom::bench::Case c;
    c.name = "relu f32[1, " + std::to_string(elements) + "]";
    c.variants = {
        {"A direct eltwise",
         [&] {
           prim.execute(strm, args);
           strm.wait();
         },
         0},
        {"B backend unary", [&] { backend->unary(LOOM_UNARY_RELU, x_dev, y_b); }, 0},
        {"C raw vtable", raw_call, 0},
        {"D relu layer", [&] { y_d = relu->forward(x_dev); }, 0},
    };
    const loom::bench::CaseResult& r = harness.run(c);
    bool met = true;
    for (size_t i = 1; i < r.variants.size(); ++i) met = met && r.variants[i].delta_vs_baseline_us <= 5.0;
    std::printf("target <= 5 us above the kernel: %s (B %+.3f us, C %+.3f us, D %+.3f us)\n", met ? "met" : "NOT met",
                r.variants[1].delta_vs_baseline_us, r.variants[2].delta_vs_baseline_us,
                r.variants[3].delta_vs_baseline_us);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_overhead: %s\n", e.what());
    rc = 1;
  }
  int frc = harness.finish();
  return rc ? rc : frc;
}
