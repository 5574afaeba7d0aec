// Shared by the linformer tests: fixtures (one safetensors file per case with
// the module's state_dict, "input.*", "expected.*" and the layer type and
// options in its metadata) and a comparison that skips the expected entries
// the reference leaves undefined (NaN: rows at padded positions).
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "backend_cases.hpp"
#include "test_support.hpp"

namespace loom::linformer_test {

constexpr double kTolerance = 1e-5;  // fp32, one layer

using test::contains;
using test::error_of;
using test::for_each_backend;
using test::get;
using test::upload;

struct Fixture {
  std::string name;
  std::shared_ptr<SafetensorsFile> file;
  std::string type;
  OptionMap options;
  TensorMap inputs, expected;  // host tensors

  static Fixture load(const std::string& name) {
    Fixture f;
    f.name = name;
    f.file = SafetensorsFile::open(test::fixture("linformer/" + name + ".safetensors"));
    const auto meta = nlohmann::json::parse(f.file->metadata().at("case"));
    f.type = meta.at("type").get<std::string>();
    for (const auto& [k, v] : meta.at("options").items()) f.options[k] = v.get<std::string>();
    for (const auto& e : f.file->entries()) {
      if (e.name.rfind("input.", 0) == 0) f.inputs[e.name.substr(6)] = *f.file->find(e.name);
      if (e.name.rfind("expected.", 0) == 0) f.expected[e.name.substr(9)] = *f.file->find(e.name);
    }
    return f;
  }

  std::unique_ptr<Layer> make(const std::shared_ptr<Backend>& be, const OptionMap& extra = {},
                              const WeightSource* weights = nullptr) const {
    OptionMap o = options;
    for (const auto& [k, v] : extra) o[k] = v;
    return test::plugins().create_layer(type, be, o, weights ? weights : file.get(), name);
  }

  // The fixture's weights without `drop`, and with `replace` added.
  MemoryWeights weights_without(const std::string& drop, const TensorMap& replace = {}) const {
    MemoryWeights w;
    for (const auto& e : file->entries())
      if (e.name != drop && e.name.rfind("input.", 0) != 0 && e.name.rfind("expected.", 0) != 0)
        w.add(e.name, *file->find(e.name));
    for (const auto& [k, v] : replace) w.add(k, v);
    return w;
  }
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
