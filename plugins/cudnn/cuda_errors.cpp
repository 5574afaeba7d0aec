#include "cuda_errors.hpp"

#include "cublas_library.hpp"
#include "loom/sdk/error.hpp"

namespace loom::cudnn {

void check_cuda(cudaError_t status, const std::string& what) {
  if (status == cudaSuccess) return;
  // A failed call leaves its code as the thread's "last error"; clear it so the
  // next, unrelated check does not report it again.
  (void)cudaGetLastError();
  const std::string message = "cudnn: " + what + ": CUDA error " + cudaGetErrorName(status) + ": " +
                              cudaGetErrorString(status);
  throw sdk::Error(status == cudaErrorMemoryAllocation ? LOOM_ERR_OUT_OF_MEMORY : LOOM_ERR_DEVICE, message);
}

void check_cublas(cublasStatus_t status, const std::string& what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  // A status comes from a call into the library, so it is loaded by now.
  const CublasLibrary& blas = cublas_library();
  const std::string message =
      "cudnn: " + what + ": cuBLAS error " + blas.status_name(status) + ": " + blas.status_string(status);
  throw sdk::Error(status == CUBLAS_STATUS_ALLOC_FAILED ? LOOM_ERR_OUT_OF_MEMORY
                   : status == CUBLAS_STATUS_NOT_SUPPORTED ? LOOM_ERR_UNSUPPORTED
                                                           : LOOM_ERR_DEVICE,
                   message);
}

void check_cudnn(cudnnStatus_t status, const std::string& what) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  char detail[512] = {0};
  cudnnGetLastErrorString(detail, sizeof(detail));  // cuDNN 9: the reason behind the code, if any
  std::string message = "cudnn: " + what + ": cuDNN error " + cudnnGetErrorString(status);
  if (detail[0]) message += std::string(": ") + detail;
  // cuDNN 9 codes come in categories of 1000 (3xxx: not supported).
  const bool out_of_memory = status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
                             status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED;
  const bool not_supported = static_cast<int>(status) / 1000 == CUDNN_STATUS_NOT_SUPPORTED / 1000;
  throw sdk::Error(out_of_memory ? LOOM_ERR_OUT_OF_MEMORY : not_supported ? LOOM_ERR_UNSUPPORTED : LOOM_ERR_DEVICE,
                   message);
}

void check_launch(const std::string& what) { check_cuda(cudaGetLastError(), what); }

}  // namespace loom::cudnn
