// Prepared weights shared by matmul_pack and rnn_pack.
//
// oneDNN picks the weight layout it likes when a primitive is created with
// format_tag::any weights, and that choice can depend on the whole problem
// (the RNN picks its packed-GEMM layout or a plain one by N and T). Packing
// happens before those are known, so the weights are reordered once into the
// layout chosen for a representative problem (the primary copy); a call
// whose primitive wants another layout gets a copy made on first use and
// kept for later calls. Packed memory is never written after it is made.
//
// New copies are made from the plain user layout (`canonical`): from the
// primary through a temporary plain copy when the primary is an ordinary
// blocked layout, or from a kept plain copy when the primary is opaque
// (RNN packed GEMM weights cannot be reordered back).
#pragma once

#include <mutex>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "op_context.hpp"

namespace loom::onednn {

class LazyWeights {
 public:
  LazyWeights() = default;

  // Reorders `plain` (in layout `plain.get_desc()`, the canonical one) into
  // `chosen` and keeps what later layouts will need.
  static LazyWeights pack(OpContext& ctx, const dnnl::memory& plain, const dnnl::memory::desc& chosen) {
    LazyWeights w;
    w.canonical_ = plain.get_desc();
    if (chosen == w.canonical_) {
      w.copies_.push_back(plain);
      return w;
    }
    dnnl::memory primary(chosen, ctx.engine());
    ctx.reorder(w.canonical_, plain.get_data_handle(), chosen, primary.get_data_handle());
    w.copies_.push_back(primary);
    if (chosen.data.format_kind != dnnl_blocked) w.plain_ = plain;
    return w;
  }

  // Moves happen only while packing, before any other thread can see it.
  LazyWeights(LazyWeights&& o) noexcept
      : canonical_(o.canonical_), plain_(std::move(o.plain_)), copies_(std::move(o.copies_)) {}
  LazyWeights& operator=(LazyWeights&& o) noexcept {
    canonical_ = o.canonical_;
    plain_ = std::move(o.plain_);
    copies_ = std::move(o.copies_);
    return *this;
  }

  dnnl::memory get(OpContext& ctx, const dnnl::memory::desc& want) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& m : copies_)
      if (m.get_desc() == want) return m;
    if (plain_ && want == canonical_) return plain_;
    // Bounded: past a few layouts (say, many batch sizes of a small RNN),
    // a call gets a temporary copy instead of growing memory without end.
    const bool keep = copies_.size() < kMaxCopies;
    dnnl::memory made = keep ? dnnl::memory(want, ctx.engine()) : ctx.temp_mem(want, /*zero padding*/ true);
    const dnnl::memory& from = plain_ ? plain_ : copies_.front();
    if (from.get_desc() == canonical_) {
      ctx.reorder(canonical_, from.get_data_handle(), want, made.get_data_handle());
    } else {
      // Blocked to blocked goes through the plain layout: oneDNN reorders
      // into packed RNN layouts only from plain ones.
      void* tmp = ctx.temp(canonical_.get_size());
      ctx.reorder(from.get_desc(), from.get_data_handle(), canonical_, tmp);
      ctx.reorder(canonical_, tmp, want, made.get_data_handle());
    }
    if (keep) copies_.push_back(made);
    return made;
  }

 private:
  static constexpr size_t kMaxCopies = 4;
  dnnl::memory::desc canonical_;
  dnnl::memory plain_;  // kept only when the primary is opaque
  mutable std::mutex mutex_;
  mutable std::vector<dnnl::memory> copies_;  // [0]: the primary copy
};

}  // namespace loom::onednn
