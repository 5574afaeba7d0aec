#include "projection.hpp"

namespace loom::attention {

Projection::Projection(const sdk::Ops& ops, const View& weight, const View* bias)
    : in_(weight.dim(1)), out_(weight.dim(0)) {
  weight_ = ops.matmul_pack(weight, /*transpose_b=*/true);
  if (bias) {
    bias_ = ops.empty(LOOM_DTYPE_F32, {out_});
    ops.copy(*bias, bias_.view());
  }
}

void Projection::apply(const sdk::Ops& ops, const View& x, const View& y, const sdk::MatmulArgs& args) const {
  if (y.numel() == 0) return;
  ops.matmul_packed(x, weight_, bias_ ? &bias_.view() : nullptr, y, args);
}

}  // namespace loom::attention
