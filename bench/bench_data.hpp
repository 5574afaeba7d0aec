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

// The largest |a[i] - b[i]| over n floats.
inline double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace loom::bench
