// longformer_self_attention: Hugging Face's LongformerSelfAttention
// (inference) with its weight names, taking LongformerModel's masks
// (attention_mask: 1 token, 0 padding; global_attention_mask: 1 global).
#pragma once

#include "longformer_core.hpp"

namespace loom::longformer {

class LongformerSelfAttention : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit LongformerSelfAttention(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  attention::LongformerAttention attn_;
};

}  // namespace loom::longformer
