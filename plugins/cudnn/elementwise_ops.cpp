// unary, binary (NumPy broadcasting on either side) and fill on the GPU: the
// reference backend's argument checks, then one kernel (kernels/elementwise.cu).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "cudnn_backend.hpp"
#include "kernel_op_checks.hpp"
#include "kernels/kernels.hpp"
#include "loom/abi/backend.h"
#include "loom/sdk/dtype.hpp"

namespace loom::cudnn {

namespace {

bool known_binary(int32_t op) { return op >= LOOM_BINARY_ADD && op <= LOOM_BINARY_MIN; }

// An integral fill value must fit the integer dtype exactly (no silent
// rounding or wrapping); the reference backend's rule and message.
template <class T>
uint64_t integral_bits(float value, const View& dst) {
  const double v = value;
  // max + 1 is a power of two, so exact in double (max itself is not for int64).
  const double limit = 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
  if (!(std::trunc(v) == v && v >= static_cast<double>(std::numeric_limits<T>::lowest()) && v < limit))
    throw sdk::invalid_argument("fill: value " + std::to_string(value) + " is not representable in dst " +
                                describe(dst));
  // Two's complement bits of the value; the kernel stores the low sizeof(T) bytes.
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<T>(v)));
}

// The bit pattern of `value` as one element of dst's dtype.
uint64_t fill_bits(float value, const View& dst) {
  switch (dst.dtype()) {
    case LOOM_DTYPE_F32: return sdk::float_bits(value);
    case LOOM_DTYPE_F16: return sdk::f32_to_f16(value);
    case LOOM_DTYPE_BF16: return sdk::f32_to_bf16(value);
    case LOOM_DTYPE_I32: return integral_bits<int32_t>(value, dst);
    case LOOM_DTYPE_I64: return integral_bits<int64_t>(value, dst);
    case LOOM_DTYPE_U8: return integral_bits<uint8_t>(value, dst);
    case LOOM_DTYPE_BOOL:
      if (value != 0.0f && value != 1.0f)
        throw sdk::invalid_argument("fill: value " + std::to_string(value) + " is not 0 or 1 for bool dst " +
                                    dst.shape_str());
      return value == 1.0f ? 1u : 0u;
    default:  // check_view rejects unknown dtypes first
      throw sdk::unsupported("fill: dst is " + describe(dst) + "; unsupported dtype");
  }
}

}  // namespace

void CudnnBackend::unary(int32_t op, float alpha, float beta, const View& src, const View& dst) {
  const char* name = "unary";
  sdk::checks::check_unary_op(name, op);
  const int device = state_->device();
  check_float(name, "src", src, device);
  check_float(name, "dst", dst, device);
  check_same_dtype(name, "dst", dst, "src", src);
  check_shape(name, "dst", dst, src.shape());
  check_output(name, "dst", dst);
  check_aligned(name, "src", src);
  check_aligned(name, "dst", dst);
  if (dst.numel() == 0) return;
  state_->activate();
  check_kernel(launch_unary(op, alpha, beta, desc_of(src), desc_of(dst), state_->stream()), name);
}

void CudnnBackend::binary(int32_t op, const View& a, const View& b, const View& dst) {
  const char* name = "binary";
  if (!known_binary(op)) throw sdk::invalid_argument("binary: unknown binary op " + std::to_string(op));
  const int device = state_->device();
  check_float(name, "a", a, device);
  check_float(name, "b", b, device);
  check_float(name, "dst", dst, device);
  check_same_dtype(name, "b", b, "a", a);
  check_same_dtype(name, "dst", dst, "a", a);
  const Shape out = broadcast_shapes(name, "a", a.shape(), "b", b.shape());
  check_shape(name, "dst", dst, out);
  check_output(name, "dst", dst);
  check_aligned(name, "a", a);
  check_aligned(name, "b", b);
  check_aligned(name, "dst", dst);
  if (dst.numel() == 0) return;
  state_->activate();
  check_kernel(launch_binary(op, broadcast_desc(a, out), broadcast_desc(b, out), desc_of(dst), state_->stream()),
               name);
}

void CudnnBackend::fill(float value, const View& dst) {
  const char* name = "fill";
  check_view(name, "dst", dst, state_->device());
  const uint64_t bits = fill_bits(value, dst);  // a bad value is an error even for an empty dst, as the reference
  check_output(name, "dst", dst);
  check_aligned(name, "dst", dst);
  if (dst.numel() == 0) return;
  state_->activate();
  check_kernel(launch_fill(bits, desc_of(dst), state_->stream()), name);
}

}  // namespace loom::cudnn
