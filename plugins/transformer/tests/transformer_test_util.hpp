// Shared by the transformer tests: backends, fixtures (one safetensors file
// per case with the torch state_dict, "input.*", "expected.*" and the layer
// type and options in its metadata) and comparisons.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend_cases.hpp"
#include "layer_fixture.hpp"
#include "test_support.hpp"

namespace loom::transformer_test {

// Fp32 tolerances from the issue: one layer, and 6-layer stacks.
constexpr double kLayerTolerance = 1e-5;
constexpr double kStackTolerance = 1e-4;

using test::available_backends;
using test::contains;
using test::error_of;
using test::for_each_backend;
using test::verbose;

// A bare name is in tests/fixtures/transformer; "area/name" in tests/fixtures/area.
struct Fixture : test::LayerFixture {
  static Fixture load(const std::string& name) {
    return {test::LayerFixture::load(name.find('/') == std::string::npos ? "transformer/" + name : name, name)};
  }
};

using test::get;
using test::upload;

using test::check_close;

}  // namespace loom::transformer_test
