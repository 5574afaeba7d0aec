// embedding: a lookup table of rows, as torch.nn.Embedding (inference only).
#pragma once

#include <cstdint>

#include "loom/sdk/layer.hpp"

namespace loom::basic {

class Embedding : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit Embedding(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  // Names the first id outside [0, num_embeddings) of indices in host memory.
  void check_ids_on_host(const sdk::View& indices) const;

  int64_t num_embeddings_;
  int64_t embedding_dim_;
  int64_t padding_idx_;  // -1: none. Kept for training; the forward pass ignores it.
  sdk::Buffer weight_;   // [num_embeddings, embedding_dim], contiguous
};

}  // namespace loom::basic
