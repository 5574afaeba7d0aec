// Pipeline head stages: pooling over the sequence (mean, cls, max; with an
// optional padding mask), L2 normalization, and a linear classifier with
// softmax probabilities.
#pragma once

#include <cstdint>
#include <string>

#include "loom/sdk/layer.hpp"
#include "loom/sdk/ops.hpp"

namespace loom::heads {

using sdk::Shape;
using sdk::View;

class Pooling : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit Pooling(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  std::string mode_;
};

class L2Normalize : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit L2Normalize(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  float eps_;
};

class Classifier : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit Classifier(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  int64_t in_features_, num_classes_;
  sdk::Buffer weight_, bias_;
};

// Checks shared by the heads; messages name the input and its shape.
void require_f32(const View& v, const char* what);

}  // namespace loom::heads
