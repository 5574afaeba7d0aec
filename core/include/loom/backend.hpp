// The host's handle on one backend instance (a plugin's loom_backend): memory
// through a caching allocator, and every op of the contract as a C++ call that
// throws loom::Error with the backend's message.
#pragma once

#include "loom/export.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "loom/abi/layer.h"
#include "loom/tensor.hpp"

namespace loom {

class PluginLibrary;

struct MatmulOptions {
  bool transpose_a = false;
  bool transpose_b = false;
  float alpha = 1.0f;
  float beta = 0.0f;
  loom_unary_op activation = LOOM_UNARY_IDENTITY;
};

struct AllocatorStats {
  size_t bytes_in_use = 0;
  size_t bytes_cached = 0;
  size_t peak_bytes_in_use = 0;
  size_t device_allocations = 0;  // calls that reached the backend
};

class LOOM_API Backend : public std::enable_shared_from_this<Backend> {
 public:
  // Takes ownership of `handle`; `library` keeps the plugin loaded while this lives.
  Backend(std::shared_ptr<PluginLibrary> library, std::string name, loom_backend* handle,
          const loom_backend_vtable* vtable);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return name_; }
  Device device() const { return device_; }
  const loom_backend_vtable* vtable() const { return vtable_; }
  loom_backend* handle() const { return handle_; }
  // What layers get: the backend's ops and the host's allocator.
  const loom_runtime* runtime() const { return &runtime_; }
  const loom_backend_info* info() const { return &info_; }

  // Memory. Tensors keep the backend alive.
  Tensor empty(DType dtype, const Shape& shape);
  Tensor upload(const Tensor& host);  // host -> this backend (shares when the backend is on the CPU)
  Tensor download(const Tensor& t);   // this backend -> host (shares on the CPU)
  AllocatorStats allocator_stats() const;
  void release_cached();  // returns cached blocks to the backend
  void synchronize();

  // Ops: see loom/abi/backend.h for their exact meaning.
  void matmul(const Tensor& a, const Tensor& b, const Tensor* bias, const Tensor& dst, const MatmulOptions& o = {});
  void unary(loom_unary_op op, const Tensor& src, const Tensor& dst, float alpha = 0.f, float beta = 0.f);
  void binary(loom_binary_op op, const Tensor& a, const Tensor& b, const Tensor& dst);
  void softmax(const Tensor& src, const Tensor* mask, int axis, const Tensor& dst);
  void layer_norm(const Tensor& src, const Tensor* gamma, const Tensor* beta, float eps, const Tensor& dst);
  void gather(const Tensor& table, const Tensor& indices, const Tensor& dst);
  void copy(const Tensor& src, const Tensor& dst);
  void concat(const std::vector<Tensor>& srcs, int axis, const Tensor& dst);
  void reduce(loom_reduce_op op, const Tensor& src, const Tensor& dst);
  void fill(float value, const Tensor& dst);

  // Prepared weights, released through the backend when the last reference goes.
  using Packed = std::shared_ptr<loom_packed>;
  Packed matmul_pack(const Tensor& b, bool transpose_b);
  void matmul_packed(const Tensor& a, const Packed& b, const Tensor* bias, const Tensor& dst,
                     const MatmulOptions& o = {});
  struct RnnWeights {  // num_layers * dirs entries each; biases may be empty
    std::vector<Tensor> w_ih, w_hh, b_ih, b_hh;
  };
  Packed rnn_pack(const loom_rnn_desc& desc, const RnnWeights& weights);
  struct RnnIO {
    Tensor src, h0, c0, dst, hn, cn;  // undefined tensors mean "none"
  };
  void rnn_forward(const Packed& weights, const RnnIO& io);

  // Raw allocator entry points used by the runtime callbacks.
  void* allocate_block(size_t bytes);
  void release_block(void* ptr, size_t bytes);

 private:
  [[noreturn]] void fail(const char* op, loom_status status, const std::string& message) const;
  template <class Call>
  void call(const char* op, Call&& c) const;

  std::shared_ptr<PluginLibrary> library_;  // first: outlives the handle below
  std::string name_;
  loom_backend* handle_;
  const loom_backend_vtable* vtable_;
  Device device_;
  loom_backend_info info_{};
  loom_runtime runtime_{};

  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_blocks_;  // size class -> blocks
  AllocatorStats stats_;
};

// Rounds a request to the caching allocator's size class.
LOOM_API size_t allocator_size_class(size_t bytes);

}  // namespace loom
