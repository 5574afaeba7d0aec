#include "checks.hpp"

#include <algorithm>

#include "loom/sdk/dtype.hpp"
#include "loom/sdk/error.hpp"

namespace loom::onednn {

std::string describe(const View& v) { return std::string(sdk::dtype_name(v.dtype())) + v.shape_str(); }

void check_view(const char* op, const char* name, const View& v) {
  const std::string where = std::string(op) + ": " + name;
  if (v.ndim() < 0 || v.ndim() > LOOM_MAX_DIMS)
    throw sdk::invalid_argument(where + " has rank " + std::to_string(v.ndim()) + ", outside [0, " +
                                std::to_string(LOOM_MAX_DIMS) + "]");
  for (int32_t d = 0; d < v.ndim(); ++d) {
    if (v.dim(d) < 0) throw sdk::invalid_argument(where + " has a negative dim: " + v.shape_str());
    if (v.stride(d) < 0)
      throw sdk::unsupported(where + " " + v.shape_str() + " has a negative stride in dim " + std::to_string(d) +
                             "; the onednn backend needs non-negative strides");
  }
  if (sdk::dtype_size(v.dtype()) == 0)
    throw sdk::invalid_argument(where + " has unknown dtype code " + std::to_string(v.dtype()));
  if (v.device().type != LOOM_DEVICE_CPU)
    throw sdk::invalid_argument(where + " is not in CPU memory (device type " + std::to_string(v.device().type) +
                                "); the onednn backend runs on the CPU");
  if (v.data() == nullptr && v.numel() != 0)
    throw sdk::invalid_argument(where + " " + v.shape_str() + " has no data pointer");
}

void check_f32(const char* op, const char* name, const View& v) {
  check_view(op, name, v);
  if (v.dtype() != LOOM_DTYPE_F32)
    throw sdk::unsupported(std::string(op) + ": " + name + " is " + describe(v) +
                           "; the onednn backend does this op in f32 only");
}

void check_output(const char* op, const char* name, const View& v) {
  if (v.numel() == 0) return;  // an empty view writes nothing, whatever its strides
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.dim(d) > 1 && v.stride(d) == 0)
      throw sdk::invalid_argument(std::string(op) + ": " + name + " " + v.shape_str() + " has stride 0 in dim " +
                                  std::to_string(d) + "; an output view must not overlap itself");
}

void check_shape(const char* op, const char* name, const View& v, const Shape& expected) {
  if (v.shape() != expected)
    throw sdk::invalid_argument(std::string(op) + ": " + name + " is " + v.shape_str() + ", expected " +
                                sdk::shape_string(expected));
}

void check_same_dtype(const char* op, const char* name, const View& v, const char* ref_name, const View& ref) {
  if (v.dtype() != ref.dtype())
    throw sdk::invalid_argument(std::string(op) + ": " + name + " is " + describe(v) + " but " + ref_name + " is " +
                                describe(ref) + ": dtypes differ");
}

int normalize_axis(const char* op, int32_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim)
    throw sdk::invalid_argument(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                                std::to_string(ndim));
  return axis < 0 ? axis + ndim : axis;
}

Shape broadcast_shapes(const char* op, const char* name_a, const Shape& a, const char* name_b, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw sdk::invalid_argument(std::string(op) + ": " + name_a + " is " + sdk::shape_string(a) + " and " + name_b +
                                  " is " + sdk::shape_string(b) + ": they do not broadcast (dim " +
                                  std::to_string(da) + " vs " + std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

void check_unary_op(const char* op, int32_t unary) {
  if (unary < LOOM_UNARY_IDENTITY || unary > LOOM_UNARY_LINEAR)
    throw sdk::invalid_argument(std::string(op) + ": unknown unary op code " + std::to_string(unary));
}

}  // namespace loom::onednn
