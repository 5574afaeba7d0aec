// CUDA, cuBLAS and cuDNN status codes as Loom errors. Each check throws
// sdk::Error naming what failed with the vendor's own message; out-of-memory
// codes become LOOM_ERR_OUT_OF_MEMORY (the caller can free memory and retry),
// every other failure LOOM_ERR_DEVICE. Nothing here ever aborts.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

namespace loom::cudnn {

void check_cuda(cudaError_t status, const std::string& what);
void check_cublas(cublasStatus_t status, const std::string& what);
void check_cudnn(cudnnStatus_t status, const std::string& what);

// For kernel launches: checks (and clears) the launch error.
void check_launch(const std::string& what);

}  // namespace loom::cudnn
