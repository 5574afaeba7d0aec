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

#include "test_support.hpp"

namespace loom::transformer_test {

// Fp32 tolerances from the issue: one layer, and 6-layer stacks.
constexpr double kLayerTolerance = 1e-5;
constexpr double kStackTolerance = 1e-4;

inline bool verbose() { return std::getenv("LOOM_TEST_VERBOSE") != nullptr; }

inline std::vector<std::string> available_backends() {
  std::vector<std::string> out;
  for (const auto& name : test::plugins().backend_names()) {
    std::string why;
    if (test::plugins().backend_available(name, &why))
      out.push_back(name);
    else
      MESSAGE("backend '" << name << "' skipped: " << why);
  }
  return out;
}

// Runs fn(backend) once per available backend, each in its own SUBCASE.
template <class Fn>
void for_each_backend(Fn&& fn) {
  static const std::vector<std::string> names = available_backends();
  REQUIRE_MESSAGE(!names.empty(), "no backend plugin was loaded from " LOOM_TEST_PLUGIN_DIR);
  for (const auto& name : names) {
    SUBCASE(("backend " + name).c_str()) { fn(test::backend(name)); }
  }
}

struct Fixture {
  std::string name;
  std::shared_ptr<SafetensorsFile> file;
  std::string type;
  OptionMap options;
  TensorMap inputs, expected;  // host tensors

  static Fixture load(const std::string& name) {
    Fixture f;
    f.name = name;
    f.file = SafetensorsFile::open(test::fixture("transformer/" + name + ".safetensors"));
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

inline TensorMap upload(const std::shared_ptr<Backend>& be, const TensorMap& host) {
  TensorMap out;
  for (const auto& [k, v] : host) out[k] = be->upload(v);
  return out;
}

inline Tensor get(const std::shared_ptr<Backend>& be, const TensorMap& out, const std::string& name) {
  auto it = out.find(name);
  REQUIRE_MESSAGE(it != out.end(), "no output '" << name << "'");
  return be->download(it->second);
}

inline double check_close(const Tensor& got, const Tensor& want, const std::string& what, double tolerance) {
  REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shape " << shape_str(got.shape()) << ", expected "
                                                    << shape_str(want.shape()));
  const double err = test::max_abs_diff(got, want);
  if (verbose()) MESSAGE(what << ": max abs error " << err);
  CHECK_MESSAGE(err <= tolerance, what << ": max abs error " << err);
  return err;
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    if (verbose()) MESSAGE("error: " << std::string(e.what()));
    return e.what();
  }
  FAIL_CHECK("expected a loom::Error, got none");
  return {};
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace loom::transformer_test
