// softmax (optional additive or boolean mask, any axis, any strides) and
// layer_norm (last dim) on the GPU: the reference backend's argument checks,
// then one block-per-row kernel (kernels/normalization.cu).
#include <string>
#include <utility>

#include "cudnn_backend.hpp"
#include "kernel_op_checks.hpp"
#include "kernels/kernels.hpp"
#include "loom/sdk/dtype.hpp"

namespace loom::cudnn {

void CudnnBackend::softmax(const View& src, const View* mask, int32_t axis_in, const View& dst) {
  const char* op = "softmax";
  const int device = state_->device();
  check_float(op, "src", src, device);
  check_float(op, "dst", dst, device);
  check_same_dtype(op, "dst", dst, "src", src);
  check_shape(op, "dst", dst, src.shape());
  const int axis = normalize_axis(op, axis_in, src.ndim());
  if (mask) {
    check_view(op, "mask", *mask, device);
    const bool boolean_mask = mask->dtype() == LOOM_DTYPE_BOOL || mask->dtype() == LOOM_DTYPE_U8;
    if (!boolean_mask && !sdk::is_floating(mask->dtype()))
      throw sdk::unsupported("softmax: mask is " + describe(*mask) +
                             "; expected an additive float mask or a bool/u8 mask");
    if (!sdk::checks::broadcasts_to(mask->shape(), src.shape()))
      throw sdk::invalid_argument("softmax: mask is " + mask->shape_str() + " and does not broadcast to src " +
                                  src.shape_str());
    check_aligned(op, "mask", *mask);
  }
  check_output(op, "dst", dst);
  check_aligned(op, "src", src);
  check_aligned(op, "dst", dst);
  if (src.numel() == 0) return;
  state_->activate();
  const TensorDesc mask_desc = mask ? broadcast_desc(*mask, src.shape()) : TensorDesc{};
  check_kernel(launch_softmax(desc_of(src), mask ? &mask_desc : nullptr, axis, desc_of(dst), state_->stream()), op);
}

void CudnnBackend::layer_norm(const View& src, const View* gamma, const View* beta, float eps, const View& dst) {
  const char* op = "layer_norm";
  const int device = state_->device();
  check_float(op, "src", src, device);
  check_float(op, "dst", dst, device);
  check_same_dtype(op, "dst", dst, "src", src);
  check_shape(op, "dst", dst, src.shape());
  if (src.ndim() < 1) throw sdk::invalid_argument("layer_norm: src is a scalar; it needs a last dim to normalize");
  const int64_t c = src.dim(-1);
  for (const auto& [name, v] : {std::pair<const char*, const View*>{"gamma", gamma}, {"beta", beta}}) {
    if (!v) continue;
    check_float(op, name, *v, device);
    check_same_dtype(op, name, *v, "src", src);
    check_shape(op, name, *v, {c});
    check_aligned(op, name, *v);
  }
  check_output(op, "dst", dst);
  check_aligned(op, "src", src);
  check_aligned(op, "dst", dst);
  if (src.numel() == 0) return;
  state_->activate();
  const TensorDesc g = gamma ? desc_of(*gamma) : TensorDesc{}, b = beta ? desc_of(*beta) : TensorDesc{};
  check_kernel(launch_layer_norm(desc_of(src), gamma ? &g : nullptr, beta ? &b : nullptr, eps, desc_of(dst),
                                 state_->stream()),
               op);
}

}  // namespace loom::cudnn
