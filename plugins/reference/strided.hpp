// Strided element access shared by every op: walking a shape index by index,
// turning an index into an element offset (with NumPy broadcasting), and
// reading / writing floating elements of any float dtype as double.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "loom/sdk/dtype.hpp"
#include "loom/sdk/view.hpp"

namespace loom::reference {

using sdk::Shape;
using sdk::View;
using Index = std::array<int64_t, LOOM_MAX_DIMS>;

inline bool has_zero_dim(const Shape& shape) {
  for (int64_t d : shape)
    if (d == 0) return true;
  return false;
}

// Calls fn(index) for every index of `shape` in row-major order; a rank-0
// shape has one element, a shape with a zero dim has none.
template <class Fn>
void for_each_index(const Shape& shape, Fn&& fn) {
  if (has_zero_dim(shape)) return;
  const int ndim = static_cast<int>(shape.size());
  Index index{};
  while (true) {
    fn(static_cast<const Index&>(index));
    int d = ndim - 1;
    for (; d >= 0; --d) {
      if (++index[static_cast<size_t>(d)] < shape[static_cast<size_t>(d)]) break;
      index[static_cast<size_t>(d)] = 0;
    }
    if (d < 0) return;
  }
}

// Element offset of `v` at `index`, an index into a shape of `ndim` dims that
// v broadcasts to: v's dims are right-aligned and its size-1 dims stay at 0.
inline int64_t offset_at(const View& v, const Index& index, int ndim) {
  const auto& raw = v.raw();
  const int lead = ndim - raw.ndim;
  int64_t offset = 0;
  for (int d = 0; d < raw.ndim; ++d)
    if (raw.shape[d] != 1) offset += index[static_cast<size_t>(lead + d)] * raw.strides[d];
  return offset;
}

// Element offset of `v` at an index of its own shape.
inline int64_t offset_at(const View& v, const Index& index) { return offset_at(v, index, v.ndim()); }

// The view without its last `count` dims (same data, shape and strides
// prefix): the batch dims of a matrix operand, for offset_at.
inline View leading_dims(const View& v, int count) {
  loom_tensor_view raw = v.raw();
  raw.ndim -= count;
  return View(raw);
}

inline char* element_ptr(const View& v, int64_t offset) {
  return static_cast<char*>(v.data()) + offset * static_cast<int64_t>(v.element_size());
}

// Unaligned-safe raw reads and writes (a view's data may sit at any offset).
template <class T>
T read_raw(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void write_raw(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// Reads a F32/F16/BF16 element (checked by the caller) as double.
inline double load(const View& v, int64_t offset) {
  const char* p = element_ptr(v, offset);
  switch (v.dtype()) {
    case LOOM_DTYPE_F16: return sdk::f16_to_f32(read_raw<uint16_t>(p));
    case LOOM_DTYPE_BF16: return sdk::bf16_to_f32(read_raw<uint16_t>(p));
    default: return read_raw<float>(p);
  }
}

// Writes x to a F32/F16/BF16 element, rounding to nearest even.
inline void store(const View& v, int64_t offset, double x) {
  char* p = element_ptr(v, offset);
  const float f = static_cast<float>(x);
  switch (v.dtype()) {
    case LOOM_DTYPE_F16: write_raw(p, sdk::f32_to_f16(f)); break;
    case LOOM_DTYPE_BF16: write_raw(p, sdk::f32_to_bf16(f)); break;
    default: write_raw(p, f); break;
  }
}

// Copies one element of any dtype; both views have the same dtype.
inline void copy_element(const View& src, int64_t src_offset, const View& dst, int64_t dst_offset) {
  std::memcpy(element_ptr(dst, dst_offset), element_ptr(src, src_offset), dst.element_size());
}

}  // namespace loom::reference
