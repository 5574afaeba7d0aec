// The reference backend: every op of loom/abi/backend.h as plain loops over
// strided views, computed in double. Slow on purpose and easy to read; the
// conformance tests compare every other backend against it.
//
// The member functions are defined by op family: reference_backend.cpp
// (memory, plugin entry), matmul.cpp, elementwise.cpp, normalization.cpp,
// data_movement.cpp, reduce.cpp and rnn.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "loom/sdk/backend.hpp"

namespace loom::reference {

using sdk::MatmulArgs;
using sdk::Packed;
using sdk::RnnArgs;
using sdk::View;

class ReferenceBackend final : public sdk::Backend {
 public:
  static sdk::BackendSpec spec();
  static bool available(loom_device& device, std::string& why);
  explicit ReferenceBackend(const sdk::Options& options);

  const char* name() const override { return "reference"; }

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
  std::unique_ptr<Packed> rnn_pack(const RnnArgs& args, const std::vector<View>& w_ih, const std::vector<View>& w_hh,
                                   const std::vector<View>& b_ih, const std::vector<View>& b_hh) override;
  void rnn_forward(const Packed& weights, const View& src, const View* h0, const View* c0, const View& dst,
                   const View* hn, const View* cn) override;

 private:
  // operator delete must see the alignment operator new was given; blocks
  // aligned beyond the default 64 bytes remember theirs here.
  std::mutex over_aligned_mutex_;
  std::unordered_map<void*, size_t> over_aligned_;
};

}  // namespace loom::reference
