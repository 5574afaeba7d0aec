// Elementwise activations without weights: relu, gelu, tanh, sigmoid, as the
// torch.nn modules of the same names. Any shape; floating dtypes (f32 on every
// backend, f16/bf16 where the backend's unary op has them).
#pragma once

#include <cstdint>

#include "loom/sdk/layer.hpp"

namespace loom::basic {

class Activation : public sdk::Layer {
 public:
  void forward(sdk::ForwardContext& ctx) const override;

 protected:
  explicit Activation(int32_t op) : op_(op) {}
  static sdk::LayerSpec make_spec(const char* type, const char* description);

 private:
  int32_t op_;  // a loom_unary_op
};

class Relu : public Activation {
 public:
  static sdk::LayerSpec spec();
  explicit Relu(sdk::LayerInit&) : Activation(LOOM_UNARY_RELU) {}
};

class Gelu : public Activation {
 public:
  static sdk::LayerSpec spec();
  explicit Gelu(sdk::LayerInit& init);
};

class Tanh : public Activation {
 public:
  static sdk::LayerSpec spec();
  explicit Tanh(sdk::LayerInit&) : Activation(LOOM_UNARY_TANH) {}
};

class Sigmoid : public Activation {
 public:
  static sdk::LayerSpec spec();
  explicit Sigmoid(sdk::LayerInit&) : Activation(LOOM_UNARY_SIGMOID) {}
};

}  // namespace loom::basic
