// Loom unary ops as oneDNN eltwise algorithms, and the same math on one
// scalar for the rare paths that have no primitive to run (a matmul with
// K = 0 is just the activation of the bias).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "loom/abi/backend.h"
#include "loom/sdk/error.hpp"

namespace loom::onednn {

struct EltwiseAlg {
  dnnl::algorithm alg;
  float alpha = 0.f;
  float beta = 0.f;
};

// IDENTITY maps to linear(1, 0); callers usually skip it altogether.
inline EltwiseAlg eltwise_alg(int32_t op, float alpha = 1.f, float beta = 0.f) {
  using A = dnnl::algorithm;
  switch (op) {
    case LOOM_UNARY_IDENTITY: return {A::eltwise_linear, 1.f, 0.f};
    case LOOM_UNARY_RELU: return {A::eltwise_relu, 0.f, 0.f};  // alpha is the negative slope
    case LOOM_UNARY_GELU: return {A::eltwise_gelu_erf};
    case LOOM_UNARY_GELU_TANH: return {A::eltwise_gelu_tanh};
    case LOOM_UNARY_TANH: return {A::eltwise_tanh};
    case LOOM_UNARY_SIGMOID: return {A::eltwise_logistic};
    case LOOM_UNARY_EXP: return {A::eltwise_exp};
    case LOOM_UNARY_LOG: return {A::eltwise_log};
    case LOOM_UNARY_SQRT: return {A::eltwise_sqrt};
    case LOOM_UNARY_ABS: return {A::eltwise_abs};
    case LOOM_UNARY_SQUARE: return {A::eltwise_square};
    case LOOM_UNARY_LINEAR: return {A::eltwise_linear, alpha, beta};
    default: throw sdk::invalid_argument("unknown unary op code " + std::to_string(op));
  }
}

inline float unary_scalar(int32_t op, float x) {
  switch (op) {
    case LOOM_UNARY_RELU: return x > 0.f ? x : 0.f;
    case LOOM_UNARY_GELU: return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case LOOM_UNARY_GELU_TANH:
      return 0.5f * x * (1.f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case LOOM_UNARY_TANH: return std::tanh(x);
    case LOOM_UNARY_SIGMOID: return 1.f / (1.f + std::exp(-x));
    case LOOM_UNARY_EXP: return std::exp(x);
    case LOOM_UNARY_LOG: return std::log(x);
    case LOOM_UNARY_SQRT: return std::sqrt(x);
    case LOOM_UNARY_ABS: return std::fabs(x);
    case LOOM_UNARY_SQUARE: return x * x;
    default: return x;
  }
}

}  // namespace loom::onednn
