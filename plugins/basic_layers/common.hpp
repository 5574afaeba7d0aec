// Checks and option helpers shared by the basic layers. Messages name what is
// wrong and the shapes involved; the host puts the layer's name in front.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "loom/sdk/layer.hpp"

namespace loom::basic {

using sdk::Shape;
using sdk::View;

// An integer option that must be at least `min`.
inline int64_t int_at_least(const sdk::Options& options, const std::string& key, int64_t min) {
  int64_t v = options.get_int(key);
  if (v < min)
    throw sdk::invalid_argument("option '" + key + "' must be >= " + std::to_string(min) + ", got " +
                                std::to_string(v));
  return v;
}

// A float option that must be finite and not negative (epsilons).
inline float non_negative_float(const sdk::Options& options, const std::string& key) {
  double v = options.get_float(key);
  if (!std::isfinite(v) || v < 0)
    throw sdk::invalid_argument("option '" + key + "' must be a finite number >= 0, got " + options.get_string(key));
  return static_cast<float>(v);
}

inline void require_dtype(const View& input, int32_t dtype, const char* what) {
  if (input.dtype() != dtype)
    throw sdk::invalid_argument(std::string(what) + " has dtype " + sdk::dtype_name(input.dtype()) + " " +
                                input.shape_str() + ", expected " + sdk::dtype_name(dtype));
}

// The input's last dim must be `expected`; `option` names the option that set it.
inline void require_last_dim(const View& input, int64_t expected, const char* option) {
  if (input.ndim() == 0)
    throw sdk::invalid_argument("input is a scalar " + input.shape_str() + ", expected a last dim of " + option +
                                " = " + std::to_string(expected));
  if (input.dim(-1) != expected)
    throw sdk::invalid_argument("input has " + std::to_string(input.dim(-1)) + " features in its last dim " +
                                input.shape_str() + ", expected " + option + " = " + std::to_string(expected));
}

// The input's shape with its last dim replaced by `last`.
inline Shape with_last_dim(const View& input, int64_t last) {
  Shape s = input.shape();
  s.back() = last;
  return s;
}

}  // namespace loom::basic
