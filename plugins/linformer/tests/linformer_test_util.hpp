// Shared by the linformer tests: fixtures (one safetensors file per case with
// the module's state_dict, "input.*", "expected.*" and the layer type and
// options in its metadata) and a comparison that skips the expected entries
// the reference leaves undefined (NaN: rows at padded positions).
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>

#include "backend_cases.hpp"
#include "layer_fixture.hpp"
#include "test_support.hpp"

namespace loom::linformer_test {

constexpr double kTolerance = 1e-5;  // fp32, one layer

using test::contains;
using test::error_of;
using test::for_each_backend;
using test::get;
using test::upload;

struct Fixture : test::LayerFixture {
  static Fixture load(const std::string& name) { return {test::LayerFixture::load("linformer/" + name)}; }
};

// Max |got - want| over the entries where `want` is defined (not NaN).
inline double check_defined(const Tensor& got, const Tensor& want, const std::string& what, double tolerance) {
  REQUIRE_MESSAGE(got.shape() == want.shape(),
                  what << ": shape " << shape_str(got.shape()) << ", expected " << shape_str(want.shape()));
  REQUIRE(got.is_contiguous());
  REQUIRE(want.is_contiguous());
  const float* g = got.data_as<float>();
  const float* w = want.data_as<float>();
  double worst = 0;
  int64_t defined = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    if (std::isnan(w[i])) continue;
    ++defined;
    const double d = std::isnan(g[i]) ? INFINITY : std::fabs(static_cast<double>(g[i]) - w[i]);
    worst = std::max(worst, d);
  }
  CHECK_MESSAGE((defined > 0 || want.numel() == 0), what << ": no defined entries");
  if (test::verbose()) MESSAGE(what << ": max abs error " << worst);
  CHECK_MESSAGE(worst <= tolerance, what << ": max abs error " << worst);
  return worst;
}

}  // namespace loom::linformer_test
