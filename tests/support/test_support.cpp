#include "test_support.hpp"

#include <cmath>
#include <random>

#include "loom/sdk/dtype.hpp"

namespace loom::test {

PluginManager& plugins() {
  static PluginManager* manager = [] {
    auto* m = new PluginManager();  // never destroyed: plugins outlive every test
    m->load_search_path({LOOM_TEST_PLUGIN_DIR});
    return m;
  }();
  return *manager;
}

std::shared_ptr<Backend> backend(const std::string& name) { return plugins().create_backend(name); }

std::filesystem::path fixtures_dir() { return LOOM_TEST_FIXTURES; }
std::filesystem::path fixture(const std::string& relative) { return fixtures_dir() / relative; }
std::filesystem::path binary_dir() { return LOOM_TEST_BINARY_DIR; }

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi) {
  Tensor t = Tensor::host(DType::f32, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

Tensor random_indices(const Shape& shape, int64_t bound, uint64_t seed) {
  Tensor t = Tensor::host(DType::i64, shape);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, bound - 1);
  int64_t* p = t.data_as<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

namespace {
// Reads element i (row-major over the shape) as double, following strides.
double element(const Tensor& t, int64_t flat) {
  int64_t offset = 0;
  for (int d = t.ndim() - 1; d >= 0; --d) {
    int64_t n = t.shape()[static_cast<size_t>(d)];
    offset += (flat % n) * t.strides()[static_cast<size_t>(d)];
    flat /= n;
  }
  switch (t.dtype()) {
    case DType::f32: return t.data_as<float>()[offset];
    case DType::i64: return static_cast<double>(t.data_as<int64_t>()[offset]);
    case DType::i32: return t.data_as<int32_t>()[offset];
    case DType::f16: return sdk::f16_to_f32(t.data_as<uint16_t>()[offset]);
    case DType::bf16: return sdk::bf16_to_f32(t.data_as<uint16_t>()[offset]);
    default: return t.data_as<uint8_t>()[offset];
  }
}
}  // namespace

double max_abs_diff(const Tensor& a_in, const Tensor& b_in) {
  if (a_in.shape() != b_in.shape())
    throw InvalidArgument("max_abs_diff: shapes differ: " + shape_str(a_in.shape()) + " vs " + shape_str(b_in.shape()));
  Tensor a = a_in.device().is_cpu() ? a_in : throw Unsupported("max_abs_diff needs host tensors");
  Tensor b = b_in.device().is_cpu() ? b_in : throw Unsupported("max_abs_diff needs host tensors");
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = element(a, i), y = element(b, i);
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
    if (!std::isnan(x)) worst = std::max(worst, std::fabs(x - y));
  }
  return worst;
}

}  // namespace loom::test
