// Shared by the attention tests: backends, fixtures (one safetensors file per
// case with weights, "input.*", "expected.*" and the layer type and options
// in its metadata) and comparisons.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend_cases.hpp"
#include "test_support.hpp"

namespace loom::attention_test {

// Fp32 single-layer tolerance (the issue and shared/design/layers.md).
constexpr double kTolerance = 1e-5;

using test::available_backends;
using test::for_each_backend;
using test::verbose;
using test::error_of;
using test::contains;

// One fixture case.
struct Fixture {
  std::string name;
  std::shared_ptr<SafetensorsFile> file;
  std::string type;
  OptionMap options;
  TensorMap inputs;  // host tensors
  Tensor output, attention;

  static Fixture load(const std::string& name) {
    Fixture f;
    f.name = name;
    f.file = SafetensorsFile::open(test::fixture("attention/" + name + ".safetensors"));
    const auto meta = nlohmann::json::parse(f.file->metadata().at("case"));
    f.type = meta.at("type").get<std::string>();
    for (const auto& [k, v] : meta.at("options").items()) f.options[k] = v.get<std::string>();
    for (const auto& e : f.file->entries()) {
      if (e.name.rfind("input.", 0) == 0) f.inputs[e.name.substr(6)] = *f.file->find(e.name);
    }
    f.output = *f.file->find("expected.output");
    f.attention = *f.file->find("expected.attention");
    return f;
  }

  std::unique_ptr<Layer> make(const std::shared_ptr<Backend>& be, const OptionMap& extra = {}) const {
    OptionMap o = options;
    for (const auto& [k, v] : extra) o[k] = v;
    return test::plugins().create_layer(type, be, o, file.get(), name);
  }
};

using test::get;
using test::upload;

// Checks one named result against its reference; returns the error.
inline double check_close(const Tensor& got, const Tensor& want, const std::string& what) {
  return test::check_close(got, want, what, kTolerance);
}

// Every element finite.
inline bool all_finite(const Tensor& c) {
  REQUIRE(c.is_contiguous());
  for (int64_t i = 0; i < c.numel(); ++i)
    if (!std::isfinite(c.data_as<float>()[i])) return false;
  return true;
}


// A host copy with the same values in a fresh contiguous tensor.
inline Tensor clone(const Tensor& t) {
  Tensor c = Tensor::host(t.dtype(), t.shape());
  REQUIRE(t.is_contiguous());
  std::memcpy(c.data(), t.data(), t.nbytes());
  return c;
}

}  // namespace loom::attention_test
