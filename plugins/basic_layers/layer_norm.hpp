// layer_norm: normalization over the last dim, as torch.nn.LayerNorm.
#pragma once

#include <cstdint>

#include "loom/sdk/layer.hpp"

namespace loom::basic {

class LayerNorm : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit LayerNorm(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t normalized_shape_;
  float eps_;
  sdk::Buffer weight_;  // [C] gamma; empty without elementwise_affine
  sdk::Buffer bias_;    // [C] beta; empty without elementwise_affine or with bias=false
};

}  // namespace loom::basic
