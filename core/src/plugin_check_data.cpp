// Example data for the plugin conformance kit: seeded random tensors from the
// declarations, host copies of outputs, and output comparison.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "loom/error.hpp"
#include "loom/sdk/dtype.hpp"
#include "plugin_check_internal.hpp"

namespace loom::check {

namespace {

// A stable per-tensor stream: the seed mixed with the tensor's name, so the
// same example gives the same data on every backend and run.
uint64_t stream_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

double element(const Tensor& t, int64_t i) {
  const void* p = t.data();
  switch (static_cast<int32_t>(t.dtype())) {
    case LOOM_DTYPE_F32: return static_cast<const float*>(p)[i];
    case LOOM_DTYPE_F16: return sdk::f16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case LOOM_DTYPE_BF16: return sdk::bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case LOOM_DTYPE_I32: return static_cast<const int32_t*>(p)[i];
    case LOOM_DTYPE_I64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    default: return static_cast<const uint8_t*>(p)[i];
  }
}

}  // namespace

Tensor example_tensor(const ExampleTensor& decl, uint64_t seed) {
  if (decl.dtype < LOOM_DTYPE_F32 || decl.dtype > LOOM_DTYPE_BOOL)
    throw InvalidArgument(fmt::format("example tensor '{}' has unknown dtype {}", decl.name, decl.dtype));
  if (!(decl.low <= decl.high))
    throw InvalidArgument(fmt::format("example tensor '{}': low {} is above high {}", decl.name, decl.low, decl.high));
  Tensor t = Tensor::host(static_cast<DType>(decl.dtype), decl.shape);
  std::mt19937_64 rng(stream_seed(seed, decl.name));
  const int64_t n = t.numel();
  void* p = t.data();
  if (sdk::is_floating(decl.dtype)) {
    std::uniform_real_distribution<double> dist(decl.low, decl.high);
    for (int64_t i = 0; i < n; ++i) {
      float v = static_cast<float>(decl.low == decl.high ? decl.low : dist(rng));
      if (decl.dtype == LOOM_DTYPE_F32) static_cast<float*>(p)[i] = v;
      else if (decl.dtype == LOOM_DTYPE_F16) static_cast<uint16_t*>(p)[i] = sdk::f32_to_f16(v);
      else static_cast<uint16_t*>(p)[i] = sdk::f32_to_bf16(v);
    }
    return t;
  }
  double lo = std::ceil(decl.low), hi = std::floor(decl.high);
  if (decl.dtype == LOOM_DTYPE_BOOL || decl.dtype == LOOM_DTYPE_U8) {
    lo = std::max(lo, 0.0);
    hi = std::min(hi, decl.dtype == LOOM_DTYPE_BOOL ? 1.0 : 255.0);
  }
  if (lo > hi) throw InvalidArgument(fmt::format("example tensor '{}' ({}): no integer in [{}, {}]", decl.name,
                                                 sdk::dtype_name(decl.dtype), decl.low, decl.high));
  std::uniform_int_distribution<int64_t> dist(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = dist(rng);
    if (decl.dtype == LOOM_DTYPE_I32) static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v);
    else if (decl.dtype == LOOM_DTYPE_I64) static_cast<int64_t*>(p)[i] = v;
    else static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v);
  }
  return t;
}

ExampleData example_data(const LayerExample& example, uint64_t seed) {
  ExampleData d;
  for (const auto& w : example.weights) d.weights.add(w.name, example_tensor(w, seed));
  for (const auto& in : example.inputs) d.inputs.emplace_back(in.name, example_tensor(in, seed));
  return d;
}

TensorMap host_copies(Backend& backend, const TensorMap& outputs) {
  TensorMap out;
  for (const auto& [name, t] : outputs) {
    Tensor h = backend.download(t);
    Tensor copy = Tensor::host(h.dtype(), h.shape());
    if (!h.is_contiguous()) throw PluginError(fmt::format("output '{}' is not contiguous", name));
    if (copy.nbytes()) std::memcpy(copy.data(), h.data(), copy.nbytes());
    out.emplace(name, std::move(copy));
  }
  return out;
}

TensorMap upload_inputs(Backend& backend, const std::vector<std::pair<std::string, Tensor>>& inputs) {
  TensorMap out;
  for (const auto& [name, t] : inputs) out[name] = backend.upload(t);
  return out;
}

Comparison compare_outputs(const TensorMap& got, const TensorMap& want, double atol, double rtol) {
  Comparison c;
  for (const auto& [name, w] : want) {
    auto it = got.find(name);
    if (it == got.end()) continue;
    const Tensor& g = it->second;
    if (g.dtype() != w.dtype() || g.shape() != w.shape()) {
      c.ok = false;
      c.problem = fmt::format("output '{}' is {} but the reference gives {}", name, g.describe(), w.describe());
      return c;
    }
    const int64_t n = w.numel();
    const bool floating = sdk::is_floating(static_cast<int32_t>(w.dtype()));
    double scale = 0;
    for (int64_t i = 0; floating && i < n; ++i)
      if (std::isfinite(element(w, i))) scale = std::max(scale, std::fabs(element(w, i)));
    const double tol = floating ? atol + rtol * scale : 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double a = element(g, i), b = element(w, i);
      if (std::isnan(b) || std::isnan(a)) {
        if (std::isnan(a) != std::isnan(b)) {
          c.ok = false;
          c.problem = fmt::format("output '{}'[{}] is {} but the reference gives {}", name, i, a, b);
          return c;
        }
        continue;
      }
      if (std::isinf(b) || std::isinf(a)) {
        if (a != b) {
          c.ok = false;
          c.problem = fmt::format("output '{}'[{}] is {} but the reference gives {}", name, i, a, b);
          return c;
        }
        continue;
      }
      double d = std::fabs(a - b);
      c.max_diff = std::max(c.max_diff, d);
      if (d > tol && c.ok) {
        c.ok = false;
        c.problem = fmt::format("output '{}'[{}] is {:.7g} but the reference gives {:.7g} (|diff| {:.3g} > {:.3g})",
                                name, i, a, b, d, tol);
      }
    }
  }
  return c;
}

double median(std::vector<double> values) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string format_ms(double ms) {
  if (ms < 0) return "";
  if (ms < 0.1) return fmt::format("{:.4f}", ms);
  if (ms < 10) return fmt::format("{:.3f}", ms);
  return fmt::format("{:.1f}", ms);
}

}  // namespace loom::check
