// The scalar functions behind loom_unary_op, shared by unary() and the fused
// matmul activation. Written from the definitions (torch's formulas), in double.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "loom/abi/backend.h"
#include "loom/sdk/error.hpp"
#include "loom/sdk/op_checks.hpp"

namespace loom::reference {

using sdk::checks::check_unary_op;

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

inline double apply_unary(int32_t op, double x, double alpha, double beta) {
  const double pi = 3.14159265358979323846;
  switch (op) {
    case LOOM_UNARY_RELU: return x < 0 ? 0.0 : x;  // NaN stays NaN, as torch
    case LOOM_UNARY_GELU: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case LOOM_UNARY_GELU_TANH: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
    case LOOM_UNARY_TANH: return std::tanh(x);
    case LOOM_UNARY_SIGMOID: return sigmoid(x);
    case LOOM_UNARY_EXP: return std::exp(x);
    case LOOM_UNARY_LOG: return std::log(x);
    case LOOM_UNARY_SQRT: return std::sqrt(x);
    case LOOM_UNARY_ABS: return std::fabs(x);
    case LOOM_UNARY_SQUARE: return x * x;
    case LOOM_UNARY_LINEAR: return alpha * x + beta;
    default: return x;  // IDENTITY; unknown ops are rejected before the loop
  }
}

}  // namespace loom::reference
