// The op set as a layer sees it: thin C++ calls over the backend's C vtable,
// plus Buffer, an owning tensor from the host's caching allocator.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "loom/abi/layer.h"
#include "loom/sdk/backend.hpp"
#include "loom/sdk/error.hpp"
#include "loom/sdk/view.hpp"

namespace loom::sdk {

// A tensor in backend memory, allocated through the host and given back on
// destruction. Move-only.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const loom_runtime* rt, int32_t dtype, const Shape& shape, loom_error* err) : rt_(rt) {
    loom_tensor_view raw{};
    raw.struct_size = sizeof(raw);
    check(rt->alloc(rt->host_ctx, dtype, static_cast<int32_t>(shape.size()), shape.data(), &raw, &handle_, err));
    view_ = View(raw);
  }
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      rt_ = std::exchange(o.rt_, nullptr);
      handle_ = std::exchange(o.handle_, nullptr);
      view_ = o.view_;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }

  const View& view() const { return view_; }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  void reset() {
    if (rt_ && handle_) rt_->release(rt_->host_ctx, handle_);
    handle_ = nullptr;
  }
  const loom_runtime* rt_ = nullptr;
  loom_buffer* handle_ = nullptr;
  View view_;
};

// Prepared weights owned by the layer; released through the backend.
class PackedRef {
 public:
  PackedRef() = default;
  PackedRef(const loom_runtime* rt, loom_packed* p) : rt_(rt), p_(p) {}
  PackedRef(PackedRef&& o) noexcept : rt_(o.rt_), p_(std::exchange(o.p_, nullptr)) {}
  PackedRef& operator=(PackedRef&& o) noexcept {
    if (this != &o) {
      reset();
      rt_ = o.rt_;
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ~PackedRef() { reset(); }
  const loom_packed* get() const { return p_; }

 private:
  void reset() {
    if (rt_ && p_) rt_->ops->release_packed(rt_->backend, p_);
    p_ = nullptr;
  }
  const loom_runtime* rt_ = nullptr;
  loom_packed* p_ = nullptr;
};

// Bound to one runtime and one error object: every call throws ReportedError
// on failure, which the SDK's guard turns back into a status.
class Ops {
 public:
  Ops(const loom_runtime* rt, loom_error* err) : rt_(rt), err_(err) {}

  const loom_runtime* runtime() const { return rt_; }
  const loom_backend_info& backend() const { return *rt_->info; }
  Buffer empty(int32_t dtype, const Shape& shape) const { return Buffer(rt_, dtype, shape, err_); }

  void matmul(const View& a, const View& b, const View* bias, const View& dst, const MatmulArgs& args = {}) const {
    loom_matmul_desc d = desc(args);
    check(rt_->ops->matmul(rt_->backend, &d, a.ptr(), b.ptr(), bias ? bias->ptr() : nullptr, dst.ptr(), err_));
  }
  PackedRef matmul_pack(const View& b, bool transpose_b) const {
    loom_packed* p = nullptr;
    check(rt_->ops->matmul_pack(rt_->backend, b.ptr(), transpose_b, &p, err_));
    return PackedRef(rt_, p);
  }
  void matmul_packed(const View& a, const PackedRef& b, const View* bias, const View& dst,
                     const MatmulArgs& args = {}) const {
    loom_matmul_desc d = desc(args);
    check(rt_->ops->matmul_packed(rt_->backend, &d, a.ptr(), b.get(), bias ? bias->ptr() : nullptr, dst.ptr(),
                                  err_));
  }
  void unary(int32_t op, const View& src, const View& dst, float alpha = 0.f, float beta = 0.f) const {
    check(rt_->ops->unary(rt_->backend, op, alpha, beta, src.ptr(), dst.ptr(), err_));
  }
  void binary(int32_t op, const View& a, const View& b, const View& dst) const {
    check(rt_->ops->binary(rt_->backend, op, a.ptr(), b.ptr(), dst.ptr(), err_));
  }
  void softmax(const View& src, const View* mask, int32_t axis, const View& dst) const {
    check(rt_->ops->softmax(rt_->backend, src.ptr(), mask ? mask->ptr() : nullptr, axis, dst.ptr(), err_));
  }
  void layer_norm(const View& src, const View* gamma, const View* beta, float eps, const View& dst) const {
    check(rt_->ops->layer_norm(rt_->backend, src.ptr(), gamma ? gamma->ptr() : nullptr,
                               beta ? beta->ptr() : nullptr, eps, dst.ptr(), err_));
  }
  void gather(const View& table, const View& indices, const View& dst) const {
    check(rt_->ops->gather(rt_->backend, table.ptr(), indices.ptr(), dst.ptr(), err_));
  }
  void copy(const View& src, const View& dst) const { check(rt_->ops->copy(rt_->backend, src.ptr(), dst.ptr(), err_)); }
  void concat(const std::vector<View>& srcs, int32_t axis, const View& dst) const {
    std::vector<loom_tensor_view> raw;
    for (const auto& s : srcs) raw.push_back(s.raw());
    check(rt_->ops->concat(rt_->backend, raw.data(), static_cast<int32_t>(raw.size()), axis, dst.ptr(), err_));
  }
  void reduce(int32_t op, const View& src, const View& dst) const {
    check(rt_->ops->reduce(rt_->backend, op, src.ptr(), dst.ptr(), err_));
  }
  void fill(float value, const View& dst) const { check(rt_->ops->fill(rt_->backend, value, dst.ptr(), err_)); }
  // Prepares a recurrent stack's weights once (PyTorch layout, see loom_rnn_desc).
  // Arrays have num_layers * dirs entries; empty bias arrays mean "no bias".
  PackedRef rnn_pack(const RnnArgs& args, const std::vector<View>& w_ih, const std::vector<View>& w_hh,
                     const std::vector<View>& b_ih, const std::vector<View>& b_hh) const {
    loom_rnn_desc d{};
    d.struct_size = sizeof(d);
    d.cell = args.cell;
    d.input_size = args.input_size;
    d.hidden_size = args.hidden_size;
    d.num_layers = args.num_layers;
    d.bidirectional = args.bidirectional ? 1 : 0;
    auto raw = [](const std::vector<View>& v) {
      std::vector<loom_tensor_view> out;
      for (const auto& x : v) out.push_back(x.raw());
      return out;
    };
    const std::vector<loom_tensor_view> wih = raw(w_ih), whh = raw(w_hh), bih = raw(b_ih), bhh = raw(b_hh);
    loom_packed* p = nullptr;
    check(rt_->ops->rnn_pack(rt_->backend, &d, wih.data(), whh.data(), bih.empty() ? nullptr : bih.data(),
                             bhh.empty() ? nullptr : bhh.data(), &p, err_));
    return PackedRef(rt_, p);
  }
  // Runs the stack over src [T, N, input_size] (time-major); states are
  // [num_layers * dirs, N, hidden]; null states mean zeros in / not wanted out.
  void rnn_forward(const PackedRef& weights, const View& src, const View* h0, const View* c0, const View& dst,
                   const View* hn, const View* cn) const {
    loom_rnn_io io{};
    io.struct_size = sizeof(io);
    io.src = src.ptr();
    io.h0 = h0 ? h0->ptr() : nullptr;
    io.c0 = c0 ? c0->ptr() : nullptr;
    io.dst = dst.ptr();
    io.hn = hn ? hn->ptr() : nullptr;
    io.cn = cn ? cn->ptr() : nullptr;
    check(rt_->ops->rnn_forward(rt_->backend, weights.get(), &io, err_));
  }
  void copy_from_host(const View& dst, const void* src, size_t bytes) const {
    check(rt_->ops->copy_from_host(rt_->backend, dst.data(), src, bytes, err_));
  }

 private:
  static loom_matmul_desc desc(const MatmulArgs& a) {
    loom_matmul_desc d{};
    d.struct_size = sizeof(d);
    d.transpose_a = a.transpose_a;
    d.transpose_b = a.transpose_b;
    d.alpha = a.alpha;
    d.beta = a.beta;
    d.activation = a.activation;
    return d;
  }
  const loom_runtime* rt_;
  loom_error* err_;
};

}  // namespace loom::sdk
