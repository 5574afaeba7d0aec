#include "device_state.hpp"

#include "cublas_library.hpp"
#include "cuda_errors.hpp"

namespace loom::cudnn {

DeviceState::DeviceState(int device, bool allow_tf32) : device_(device), allow_tf32_(allow_tf32) {
  try {
    check_cuda(cudaSetDevice(device_), "selecting cuda:" + std::to_string(device_));
    check_cuda(cudaGetDeviceProperties(&properties_, device_), "reading the properties of cuda:" + std::to_string(device_));
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "creating a stream");
    const CublasLibrary& blas = cublas_library();
    check_cublas(blas.create(&cublas_), "creating the cuBLAS handle");
    check_cublas(blas.set_stream(cublas_, stream_), "binding cuBLAS to the stream");
    // Default math: f16/bf16 GEMMs use tensor cores; f32 GEMMs stay IEEE f32
    // because matmul.cpp asks for CUBLAS_COMPUTE_32F, or _FAST_TF32 only with tf32=true.
    check_cublas(blas.set_math_mode(cublas_, CUBLAS_DEFAULT_MATH), "setting cuBLAS's math mode");
    check_cudnn(cudnnCreate(&cudnn_), "creating the cuDNN handle");
    check_cudnn(cudnnSetStream(cudnn_, stream_), "binding cuDNN to the stream");
    check_cuda(cudaMalloc(&gemm_workspace_, kGemmWorkspaceBytes), "allocating the GEMM workspace");
    check_cublas(blas.set_workspace(cublas_, gemm_workspace_, kGemmWorkspaceBytes), "giving cuBLAS its workspace");
  } catch (...) {
    release();
    throw;
  }
}

DeviceState::~DeviceState() { release(); }

void DeviceState::release() noexcept {
  // Best effort: a failing driver at teardown has nothing left to tell anyone.
  // The handles and buffers belong to device_, whichever device the
  // destroying thread has current.
  (void)cudaSetDevice(device_);
  if (stream_) (void)cudaStreamSynchronize(stream_);
  if (cudnn_) (void)cudnnDestroy(cudnn_);
  if (cublas_) (void)cublas_library().destroy(cublas_);  // a handle means the library is loaded
  if (gemm_workspace_) (void)cudaFree(gemm_workspace_);
  if (stream_) (void)cudaStreamDestroy(stream_);
  cudnn_ = nullptr;
  cublas_ = nullptr;
  gemm_workspace_ = nullptr;
  stream_ = nullptr;
  (void)cudaGetLastError();
}

std::string DeviceState::describe() const {
  return std::string(properties_.name) + " (sm_" + std::to_string(properties_.major) +
         std::to_string(properties_.minor) + ", cuda:" + std::to_string(device_) + ")";
}

void DeviceState::activate() const { check_cuda(cudaSetDevice(device_), "selecting cuda:" + std::to_string(device_)); }

Scratch::Scratch(const DeviceState& state, size_t bytes, const char* what) : stream_(state.stream()) {
  if (bytes == 0) return;
  check_cuda(cudaMallocAsync(&data_, bytes, stream_),
             std::string(what) + ": allocating " + std::to_string(bytes) + " bytes of scratch");
}

Scratch::~Scratch() {
  if (data_) (void)cudaFreeAsync(data_, stream_);
}

}  // namespace loom::cudnn
