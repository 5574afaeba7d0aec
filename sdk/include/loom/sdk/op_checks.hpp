// Argument checks every backend needs before running an op. Each failure
// throws invalid_argument with a message naming the op, the operand and its
// shape, e.g. "matmul: bias is f32[7], expected [5]".
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "loom/sdk/dtype.hpp"
#include "loom/sdk/error.hpp"
#include "loom/sdk/view.hpp"

namespace loom::sdk::checks {

// "f32[2, 3]"
inline std::string describe(const View& v) { return std::string(dtype_name(v.dtype())) + v.shape_str(); }

// Rank within LOOM_MAX_DIMS, no negative dim, a known dtype, memory on
// `device_type`, and a data pointer whenever the view has elements.
inline void check_view(const char* op, const char* name, const View& v, int32_t device_type, const char* backend) {
  const std::string where = std::string(op) + ": " + name;
  if (v.ndim() < 0 || v.ndim() > LOOM_MAX_DIMS)
    throw invalid_argument(where + " has rank " + std::to_string(v.ndim()) + ", outside [0, " +
                           std::to_string(LOOM_MAX_DIMS) + "]");
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.dim(d) < 0) throw invalid_argument(where + " has a negative dim: " + v.shape_str());
  if (dtype_size(v.dtype()) == 0) throw invalid_argument(where + " has unknown dtype code " + std::to_string(v.dtype()));
  if (v.device().type != device_type)
    throw invalid_argument(where + " is not in " + (device_type == LOOM_DEVICE_CPU ? "CPU" : "device") +
                           " memory (device type " + std::to_string(v.device().type) + "); the " + backend +
                           " backend cannot read it");
  if (v.data() == nullptr && v.numel() != 0) throw invalid_argument(where + " " + v.shape_str() + " has no data pointer");
}

// An output must not overlap itself: no zero stride on a dim longer than 1.
inline void check_output(const char* op, const char* name, const View& v) {
  if (v.numel() == 0) return;  // an empty view writes nothing, whatever its strides
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.dim(d) > 1 && v.stride(d) == 0)
      throw invalid_argument(std::string(op) + ": " + name + " " + v.shape_str() + " has stride 0 in dim " +
                             std::to_string(d) + "; an output view must not overlap itself");
}

inline void check_shape(const char* op, const char* name, const View& v, const Shape& expected) {
  if (v.shape() != expected)
    throw invalid_argument(std::string(op) + ": " + name + " is " + v.shape_str() + ", expected " +
                           shape_string(expected));
}

inline void check_same_dtype(const char* op, const char* name, const View& v, const char* ref_name, const View& ref) {
  if (v.dtype() != ref.dtype())
    throw invalid_argument(std::string(op) + ": " + name + " is " + describe(v) + " but " + ref_name + " is " +
                           describe(ref) + ": dtypes differ");
}

// Maps axis in [-ndim, ndim) to [0, ndim).
inline int normalize_axis(const char* op, int32_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim)
    throw invalid_argument(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(ndim));
  return axis < 0 ? axis + ndim : axis;
}

// The NumPy broadcast of two shapes into `out`; false when they do not broadcast.
inline bool try_broadcast(const Shape& a, const Shape& b, Shape& out) {
  const size_t n = std::max(a.size(), b.size());
  out.assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    // Right-aligned: missing leading dims count as 1.
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

// The NumPy broadcast of two shapes, or an error naming both operands.
inline Shape broadcast_shapes(const char* op, const char* name_a, const Shape& a, const char* name_b, const Shape& b) {
  Shape out;
  if (!try_broadcast(a, b, out))
    throw invalid_argument(std::string(op) + ": " + name_a + " is " + shape_string(a) + " and " + name_b + " is " +
                           shape_string(b) + ": they do not broadcast");
  return out;
}

// True when `from` broadcasts to `to` (right-aligned, each dim equal or 1).
inline bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

}  // namespace loom::sdk::checks
