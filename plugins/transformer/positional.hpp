// positional_encoding (sinusoidal), learned_positional_embedding and
// token_embedding (ids -> rows, optionally scaled by sqrt(d_model)).
#pragma once

#include "config.hpp"

namespace loom::transformer {

// output = input + PE[offset + pos], PE(pos, 2i) = sin(pos / 10000^(2i/d)),
// PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), precomputed for max_len rows.
class PositionalEncoding : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit PositionalEncoding(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t d_model_, max_len_, offset_;
  bool batch_first_;
  sdk::Buffer table_;  // [max_len, d_model]
};

// output = input + weight[offset + pos] (weight [max_len, d_model]).
class LearnedPositionalEmbedding : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit LearnedPositionalEmbedding(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t d_model_, max_len_, offset_;
  bool batch_first_;
  sdk::Buffer table_;
};

// output [..., d_model] = weight[ids] * (scale ? sqrt(d_model) : 1).
class TokenEmbedding : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit TokenEmbedding(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t num_embeddings_, d_model_;
  bool scale_;
  sdk::Buffer weight_;
};

}  // namespace loom::transformer
