#include "op_checks.hpp"

namespace loom::cudnn {

void check_view(const char* op, const char* name, const View& v, int device) {
  sdk::checks::check_view(op, name, v, LOOM_DEVICE_CUDA, "cudnn");
  if (v.numel() != 0 && v.device().index != device)
    throw sdk::invalid_argument(std::string(op) + ": " + name + " " + describe(v) + " is on cuda:" +
                                std::to_string(v.device().index) + " but this cudnn backend runs on cuda:" +
                                std::to_string(device));
}

void check_float(const char* op, const char* name, const View& v, int device) {
  check_view(op, name, v, device);
  if (!sdk::is_floating(v.dtype()))
    throw sdk::unsupported(std::string(op) + ": " + name + " is " + describe(v) +
                           "; the cudnn backend does this op in f32, f16 or bf16 only");
}

TensorDesc desc_of(const View& v) {
  TensorDesc d;
  d.data = v.data();
  d.dtype = v.dtype();
  d.ndim = v.ndim();
  for (int32_t i = 0; i < v.ndim(); ++i) {
    d.shape[i] = v.dim(i);
    d.strides[i] = v.stride(i);
  }
  return d;
}

TensorDesc broadcast_desc(const View& v, const Shape& out) {
  TensorDesc d;
  d.data = v.data();
  d.dtype = v.dtype();
  d.ndim = static_cast<int32_t>(out.size());
  const int32_t lead = d.ndim - v.ndim();
  for (int32_t i = 0; i < d.ndim; ++i) {
    d.shape[i] = out[static_cast<size_t>(i)];
    const int32_t src = i - lead;
    d.strides[i] = src < 0 || v.dim(src) == 1 ? 0 : v.stride(src);
  }
  return d;
}

}  // namespace loom::cudnn
