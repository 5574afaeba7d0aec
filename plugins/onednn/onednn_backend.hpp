// The "onednn" backend: every op of loom/abi/backend.h on oneDNN 2.x CPU
// primitives. Member functions are defined by op family, one file each:
// matmul.cpp, unary.cpp, binary.cpp, softmax.cpp, layer_norm.cpp,
// data_movement.cpp (copy, concat, fill), gather.cpp, reduce.cpp, rnn.cpp;
// onednn_backend.cpp has identity, memory and the plugin entry point.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loom/sdk/backend.hpp"
#include "op_context.hpp"

namespace loom::onednn {

using sdk::MatmulArgs;
using sdk::Packed;
using sdk::RnnArgs;
using sdk::View;

class OnednnBackend final : public sdk::Backend {
 public:
  static sdk::BackendSpec spec();
  static bool available(loom_device& device, std::string& why);
  explicit OnednnBackend(const sdk::Options& options);

  const char* name() const override { return "onednn"; }

  void* allocate(size_t bytes, size_t align) override;
  void deallocate(void* ptr, size_t bytes) override;
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;

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
  Runtime rt_;
};

}  // namespace loom::onednn
