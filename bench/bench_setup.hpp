// Setting up a benchmark's Loom side: what every bench prints when the
// plugins cannot be loaded, and the oneDNN facts every table starts with.
#pragma once

#include <omp.h>

#include <cstdio>
#include <exception>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench_harness.hpp"
#include "loom/loom.hpp"

namespace loom::bench {

// Says why setup failed, which plugins were skipped, and how to build them.
inline int report_setup_failure(const char* bench, const std::string& what, const std::exception& e,
                                const PluginManager& plugins) {
  std::fprintf(stderr, "%s: cannot set up %s: %s\n", bench, what.c_str(), e.what());
  for (const auto& s : plugins.skipped())
    std::fprintf(stderr, "  skipped %s: %s\n", s.file.string().c_str(), s.reason.c_str());
  std::fprintf(stderr, "  (build the plugins: cmake --build <build> --target loom-all-plugins)\n");
  return 1;
}

// The oneDNN version and runtime, the thread count and the backend in use.
inline void add_onednn_info(Harness& harness, const Backend& backend, int threads) {
  const dnnl_version_t* v = dnnl_version();
  harness.add_info("oneDNN", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                 std::to_string(v->patch) + " (" +
                                 (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other") + " runtime)");
  harness.add_info("omp_get_max_threads after backend creation", std::to_string(omp_get_max_threads()));
  harness.add_info("backend", backend.name() + " with threads=" + std::to_string(threads));
}

}  // namespace loom::bench
