// Helpers shared by Loom's tests: plugins from the build tree, fixtures,
// random tensors and comparisons.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "loom/loom.hpp"

namespace loom::test {

// A PluginManager with the in-tree plugins of this build loaded (once per process).
PluginManager& plugins();
std::shared_ptr<Backend> backend(const std::string& name);

std::filesystem::path fixtures_dir();
std::filesystem::path fixture(const std::string& relative);
std::filesystem::path binary_dir();

// Host f32 tensor with values uniform in [lo, hi), from a fixed seed.
Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f);
// Host i64 tensor with values in [0, bound).
Tensor random_indices(const Shape& shape, int64_t bound, uint64_t seed);

// Largest |a - b| over all elements (both read through the host; any strides).
double max_abs_diff(const Tensor& a, const Tensor& b);

}  // namespace loom::test
