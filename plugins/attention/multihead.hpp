// multihead_attention: torch.nn.MultiheadAttention (inference), self and
// cross attention, with key-padding, boolean/additive and causal masks, and
// the attention weights per head or averaged on request.
#pragma once

#include <cstdint>

#include "projection.hpp"

namespace loom::attention {

class MultiheadAttention : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit MultiheadAttention(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t embed_dim_, num_heads_, head_dim_, kdim_, vdim_;
  bool batch_first_, causal_, average_weights_;
  int64_t block_size_;
  Projection q_proj_, k_proj_, v_proj_, out_proj_;
};

}  // namespace loom::attention
