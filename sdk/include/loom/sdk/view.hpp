// A value wrapper over loom_tensor_view with the shape arithmetic plugins need.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "loom/abi/types.h"
#include "loom/sdk/dtype.hpp"
#include "loom/sdk/error.hpp"

namespace loom::sdk {

using Shape = std::vector<int64_t>;

std::string shape_string(const int64_t* shape, int32_t ndim);
inline std::string shape_string(const Shape& s) { return shape_string(s.data(), static_cast<int32_t>(s.size())); }

inline std::string shape_string(const int64_t* shape, int32_t ndim) {
  std::string out = "[";
  for (int32_t i = 0; i < ndim; ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

class View {
 public:
  View() { raw_.struct_size = sizeof(raw_); raw_.ndim = 0; raw_.device = {LOOM_DEVICE_CPU, 0}; }
  View(const loom_tensor_view& raw) : raw_(raw) {}  // NOLINT: implicit on purpose
  // A contiguous (row-major) view of `data`.
  View(void* data, int32_t dtype, const Shape& shape, loom_device device = {LOOM_DEVICE_CPU, 0}) : View() {
    if (shape.size() > LOOM_MAX_DIMS) throw invalid_argument("tensor rank " + std::to_string(shape.size()) + " exceeds " + std::to_string(LOOM_MAX_DIMS));
    raw_.data = data;
    raw_.dtype = dtype;
    raw_.device = device;
    raw_.ndim = static_cast<int32_t>(shape.size());
    int64_t stride = 1;
    for (int32_t i = raw_.ndim - 1; i >= 0; --i) {
      raw_.shape[i] = shape[i];
      raw_.strides[i] = stride;
      stride *= shape[i];
    }
  }

  const loom_tensor_view& raw() const { return raw_; }
  const loom_tensor_view* ptr() const { return &raw_; }
  int32_t dtype() const { return raw_.dtype; }
  loom_device device() const { return raw_.device; }
  int32_t ndim() const { return raw_.ndim; }
  int64_t dim(int32_t i) const { return raw_.shape[i < 0 ? i + raw_.ndim : i]; }
  int64_t stride(int32_t i) const { return raw_.strides[i < 0 ? i + raw_.ndim : i]; }
  Shape shape() const { return Shape(raw_.shape, raw_.shape + raw_.ndim); }
  std::string shape_str() const { return shape_string(raw_.shape, raw_.ndim); }
  void* data() const { return raw_.data; }
  template <class T> T* data_as() const { return static_cast<T*>(raw_.data); }
  size_t element_size() const { return dtype_size(raw_.dtype); }

  int64_t numel() const {
    int64_t n = 1;
    for (int32_t i = 0; i < raw_.ndim; ++i) n *= raw_.shape[i];
    return n;
  }
  bool is_contiguous() const {
    int64_t expect = 1;
    for (int32_t i = raw_.ndim - 1; i >= 0; --i) {
      if (raw_.shape[i] != 1 && raw_.strides[i] != expect) return false;
      expect *= raw_.shape[i];
    }
    return true;
  }

  // Views without copies.
  View transpose(int32_t a, int32_t b) const {
    View v = *this;
    a = a < 0 ? a + raw_.ndim : a;
    b = b < 0 ? b + raw_.ndim : b;
    std::swap(v.raw_.shape[a], v.raw_.shape[b]);
    std::swap(v.raw_.strides[a], v.raw_.strides[b]);
    return v;
  }
  View slice(int32_t axis, int64_t begin, int64_t end) const {
    axis = axis < 0 ? axis + raw_.ndim : axis;
    if (begin < 0 || end < begin || end > raw_.shape[axis])
      throw invalid_argument("slice [" + std::to_string(begin) + ", " + std::to_string(end) + ") out of range for dim " +
                             std::to_string(axis) + " of " + shape_str());
    View v = *this;
    v.raw_.data = static_cast<char*>(raw_.data) + begin * raw_.strides[axis] * static_cast<int64_t>(element_size());
    v.raw_.shape[axis] = end - begin;
    return v;
  }
  // Only for contiguous views: same memory, new shape with the same numel.
  View reshape(const Shape& shape) const {
    if (!is_contiguous()) throw invalid_argument("reshape of a non-contiguous view " + shape_str());
    View v(raw_.data, raw_.dtype, shape, raw_.device);
    if (v.numel() != numel()) throw invalid_argument("cannot reshape " + shape_str() + " to " + v.shape_str());
    return v;
  }

 private:
  loom_tensor_view raw_{};
};

}  // namespace loom::sdk
