// luong: multiplicative attention (Luong et al. 2015) with
//   dot      e_j = s . h_j
//   general  e_j = s^T W h_j
//   concat   e_j = v^T tanh(W [s; h_j])
// then alpha = softmax_j(e) and c = sum_j alpha_j h_j.
#pragma once

#include <cstdint>

#include "projection.hpp"

namespace loom::attention {

class Luong : public sdk::Layer {
 public:
  enum class Score { dot, general, concat };
  static sdk::LayerSpec spec();
  explicit Luong(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  Score score_;
  int64_t query_size_, key_size_, attention_size_, block_size_;
  Projection query_proj_;  // general: s -> s^T W [Dk]; concat: s -> W_s s (+ bias) [A]
  Projection key_proj_;    // concat: h -> W_h h [A]
  sdk::Buffer v_;          // concat: [1, A]
};

}  // namespace loom::attention
