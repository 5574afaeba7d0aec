// Shared by the longformer tests: fixtures (one safetensors file per case
// with the module's state_dict, "input.*", "expected.*" and the layer type and
// options in its metadata).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "backend_cases.hpp"
#include "layer_fixture.hpp"
#include "test_support.hpp"

namespace loom::longformer_test {

constexpr double kTolerance = 1e-5;  // fp32, one layer

using test::check_close;
using test::contains;
using test::error_of;
using test::for_each_backend;
using test::get;
using test::upload;

struct Fixture : test::LayerFixture {
  static Fixture load(const std::string& name) { return {test::LayerFixture::load("longformer/" + name)}; }
};

}  // namespace loom::longformer_test
