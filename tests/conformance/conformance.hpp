// Shared pieces of the op conformance suite: which backends are under test,
// moving host tensors onto a backend, and comparing results with the
// reference backend.
//
// A test runs the same lambda on the reference backend and on the backend
// under test and compares what comes back:
//
//   for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
//     expect_match(name, "relu", [&](Backend& b) { ...; return dst; });
//   }
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace loom::conformance {

// Every available backend except "reference"; just "reference" when it is
// the only one, so the suite still checks itself and the harness.
const std::vector<std::string>& backends_under_test();
// One instance per name for the whole process.
Backend& backend(const std::string& name);
Backend& reference();

// A copy of a host tensor on `b` (never shared with another backend, so an op
// that writes into it cannot disturb the other side of a comparison).
Tensor on(Backend& b, const Tensor& host);
// A contiguous host copy of a host tensor of any strides.
Tensor clone(const Tensor& host);

// Host tensors of any dtype with values from a fixed seed: floats uniform in
// [lo, hi) (rounded to f16/bf16 when asked), integers in [lo, hi), bools 0/1.
Tensor random_of(DType dtype, const Shape& shape, uint64_t seed, double lo = -1, double hi = 1);
// A host f32 tensor with the given values (row-major).
Tensor host_f32(const Shape& shape, const std::vector<float>& values);

// Element i (row-major over the shape, any strides) of a host tensor, as double.
double element(const Tensor& t, int64_t flat);

// Largest |got - want| / max(1, |want|); infinity when a NaN or an infinity
// appears on one side only (or infinities of opposite sign).
double max_scaled_diff(const Tensor& got, const Tensor& want);

// Runs make(b) on the reference backend and on backend `name`, downloads both
// results and checks them within `tol` (scaled, see max_scaled_diff).
using Make = std::function<Tensor(Backend&)>;
void expect_match(const std::string& name, const std::string& what, const Make& make, double tol = 1e-5);

// The same for what the ABI makes optional (dtypes other than f32): an
// Unsupported answer from the backend under test is reported, not failed.
void expect_match_optional(const std::string& name, const std::string& what, const Make& make, double tol = 1e-5);

// Expects fn to throw loom::Error with `status` and a message containing
// every piece of `parts`.
void expect_error(const std::function<void()>& fn, loom_status status, const std::vector<std::string>& parts = {});

// Dims that catch off-by-one and tail handling.
inline const std::vector<int64_t>& odd_sizes() {
  static const std::vector<int64_t> sizes{1, 3, 7, 17, 33};
  return sizes;
}
inline int64_t pick(std::mt19937_64& rng, const std::vector<int64_t>& from) {
  return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
}

}  // namespace loom::conformance
