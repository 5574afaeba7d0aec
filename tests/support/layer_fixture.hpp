// A layer test case saved by a fixture generator: one safetensors file with
// the reference module's state_dict, its inputs ("input.NAME") and expected
// outputs ("expected.NAME"), and the Loom layer type and options in its
// metadata ("case": {"type": ..., "options": {...}}).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.hpp"

namespace loom::test {

struct LayerFixture {
  std::string name;
  std::shared_ptr<SafetensorsFile> file;
  std::string type;
  OptionMap options;
  TensorMap inputs, expected;  // host tensors

  // path: "AREA/NAME", the file tests/fixtures/AREA/NAME.safetensors; the
  // layer is named `name` (default NAME) in messages.
  static LayerFixture load(const std::string& path, const std::string& name = "") {
    LayerFixture f;
    f.name = name.empty() ? path.substr(path.find('/') + 1) : name;
    f.file = SafetensorsFile::open(fixture(path + ".safetensors"));
    const auto meta = nlohmann::json::parse(f.file->metadata().at("case"));
    f.type = meta.at("type").get<std::string>();
    for (const auto& [k, v] : meta.at("options").items()) f.options[k] = v.get<std::string>();
    for (const auto& e : f.file->entries()) {
      if (e.name.rfind("input.", 0) == 0) f.inputs[e.name.substr(6)] = *f.file->find(e.name);
      if (e.name.rfind("expected.", 0) == 0) f.expected[e.name.substr(9)] = *f.file->find(e.name);
    }
    return f;
  }

  // The layer with the case's options (plus `extra`) and weights.
  std::unique_ptr<Layer> make(const std::shared_ptr<Backend>& be, const OptionMap& extra = {},
                              const WeightSource* weights = nullptr) const {
    OptionMap o = options;
    for (const auto& [k, v] : extra) o[k] = v;
    return plugins().create_layer(type, be, o, weights ? weights : file.get(), name);
  }

  // The case's weights without `drop`, and with `replace` added.
  MemoryWeights weights_without(const std::string& drop, const TensorMap& replace = {}) const {
    MemoryWeights w;
    for (const auto& e : file->entries())
      if (e.name != drop && e.name.rfind("input.", 0) != 0 && e.name.rfind("expected.", 0) != 0)
        w.add(e.name, *file->find(e.name));
    for (const auto& [k, v] : replace) w.add(k, v);
    return w;
  }
};

}  // namespace loom::test
