// bahdanau: additive attention, e_j = v^T tanh(W s + U h_j), alpha =
// softmax_j(e), c = sum_j alpha_j h_j (Bahdanau et al. 2015).
#pragma once

#include <cstdint>

#include "projection.hpp"

namespace loom::attention {

class Bahdanau : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit Bahdanau(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t query_size_, key_size_, attention_size_, block_size_;
  Projection w_, u_;  // W [A, Dq], U [A, Dk] (+ bias [A] each with bias=true)
  sdk::Buffer v_;     // [1, A]
};

}  // namespace loom::attention
