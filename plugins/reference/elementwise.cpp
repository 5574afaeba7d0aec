// unary, binary (NumPy broadcasting on either side) and fill.
#include <cmath>
#include <limits>
#include <string>

#include "checks.hpp"
#include "reference_backend.hpp"
#include "strided.hpp"
#include "unary_math.hpp"

namespace loom::reference {

namespace {

const char* binary_name(int32_t op) {
  switch (op) {
    case LOOM_BINARY_ADD: return "add";
    case LOOM_BINARY_SUB: return "sub";
    case LOOM_BINARY_MUL: return "mul";
    case LOOM_BINARY_DIV: return "div";
    case LOOM_BINARY_MAX: return "max";
    case LOOM_BINARY_MIN: return "min";
    default: return nullptr;
  }
}

double apply_binary(int32_t op, double x, double y) {
  switch (op) {
    case LOOM_BINARY_ADD: return x + y;
    case LOOM_BINARY_SUB: return x - y;
    case LOOM_BINARY_MUL: return x * y;
    case LOOM_BINARY_DIV: return x / y;
    // NaN propagates, as torch.maximum / torch.minimum.
    case LOOM_BINARY_MAX: return std::isnan(x) || std::isnan(y) ? std::nan("") : (x > y ? x : y);
    default: return std::isnan(x) || std::isnan(y) ? std::nan("") : (x < y ? x : y);  // MIN
  }
}

// Stores an integral fill value, which must fit the integer dtype exactly.
template <class T>
void fill_integral(float value, const View& dst) {
  const double v = value;
  // max + 1 is a power of two, so exact in double (max itself is not for int64).
  const double limit = 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
  if (!(std::trunc(v) == v && v >= static_cast<double>(std::numeric_limits<T>::lowest()) && v < limit))
    throw sdk::invalid_argument("fill: value " + std::to_string(value) + " is not representable in dst " +
                                sdk::dtype_name(dst.dtype()) + dst.shape_str());
  const T x = static_cast<T>(v);
  for_each_index(dst.shape(), [&](const Index& i) { write_raw(element_ptr(dst, offset_at(dst, i)), x); });
}

}  // namespace

void ReferenceBackend::unary(int32_t op, float alpha, float beta, const View& src, const View& dst) {
  const char* name = "unary";
  check_unary_op(name, op);
  check_float(name, "src", src);
  check_float(name, "dst", dst);
  check_same_dtype(name, "dst", dst, "src", src);
  check_shape(name, "dst", dst, src.shape());
  // Element by element at the same index, so dst aliasing src is fine.
  for_each_index(src.shape(), [&](const Index& i) {
    store(dst, offset_at(dst, i), apply_unary(op, load(src, offset_at(src, i)), alpha, beta));
  });
}

void ReferenceBackend::binary(int32_t op, const View& a, const View& b, const View& dst) {
  const char* name = "binary";
  if (!binary_name(op)) throw sdk::invalid_argument("binary: unknown binary op " + std::to_string(op));
  check_float(name, "a", a);
  check_float(name, "b", b);
  check_float(name, "dst", dst);
  check_same_dtype(name, "b", b, "a", a);
  check_same_dtype(name, "dst", dst, "a", a);
  const Shape out = broadcast_shapes(name, "a", a.shape(), "b", b.shape());
  check_shape(name, "dst", dst, out);
  const int nd = static_cast<int>(out.size());
  for_each_index(out, [&](const Index& i) {
    const double x = load(a, offset_at(a, i, nd)), y = load(b, offset_at(b, i, nd));
    store(dst, offset_at(dst, i), apply_binary(op, x, y));
  });
}

void ReferenceBackend::fill(float value, const View& dst) {
  check_view("fill", "dst", dst);
  switch (dst.dtype()) {
    case LOOM_DTYPE_I32: fill_integral<int32_t>(value, dst); return;
    case LOOM_DTYPE_I64: fill_integral<int64_t>(value, dst); return;
    case LOOM_DTYPE_U8: fill_integral<uint8_t>(value, dst); return;
    case LOOM_DTYPE_BOOL:
      if (value != 0.0f && value != 1.0f)
        throw sdk::invalid_argument("fill: value " + std::to_string(value) + " is not 0 or 1 for bool dst " +
                                    dst.shape_str());
      fill_integral<uint8_t>(value, dst);
      return;
    default: for_each_index(dst.shape(), [&](const Index& i) { store(dst, offset_at(dst, i), value); });
  }
}

}  // namespace loom::reference
