// Element loops over strided views, for the few ops oneDNN 2.x has no
// primitive for (gather, fill) and for small pre/post passes.
#pragma once

#include <cstdint>
#include <vector>

#include "loom/sdk/view.hpp"

namespace loom::onednn {

// Calls fn(offset) for every index of `shape` in row-major order, where
// offset = sum(index[d] * strides[d]) in elements.
template <class Fn>
void for_each_offset(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, Fn&& fn) {
  const size_t nd = shape.size();
  for (auto d : shape)
    if (d == 0) return;
  if (nd == 0) {
    fn(int64_t{0});
    return;
  }
  std::vector<int64_t> idx(nd, 0);
  int64_t off = 0;
  const int64_t inner = shape[nd - 1], inner_stride = strides[nd - 1];
  for (;;) {
    for (int64_t i = 0; i < inner; ++i) fn(off + i * inner_stride);
    // Advance the outer dims like an odometer.
    size_t d = nd - 1;
    for (;;) {
      if (d == 0) return;
      --d;
      off += strides[d];
      if (++idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

inline std::vector<int64_t> strides_of(const sdk::View& v) {
  std::vector<int64_t> s(static_cast<size_t>(v.ndim()));
  for (int i = 0; i < v.ndim(); ++i) s[static_cast<size_t>(i)] = v.stride(i);
  return s;
}

}  // namespace loom::onednn
