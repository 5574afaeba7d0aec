// The "cudnn" backend: every op of loom/abi/backend.h on an NVIDIA GPU.
// GEMMs through cuBLAS / cuBLASLt (fp32 with TF32 off unless asked, fp16,
// bf16), recurrent sequences through cudnnRNNForward, the other ops through
// Loom's own kernels (kernels/*.cu). Ops are ordered on one stream
// (device_state.hpp); copy_to_host and synchronize() wait for it.
//
// Member functions are defined by op family: cudnn_backend.cpp (identity,
// memory, plugin entry), matmul.cpp, elementwise_ops.cpp (unary, binary,
// fill), normalization_ops.cpp (softmax, layer_norm), data_movement_ops.cpp
// (copy, concat, gather), reduce_ops.cpp, rnn.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "device_state.hpp"
#include "loom/sdk/backend.hpp"

namespace loom::cudnn {

using sdk::MatmulArgs;
using sdk::Packed;
using sdk::RnnArgs;
using sdk::View;

class CudnnBackend final : public sdk::Backend {
 public:
  static sdk::BackendSpec spec();
  // "no CUDA device" (with the runtime's reason) on a machine without a GPU
  // or driver: the plugin still loads there.
  static bool available(loom_device& device, std::string& why);
  explicit CudnnBackend(const sdk::Options& options);

  const char* name() const override { return "cudnn"; }
  loom_device device() const override { return {LOOM_DEVICE_CUDA, state_->device()}; }

  void* allocate(size_t bytes, size_t align) override;
  void deallocate(void* ptr, size_t bytes) override;
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void synchronize() override;

  void matmul(const MatmulArgs& args, const View& a, const View& b, const View* bias, const View& dst) override;
  std::unique_ptr<Packed> matmul_pack(const View& b, bool transpose_b) override;
  void matmul_packed(const MatmulArgs& args, const View& a, const Packed& b, const View* bias,
                     const View& dst) override;
  void unary(int32_t op, float alpha, float beta, const View& src, const View& dst) override;
  void binary(int32_t op, const View& a, const View& b, const View& dst) override;
  void softmax(const View& src, const View* mask, int32_t axis, const View& dst) override;
  void layer_norm(const View& src, const View* gamma, const View* beta, float eps, const View& dst) override;
  void gather(const View& table, const View& indices, const View& dst) override;
  void copy(const View& src, const View& dst) override;
  void concat(const std::vector<View>& srcs, int32_t axis, const View& dst) override;
  void reduce(int32_t op, const View& src, const View& dst) override;
  void fill(float value, const View& dst) override;
  std::unique_ptr<Packed> rnn_pack(const RnnArgs& args, const std::vector<View>& w_ih,
                                   const std::vector<View>& w_hh, const std::vector<View>& b_ih,
                                   const std::vector<View>& b_hh) override;
  void rnn_forward(const Packed& weights, const View& src, const View* h0, const View* c0, const View& dst,
                   const View* hn, const View* cn) override;

 private:
  std::unique_ptr<DeviceState> state_;
};

}  // namespace loom::cudnn
