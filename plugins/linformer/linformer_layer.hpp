// linformer_self_attention: LinformerSelfAttention from the `linformer`
// package (inference), with its option and weight names; self-attention, or
// attention to a `context` sequence, with an optional key padding mask.
#pragma once

#include "linformer_core.hpp"

namespace loom::linformer {

class LinformerSelfAttention : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit LinformerSelfAttention(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  attention::LinformerAttention attn_;
};

}  // namespace loom::linformer
