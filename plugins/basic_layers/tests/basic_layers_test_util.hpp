// Shared by the basic-layers tests: the backends to run on and fixture access.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backend_cases.hpp"
#include "test_support.hpp"

namespace loom::basic_test {

// Fp32 single-layer tolerance (shared/design/layers.md).
constexpr double kTolerance = 1e-5;

using test::available_backends;
using test::for_each_backend;
using test::verbose;
using test::error_of;
using test::contains;

inline std::filesystem::path layer_fixture(const std::string& file) { return test::fixture("layers/" + file); }

inline Tensor input_of(const std::string& c) { return read_npy(layer_fixture(c + "_input.npy")); }
inline Tensor output_of(const std::string& c) { return read_npy(layer_fixture(c + "_output.npy")); }
inline std::shared_ptr<SafetensorsFile> weights_of(const std::string& c) {
  return SafetensorsFile::open(layer_fixture(c + ".safetensors"));
}


}  // namespace loom::basic_test
