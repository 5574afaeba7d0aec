// Runs a test body once per backend that can run on this machine, each in its
// own doctest SUBCASE (how every layer test covers every backend), and checks
// the message of an expected error.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace loom::test {

// Set LOOM_TEST_VERBOSE=1 to print measured errors and messages.
inline bool verbose() { return std::getenv("LOOM_TEST_VERBOSE") != nullptr; }

// Every loaded backend plugin that says it can run here; the others are
// named with the reason (a GPU backend on a machine without a GPU).
inline std::vector<std::string> available_backends() {
  std::vector<std::string> out;
  for (const auto& name : plugins().backend_names()) {
    std::string why;
    if (plugins().backend_available(name, &why))
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
    SUBCASE(("backend " + name).c_str()) { fn(backend(name)); }
  }
}

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

// Host tensors moved to a backend (shared, not copied, on a CPU backend).
inline TensorMap upload(const std::shared_ptr<Backend>& be, const TensorMap& host) {
  TensorMap out;
  for (const auto& [k, v] : host) out[k] = be->upload(v);
  return out;
}

// One named output of a layer call, on the host; fails when it is missing.
inline Tensor get(const std::shared_ptr<Backend>& be, const TensorMap& out, const std::string& name) {
  auto it = out.find(name);
  REQUIRE_MESSAGE(it != out.end(), "no output '" << name << "'");
  return be->download(it->second);
}

// Checks one named result against its reference (shape, then max abs error); returns the error.
inline double check_close(const Tensor& got, const Tensor& want, const std::string& what, double tolerance) {
  REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shape " << shape_str(got.shape()) << ", expected "
                                                    << shape_str(want.shape()));
  const double err = max_abs_diff(got, want);
  if (verbose()) MESSAGE(what << ": max abs error " << err);
  CHECK_MESSAGE(err <= tolerance, what << ": max abs error " << err);
  return err;
}

}  // namespace loom::test
