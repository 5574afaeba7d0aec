// Shared by the basic-layers tests: the backends to run on and fixture access.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace loom::basic_test {

// Fp32 single-layer tolerance (shared/design/layers.md).
constexpr double kTolerance = 1e-5;

// Every backend plugin that can run on this machine.
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

inline std::filesystem::path layer_fixture(const std::string& file) { return test::fixture("layers/" + file); }

inline Tensor input_of(const std::string& c) { return read_npy(layer_fixture(c + "_input.npy")); }
inline Tensor output_of(const std::string& c) { return read_npy(layer_fixture(c + "_output.npy")); }
inline std::shared_ptr<SafetensorsFile> weights_of(const std::string& c) {
  return SafetensorsFile::open(layer_fixture(c + ".safetensors"));
}

// Set LOOM_TEST_VERBOSE=1 to see the errors measured against the references
// and the messages of the error tests.
inline bool verbose() { return std::getenv("LOOM_TEST_VERBOSE") != nullptr; }

// The message of the loom::Error that fn throws; fails the check when none.
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

}  // namespace loom::basic_test
