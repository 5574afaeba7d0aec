// NumPy .npy: reader and atomic writer for Loom's dtypes, C order, little-endian.
#pragma once

#include "loom/export.hpp"

#include <filesystem>

#include "loom/tensor.hpp"

namespace loom {

// Throws FormatError naming the file and what is wrong.
LOOM_API Tensor read_npy(const std::filesystem::path& path);
// Host copy of t written to a temporary name, then renamed.
LOOM_API void write_npy(const std::filesystem::path& path, const Tensor& t);

}  // namespace loom
