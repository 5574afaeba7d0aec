#include "checks.hpp"

#include <algorithm>

#include "loom/sdk/dtype.hpp"
#include "loom/sdk/error.hpp"

namespace loom::reference {

std::string describe(const View& v) { return std::string(sdk::dtype_name(v.dtype())) + v.shape_str(); }

void check_view(const char* op, const char* name, const View& v) {
  const std::string where = std::string(op) + ": " + name;
  if (v.ndim() < 0 || v.ndim() > LOOM_MAX_DIMS)
    throw sdk::invalid_argument(where + " has rank " + std::to_string(v.ndim()) + ", outside [0, " +
                                std::to_string(LOOM_MAX_DIMS) + "]");
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.dim(d) < 0) throw sdk::invalid_argument(where + " has a negative dim: " + v.shape_str());
  if (sdk::dtype_size(v.dtype()) == 0)
    throw sdk::invalid_argument(where + " has unknown dtype code " + std::to_string(v.dtype()));
  if (v.device().type != LOOM_DEVICE_CPU)
    throw sdk::invalid_argument(where + " is not in CPU memory (device type " + std::to_string(v.device().type) +
                                "); the reference backend runs on the CPU");
  if (v.data() == nullptr && v.numel() != 0)
    throw sdk::invalid_argument(where + " " + v.shape_str() + " has no data pointer");
}

void check_float(const char* op, const char* name, const View& v) {
  check_view(op, name, v);
  if (!sdk::is_floating(v.dtype()))
    throw sdk::unsupported(std::string(op) + ": " + name + " is " + describe(v) +
                           "; the reference backend does this op in f32, f16 or bf16 only");
}

void check_same_dtype(const char* op, const char* name, const View& v, const char* ref_name, const View& ref) {
  if (v.dtype() != ref.dtype())
    throw sdk::invalid_argument(std::string(op) + ": " + name + " is " + describe(v) + " but " + ref_name + " is " +
                                describe(ref) + ": dtypes differ");
}

void check_shape(const char* op, const char* name, const View& v, const Shape& expected) {
  if (v.shape() != expected)
    throw sdk::invalid_argument(std::string(op) + ": " + name + " is " + v.shape_str() + ", expected " +
                                sdk::shape_string(expected));
}

int normalize_axis(const char* op, int32_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim)
    throw sdk::invalid_argument(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                                std::to_string(ndim));
  return axis < 0 ? axis + ndim : axis;
}

bool try_broadcast(const Shape& a, const Shape& b, Shape& out) {
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

Shape broadcast_shapes(const char* op, const char* name_a, const Shape& a, const char* name_b, const Shape& b) {
  Shape out;
  if (!try_broadcast(a, b, out))
    throw sdk::invalid_argument(std::string(op) + ": " + name_a + " is " + sdk::shape_string(a) + " and " + name_b +
                                " is " + sdk::shape_string(b) + ": they do not broadcast");
  return out;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

}  // namespace loom::reference
