// Shared by the longformer tests: fixtures (one safetensors file per case
// with the module's state_dict, "input.*", "expected.*" and the layer type and
// options in its metadata).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "backend_cases.hpp"
#include "test_support.hpp"

namespace loom::longformer_test {

constexpr double kTolerance = 1e-5;  // fp32, one layer

using test::check_close;
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
    f.file = SafetensorsFile::open(test::fixture("longformer/" + name + ".safetensors"));
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

}  // namespace loom::longformer_test
