// What the cudnn backend holds on its GPU: the device index, one stream every
// op is ordered on, and the cuBLAS and cuDNN handles bound to it.
//
// Ordering: every op enqueues on `stream`, so an op sees the results of the
// ops before it, and memory the host's caching allocator hands out again is
// only touched after earlier work on it (same stream). copy_to_host waits.
// Threads: ops may come from many threads at once (a layer's forward must be
// thread-safe); kernel launches on one stream need no lock, the library
// handles do (`library_mutex`).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <mutex>
#include <string>

namespace loom::cudnn {

class DeviceState {
 public:
  DeviceState(int device, bool allow_tf32);
  ~DeviceState();
  DeviceState(const DeviceState&) = delete;
  DeviceState& operator=(const DeviceState&) = delete;

  int device() const { return device_; }
  bool allow_tf32() const { return allow_tf32_; }
  cudaStream_t stream() const { return stream_; }
  const cudaDeviceProp& properties() const { return properties_; }
  // "NVIDIA H100 80GB HBM3 (sm_90, cuda:0)"
  std::string describe() const;

  // Makes this backend's device current on the calling thread; every op
  // calls it first (threads start on device 0).
  void activate() const;

  // The library handles; hold library_mutex() while using them.
  std::mutex& library_mutex() { return library_mutex_; }
  cublasHandle_t cublas() const { return cublas_; }
  cudnnHandle_t cudnn() const { return cudnn_; }

  // cuBLAS's workspace (fixed size, allocated once).
  void* gemm_workspace() const { return gemm_workspace_; }
  size_t gemm_workspace_bytes() const { return kGemmWorkspaceBytes; }

 private:
  static constexpr size_t kGemmWorkspaceBytes = 32u << 20;  // what cuBLAS recommends for Hopper
  void release() noexcept;

  int device_;
  bool allow_tf32_;
  cudaDeviceProp properties_{};
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  void* gemm_workspace_ = nullptr;
  std::mutex library_mutex_;
};

// Stream-ordered scratch memory for one op (cudaMallocAsync from the device's
// pool, freed on the same stream when this goes out of scope): later work on
// the stream may reuse it, earlier work is done with it by then.
class Scratch {
 public:
  Scratch(const DeviceState& state, size_t bytes, const char* what);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* data() const { return data_; }
  template <class T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  cudaStream_t stream_;
  void* data_ = nullptr;
};

}  // namespace loom::cudnn
