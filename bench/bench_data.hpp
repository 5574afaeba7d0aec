// Inputs and checks the benchmarks share: seeded random data (the same
// numbers for the same seed in every benchmark) and the largest difference.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "loom/loom.hpp"

namespace loom::bench {

// n floats uniform in [-scale, scale], from mt19937_64(seed).
inline void fill_random(float* p, int64_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (int64_t i = 0; i < n; ++i) p[i] = dist(rng);
}

// A host f32 tensor filled as fill_random does.
inline Tensor random_tensor(const Shape& shape, uint64_t seed, float scale = 1.0f) {
  Tensor t = Tensor::host(DType::f32, shape);
  fill_random(t.data_as<float>(), t.numel(), seed, scale);
  return t;
}

// The largest |a[i] - b[i]| over n floats; a NaN on either side gives
// infinity, so a check against a tolerance fails (std::max would skip it).
inline double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (!(d <= m)) m = std::isnan(d) ? INFINITY : d;
  }
  return m;
}

}  // namespace loom::bench
