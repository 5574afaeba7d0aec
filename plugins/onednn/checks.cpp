#include "checks.hpp"

namespace loom::onednn {

void check_view(const char* op, const char* name, const View& v) {
  sdk::checks::check_view(op, name, v, LOOM_DEVICE_CPU, "onednn");
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.stride(d) < 0)
      throw sdk::unsupported(std::string(op) + ": " + name + " " + v.shape_str() + " has a negative stride in dim " +
                             std::to_string(d) + "; the onednn backend needs non-negative strides");
}

void check_f32(const char* op, const char* name, const View& v) {
  check_view(op, name, v);
  if (v.dtype() != LOOM_DTYPE_F32)
    throw sdk::unsupported(std::string(op) + ": " + name + " is " + describe(v) +
                           "; the onednn backend does this op in f32 only");
}

}  // namespace loom::onednn
