// Identity, device memory and the plugin entry point of the cudnn backend.
#include "cudnn_backend.hpp"

#include "cuda_errors.hpp"
#include "loom/sdk/plugin.hpp"

namespace loom::cudnn {

namespace {

std::string runtime_version() {
  int runtime = 0;
  (void)cudaRuntimeGetVersion(&runtime);  // e.g. 13000 for 13.0
  return std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
}

std::string version_string() {
  const size_t dnn = cudnnGetVersion();  // e.g. 91900 for 9.19.0
  return "CUDA runtime " + runtime_version() + ", cuDNN " + std::to_string(dnn / 10000) + "." + std::to_string(dnn % 10000 / 100) + "." +
         std::to_string(dnn % 100);
}

int device_count(std::string& why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    // The runtime says "insufficient driver" also when there is no driver at all.
    why = status == cudaErrorInsufficientDriver
              ? "no CUDA device (no NVIDIA driver, or one older than CUDA runtime " + runtime_version() + " needs)"
              : std::string("no CUDA device (") + cudaGetErrorString(status) + ")";
    return 0;
  }
  if (count == 0) why = "no CUDA device";
  return count;
}

}  // namespace

sdk::BackendSpec CudnnBackend::spec() {
  sdk::BackendSpec s;
  s.name = "cudnn";
  s.description = "NVIDIA GPU ops: cuBLAS GEMMs, cuDNN recurrent layers, Loom's CUDA kernels (" + version_string() + ")";
  s.priority = 20;  // above onednn (10): `--backend auto` takes the GPU when there is one
  s.options.push_back({"device", LOOM_OPTION_INT, std::string("0"), "CUDA device index (cuda:N)", ""});
  s.options.push_back({"tf32", LOOM_OPTION_BOOL, std::string("false"),
                       "let f32 GEMMs use TF32 tensor cores: faster, ~1e-3 relative error instead of ~1e-6", ""});
  return s;
}

bool CudnnBackend::available(loom_device& device, std::string& why) {
  if (device_count(why) == 0) return false;
  device = {LOOM_DEVICE_CUDA, 0};
  return true;
}

CudnnBackend::CudnnBackend(const sdk::Options& options) {
  std::string why;
  const int count = device_count(why);
  if (count == 0) throw sdk::unsupported("cudnn: " + why);
  const int64_t index = options.has("device") ? options.get_int("device") : 0;
  if (index < 0 || index >= count)
    throw sdk::invalid_argument("cudnn: option 'device' is " + std::to_string(index) + " but this machine has " +
                                std::to_string(count) + " CUDA device(s): cuda:0 .. cuda:" + std::to_string(count - 1));
  const bool tf32 = options.has("tf32") && options.get_bool("tf32");
  state_ = std::make_unique<DeviceState>(static_cast<int>(index), tf32);
  sdk::log(LOOM_LOG_DEBUG, "cudnn", "running on " + state_->describe() + (tf32 ? ", TF32 GEMMs allowed" : ""));
}

void* CudnnBackend::allocate(size_t bytes, size_t align) {
  if (align == 0 || (align & (align - 1)) != 0)
    throw sdk::invalid_argument("cudnn: allocate: alignment " + std::to_string(align) + " is not a power of two");
  if (align > 256)  // cudaMalloc gives 256-byte alignment
    throw sdk::invalid_argument("cudnn: allocate: alignment " + std::to_string(align) + " exceeds the 256 bytes cudaMalloc gives");
  state_->activate();
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes ? bytes : 1);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    (void)cudaMemGetInfo(&free_bytes, &total_bytes);
    throw sdk::Error(LOOM_ERR_OUT_OF_MEMORY, "cudnn: out of GPU memory on " + state_->describe() + ": cannot allocate " +
                                                 std::to_string(bytes) + " bytes (" + std::to_string(free_bytes >> 20) +
                                                 " MiB free of " + std::to_string(total_bytes >> 20) + " MiB)");
  }
  check_cuda(status, "allocating " + std::to_string(bytes) + " bytes");
  return p;
}

void CudnnBackend::deallocate(void* ptr, size_t bytes) {
  (void)bytes;
  // cudaFree waits for the device, so no kernel still reads the block. No
  // throw here: deallocate has no error channel.
  (void)cudaSetDevice(state_->device());
  if (ptr && cudaFree(ptr) != cudaSuccess) (void)cudaGetLastError();
}

void CudnnBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  state_->activate();
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, state_->stream()),
             "copying " + std::to_string(bytes) + " bytes to the GPU");
  // The caller may reuse `src` as soon as this returns.
  check_cuda(cudaStreamSynchronize(state_->stream()), "copying to the GPU");
}

void CudnnBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  state_->activate();
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, state_->stream()),
             "copying " + std::to_string(bytes) + " bytes from the GPU");
  check_cuda(cudaStreamSynchronize(state_->stream()), "copying from the GPU");
}

void CudnnBackend::synchronize() {
  state_->activate();
  check_cuda(cudaStreamSynchronize(state_->stream()), "synchronizing the stream");
}

}  // namespace loom::cudnn

LOOM_PLUGIN("cudnn", "0.1.0", "Loom project", LOOM_BACKEND(loom::cudnn::CudnnBackend))
