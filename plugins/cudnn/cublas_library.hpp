// cuBLAS, opened with dlopen when a backend is made instead of linked:
// libcublas and the libcublasLt it needs map ~150 MB of resident memory and
// take ~0.15 s to load, a price every process that loads this plugin would
// pay (`loom plugins`, a CPU pipeline, a machine without a GPU) although only
// a cudnn backend on a GPU calls it. cudart and cuDNN stay linked: they load
// in a few MB (cuDNN 9 opens its own parts on demand).
#pragma once

#include <cublas_v2.h>

namespace loom::cudnn {

// The cuBLAS entry points the backend calls, typed from cublas_v2.h.
struct CublasLibrary {
  // Two cublasGemmStridedBatchedEx overloads exist in C++ (computeType as
  // cublasComputeType_t or the legacy cudaDataType); this is the library's symbol.
  using GemmStridedBatchedEx = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                                  const void*, const void*, cudaDataType, int, long long, const void*,
                                                  cudaDataType, int, long long, const void*, void*, cudaDataType, int,
                                                  long long, int, cublasComputeType_t, cublasGemmAlgo_t);

  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSetWorkspace_v2) set_workspace = nullptr;
  GemmStridedBatchedEx gemm_strided_batched_ex = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// Opens libcublas.so.<major of the headers> once per process (the build's
// CUDA library folder first, then the loader's search path) and resolves
// every entry point. Throws sdk::Error (LOOM_ERR_DEVICE) naming the file or
// symbol and dlerror()'s reason; a failed open is retried on the next call.
const CublasLibrary& cublas_library();

}  // namespace loom::cudnn
