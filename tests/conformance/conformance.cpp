#include "conformance.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>

#include "loom/sdk/dtype.hpp"

namespace loom::conformance {

const std::vector<std::string>& backends_under_test() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& name : test::plugins().backend_names()) {
      std::string why;
      if (name == "reference") continue;
      if (!test::plugins().backend_available(name, &why)) {
        std::cerr << "conformance: skipping backend '" << name << "': " << why << "\n";
        continue;
      }
      out.push_back(name);
    }
    if (out.empty()) out.push_back("reference");  // self-check of the reference and of this harness
    std::cerr << "conformance: backends under test:";
    for (const auto& n : out) std::cerr << " " << n;
    std::cerr << "\n";
    return out;
  }();
  return names;
}

Backend& backend(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<Backend>> made;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = made[name];
  if (!slot) slot = test::backend(name);
  return *slot;
}

Backend& reference() { return backend("reference"); }

namespace {
// Element offset (in elements) of row-major position `flat` in t.
int64_t offset_of(const Tensor& t, int64_t flat) {
  int64_t offset = 0;
  for (int d = t.ndim() - 1; d >= 0; --d) {
    const int64_t n = t.shape()[static_cast<size_t>(d)];
    offset += (flat % n) * t.strides()[static_cast<size_t>(d)];
    flat /= n;
  }
  return offset;
}
}  // namespace

Tensor clone(const Tensor& host) {
  Tensor out = Tensor::host(host.dtype(), host.shape());
  const size_t size = dtype_size(host.dtype());
  const auto* src = static_cast<const char*>(host.data());
  auto* dst = static_cast<char*>(out.data());
  for (int64_t i = 0; i < host.numel(); ++i)
    std::memcpy(dst + static_cast<size_t>(i) * size, src + offset_of(host, i) * static_cast<int64_t>(size), size);
  return out;
}

Tensor on(Backend& b, const Tensor& host) { return b.upload(clone(host)); }

Tensor random_of(DType dtype, const Shape& shape, uint64_t seed, double lo, double hi) {
  Tensor t = Tensor::host(dtype, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(lo, hi);
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    const double x = real(rng);
    const auto ix = static_cast<int64_t>(std::floor(x));  // integers uniform in [lo, hi)
    switch (dtype) {
      case DType::f32: t.data_as<float>()[i] = static_cast<float>(x); break;
      case DType::f16: t.data_as<uint16_t>()[i] = sdk::f32_to_f16(static_cast<float>(x)); break;
      case DType::bf16: t.data_as<uint16_t>()[i] = sdk::f32_to_bf16(static_cast<float>(x)); break;
      case DType::i32: t.data_as<int32_t>()[i] = static_cast<int32_t>(ix); break;
      case DType::i64: t.data_as<int64_t>()[i] = ix; break;
      case DType::u8: t.data_as<uint8_t>()[i] = static_cast<uint8_t>(ix); break;
      case DType::boolean: t.data_as<uint8_t>()[i] = rng() & 1u; break;
    }
  }
  return t;
}

Tensor host_f32(const Shape& shape, const std::vector<float>& values) {
  Tensor t = Tensor::host(DType::f32, shape);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw InvalidArgument("host_f32: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

double element(const Tensor& t, int64_t flat) {
  const int64_t o = offset_of(t, flat);
  switch (t.dtype()) {
    case DType::f32: return t.data_as<float>()[o];
    case DType::f16: return sdk::f16_to_f32(t.data_as<uint16_t>()[o]);
    case DType::bf16: return sdk::bf16_to_f32(t.data_as<uint16_t>()[o]);
    case DType::i32: return t.data_as<int32_t>()[o];
    case DType::i64: return static_cast<double>(t.data_as<int64_t>()[o]);
    default: return t.data_as<uint8_t>()[o];
  }
}

double max_scaled_diff(const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape())
    throw InvalidArgument("max_scaled_diff: shapes differ: " + shape_str(got.shape()) + " vs " +
                          shape_str(want.shape()));
  double worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double x = element(got, i), y = element(want, i);
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) return std::numeric_limits<double>::infinity();
      continue;
    }
    if (std::isinf(x) || std::isinf(y)) {
      if (x != y) return std::numeric_limits<double>::infinity();
      continue;
    }
    worst = std::max(worst, std::fabs(x - y) / std::max(1.0, std::fabs(y)));
  }
  return worst;
}

namespace {
// The first element where got and want differ most, for failure messages.
std::string worst_element(const Tensor& got, const Tensor& want) {
  int64_t at = 0;
  double worst = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = std::fabs(element(got, i) - element(want, i)) / std::max(1.0, std::fabs(element(want, i)));
    if (!(d <= worst)) {  // NaN counts as worst
      worst = d;
      at = i;
      if (std::isnan(d)) break;
    }
  }
  if (want.numel() == 0) return "(empty)";
  return "flat index " + std::to_string(at) + ": got " + std::to_string(element(got, at)) + ", reference " +
         std::to_string(element(want, at));
}

void match(const std::string& name, const std::string& what, const Make& make, double tol, bool optional) {
  INFO("backend '" << name << "', " << what);
  Tensor want = reference().download(make(reference()));
  Tensor got;
  try {
    Backend& b = backend(name);
    got = b.download(make(b));
  } catch (const Error& e) {
    if (optional && e.status() == LOOM_ERR_UNSUPPORTED) {
      MESSAGE("backend '" << name << "' does not support " << what << ": " << std::string(e.what()));
      return;
    }
    FAIL_CHECK("backend '" << name << "' failed: " << std::string(e.what()));
    return;
  }
  REQUIRE(shape_str(got.shape()) == shape_str(want.shape()));
  REQUIRE(dtype_name(got.dtype()) == std::string(dtype_name(want.dtype())));
  const double diff = max_scaled_diff(got, want);
  CHECK_MESSAGE(diff <= tol, "scaled difference " << diff << " > " << tol << " at " << worst_element(got, want));
}
}  // namespace

void expect_match(const std::string& name, const std::string& what, const Make& make, double tol) {
  match(name, what, make, tol, false);
}

void expect_match_optional(const std::string& name, const std::string& what, const Make& make, double tol) {
  match(name, what, make, tol, true);
}

void expect_error(const std::function<void()>& fn, loom_status status, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(static_cast<int>(e.status()) == static_cast<int>(status));
    for (const auto& part : parts) CHECK_MESSAGE(message.find(part) != std::string::npos, "missing '" << part << "'");
    return;
  } catch (const std::exception& e) {
    FAIL_CHECK("expected loom::Error, got another exception: " << e.what());
    return;
  }
  FAIL_CHECK("expected an error (status " << static_cast<int>(status) << "), got none");
}

}  // namespace loom::conformance
