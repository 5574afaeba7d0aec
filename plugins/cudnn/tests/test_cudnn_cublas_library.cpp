// The cudnn plugin opens cuBLAS with dlopen when a backend is made
// (cublas_library.hpp). Checked here, with no GPU needed: the library opens
// and every entry point resolves; calls through the pointers answer (status
// names, and handle creation failing cleanly where there is no device); and
// loading the plugin does not map cuBLAS, which is the point of opening it late.
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "cublas_library.hpp"

using loom::cudnn::cublas_library;
using loom::cudnn::CublasLibrary;

namespace {

bool mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("loading the cudnn plugin does not map cuBLAS") {
  REQUIRE_FALSE(mapped("libcublas"));
  void* plugin = dlopen(LOOM_CUDNN_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(plugin != nullptr, dlerror());
  CHECK(dlsym(plugin, "loom_plugin_entry") != nullptr);
  CHECK_FALSE(mapped("libcublas"));
}

TEST_CASE("cuBLAS opens on first use, every entry point resolves, calls go through") {
  const CublasLibrary& lib = cublas_library();
  CHECK(mapped("libcublas.so"));
  CHECK((lib.create != nullptr));
  CHECK((lib.destroy != nullptr));
  CHECK((lib.set_stream != nullptr));
  CHECK((lib.set_math_mode != nullptr));
  CHECK((lib.set_workspace != nullptr));
  CHECK((lib.gemm_strided_batched_ex != nullptr));
  CHECK(&cublas_library() == &lib);  // opened once

  CHECK(std::string(lib.status_name(CUBLAS_STATUS_NOT_SUPPORTED)) == "CUBLAS_STATUS_NOT_SUPPORTED");
  CHECK(std::string(lib.status_name(CUBLAS_STATUS_ALLOC_FAILED)) == "CUBLAS_STATUS_ALLOC_FAILED");
  CHECK_FALSE(std::string(lib.status_string(CUBLAS_STATUS_ALLOC_FAILED)).empty());

  // A handle needs a device: without one, creation must fail with a status,
  // not crash; with one, it must succeed and destroy cleanly.
  cublasHandle_t handle = nullptr;
  const cublasStatus_t status = lib.create(&handle);
  if (status == CUBLAS_STATUS_SUCCESS) {
    CHECK(lib.destroy(handle) == CUBLAS_STATUS_SUCCESS);
  } else {
    CHECK(status == CUBLAS_STATUS_NOT_INITIALIZED);
  }
}
