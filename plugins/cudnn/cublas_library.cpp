#include "cublas_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>
#include <type_traits>

#include "loom/sdk/error.hpp"

#ifndef LOOM_CUBLAS_DIR
#define LOOM_CUBLAS_DIR ""
#endif

namespace loom::cudnn {

namespace {

// CublasLibrary::GemmStridedBatchedEx is the header's declaration of the
// symbol, or this fails to compile.
static_assert(std::is_same_v<decltype(static_cast<CublasLibrary::GemmStridedBatchedEx>(&cublasGemmStridedBatchedEx)),
                             CublasLibrary::GemmStridedBatchedEx>);

const std::string kSoname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);

void* open_cublas() {
  const std::string dir = LOOM_CUBLAS_DIR;
  std::string reasons;
  for (const std::string& file : {dir.empty() ? std::string() : dir + "/" + kSoname, kSoname}) {
    if (file.empty()) continue;
    // Never closed: handles made from it live as long as the process may use them.
    if (void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    const char* why = dlerror();
    reasons += "; " + file + ": " + (why ? why : "unknown reason");
  }
  throw sdk::Error(LOOM_ERR_DEVICE, "cudnn: cannot load cuBLAS (" + reasons.substr(2) + ")");
}

template <class Fn>
void resolve(void* handle, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn) throw sdk::Error(LOOM_ERR_DEVICE, "cudnn: " + kSoname + " has no symbol '" + name + "'");
}

CublasLibrary load() {
  void* handle = open_cublas();
  CublasLibrary lib;
  resolve(handle, "cublasCreate_v2", lib.create);
  resolve(handle, "cublasDestroy_v2", lib.destroy);
  resolve(handle, "cublasSetStream_v2", lib.set_stream);
  resolve(handle, "cublasSetMathMode", lib.set_math_mode);
  resolve(handle, "cublasSetWorkspace_v2", lib.set_workspace);
  resolve(handle, "cublasGemmStridedBatchedEx", lib.gemm_strided_batched_ex);
  resolve(handle, "cublasGetStatusName", lib.status_name);
  resolve(handle, "cublasGetStatusString", lib.status_string);
  return lib;
}

}  // namespace

const CublasLibrary& cublas_library() {
  static CublasLibrary lib;
  static std::once_flag once;
  std::call_once(once, [] { lib = load(); });  // a throw leaves it to the next call
  return lib;
}

}  // namespace loom::cudnn
