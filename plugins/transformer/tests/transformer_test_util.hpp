// Shared by the transformer tests: backends, fixtures (one safetensors file
// per case with the torch state_dict, "input.*", "expected.*" and the layer
// type and options in its metadata) and comparisons.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend_cases.hpp"
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

struct Fixture {
  std::string name;
  std::shared_ptr<SafetensorsFile> file;
  std::string type;
  OptionMap options;
  TensorMap inputs, expected;  // host tensors

  static Fixture load(const std::string& name) {
    Fixture f;
    f.name = name;
    // A bare name is in tests/fixtures/transformer; "area/name" in tests/fixtures/area.
    const std::string path = name.find('/') == std::string::npos ? "transformer/" + name : name;
    f.file = SafetensorsFile::open(test::fixture(path + ".safetensors"));
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
};

using test::get;
using test::upload;

using test::check_close;

}  // namespace loom::transformer_test
