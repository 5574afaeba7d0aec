// A linear map y = x W^T + b over the last dim, with W prepared once by
// matmul_pack (the attention layers' q/k/v/out projections).
#pragma once

#include <cstdint>

#include "common.hpp"

namespace loom::attention {

class Projection {
 public:
  Projection() = default;
  // weight [out, in] and bias [out] (or null) are backend views; both are
  // copied, so they may be slices of a larger buffer that the caller drops.
  Projection(const sdk::Ops& ops, const View& weight, const View* bias);

  // x [..., in] (any strides) -> y [..., out]; `args` may fuse an
  // activation or accumulate into y (beta = 1, a residual add).
  void apply(const sdk::Ops& ops, const View& x, const View& y, const sdk::MatmulArgs& args = {}) const;
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  int64_t in_ = 0, out_ = 0;
  sdk::PackedRef weight_;
  sdk::Buffer bias_;  // empty: no bias
};

}  // namespace loom::attention
