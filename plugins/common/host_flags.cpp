#include "host_flags.hpp"

namespace loom::attention {

namespace {

template <class T>
void collect(const View& m, std::vector<uint8_t>& out) {
  const T* base = m.data_as<const T>();
  const int64_t n = m.dim(0), t = m.dim(1), s0 = m.stride(0), s1 = m.stride(1);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < t; ++j) out[static_cast<size_t>(i * t + j)] = base[i * s0 + j * s1] != T(0) ? 1 : 0;
}

}  // namespace

std::vector<uint8_t> read_flags(const View& mask, const std::string& name, int64_t n, int64_t t) {
  if (mask.shape() != Shape{n, t})
    throw sdk::invalid_argument("input '" + name + "' has shape " + mask.shape_str() + ", expected [N, T] = [" +
                                std::to_string(n) + ", " + std::to_string(t) + "]");
  if (mask.device().type != LOOM_DEVICE_CPU)
    throw sdk::unsupported("input '" + name + "' must be in CPU memory: the layer reads it to plan its work");
  std::vector<uint8_t> out(static_cast<size_t>(n * t), 0);
  switch (mask.dtype()) {
    case LOOM_DTYPE_BOOL:
    case LOOM_DTYPE_U8:
      collect<uint8_t>(mask, out);
      break;
    case LOOM_DTYPE_I32:
      collect<int32_t>(mask, out);
      break;
    case LOOM_DTYPE_I64:
      collect<int64_t>(mask, out);
      break;
    case LOOM_DTYPE_F32:
      collect<float>(mask, out);
      break;
    default:
      throw sdk::invalid_argument("input '" + name + "' has dtype " + sdk::dtype_name(mask.dtype()) + " " +
                                  mask.shape_str() + ", expected bool, u8, i32, i64 or f32");
  }
  return out;
}

}  // namespace loom::attention
