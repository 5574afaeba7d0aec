// scaled_dot_product: softmax(Q K^T * scale + mask) V over any batch dims,
// as torch.nn.functional.scaled_dot_product_attention (no weights).
#pragma once

#include <cstdint>

#include "common.hpp"

namespace loom::attention {

class ScaledDotProduct : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit ScaledDotProduct(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  bool causal_;
  double scale_;  // 0: 1 / sqrt(E)
  int64_t block_size_;
};

}  // namespace loom::attention
