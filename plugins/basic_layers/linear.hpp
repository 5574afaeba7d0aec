// linear: y = x W^T + b over the last dim, as torch.nn.Linear.
#pragma once

#include <cstdint>

#include "loom/sdk/layer.hpp"

namespace loom::basic {

class Linear : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit Linear(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t in_features_;
  int64_t out_features_;
  sdk::PackedRef weight_;  // [out, in] prepared once for transpose_b products
  sdk::Buffer bias_;       // [out]; empty when bias=false
};

}  // namespace loom::basic
