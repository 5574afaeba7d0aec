// Shared by the recurrent-layer tests: backends, fixtures
// (tests/fixtures/recurrent/gen_recurrent.py) and running a layer.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backend_cases.hpp"
#include "test_support.hpp"

namespace loom::recurrent_test {

// Fp32 single-layer tolerance (shared/design/layers.md).
constexpr double kTolerance = 1e-5;

// What gen_recurrent.py used.
constexpr int64_t kSteps = 4, kBatch = 3, kInput = 7, kHidden = 5;

using test::available_backends;
using test::for_each_backend;
using test::verbose;
using test::error_of;
using test::contains;

// A recurrent cell as the fixtures name it.
struct Cell {
  std::string fixture;  // "rnn_tanh", "rnn_relu", "lstm", "gru"
  std::string type;     // layer type: "rnn", "lstm", "gru"
  std::string nonlinearity;  // rnn only
  bool lstm() const { return type == "lstm"; }
};

inline const std::vector<Cell>& cells() {
  static const std::vector<Cell> all{
      {"rnn_tanh", "rnn", "tanh"}, {"rnn_relu", "rnn", "relu"}, {"lstm", "lstm", ""}, {"gru", "gru", ""}};
  return all;
}

inline const Cell& cell(const std::string& fixture) {
  for (const auto& c : cells())
    if (c.fixture == fixture) return c;
  throw InvalidArgument("no cell " + fixture);
}

inline std::filesystem::path fixture_path(const std::string& file) { return test::fixture("recurrent/" + file); }

// Fixture files, read once.
struct Fixtures {
  Tensor input, input_batch_first, h0, c0, lengths_a, lengths_b;
  std::shared_ptr<SafetensorsFile> weights(const std::string& cell) const {
    return SafetensorsFile::open(fixture_path(cell + ".safetensors"));
  }
  std::shared_ptr<SafetensorsFile> expected(const std::string& cell) const {
    return SafetensorsFile::open(fixture_path(cell + "_expected.safetensors"));
  }
};

inline const Fixtures& fixtures() {
  static const Fixtures f = [] {
    Fixtures x;
    x.input = read_npy(fixture_path("input.npy"));
    x.input_batch_first = read_npy(fixture_path("input_batch_first.npy"));
    x.h0 = read_npy(fixture_path("h0.npy"));
    x.c0 = read_npy(fixture_path("c0.npy"));
    x.lengths_a = read_npy(fixture_path("lengths_a.npy"));
    x.lengths_b = read_npy(fixture_path("lengths_b.npy"));
    return x;
  }();
  return f;
}

inline Tensor expected_tensor(const SafetensorsFile& file, const std::string& name) {
  auto t = file.find(name);
  if (!t) throw NotFound("fixture tensor '" + name + "' is missing; regenerate with gen_recurrent.py");
  return *t;
}

// One stack configuration of the fixtures.
struct Stack {
  int layers = 1;
  bool bidirectional = false;
  bool bias = true;
  std::string name() const {
    return "l" + std::to_string(layers) + (bidirectional ? "_bi" : "_uni") + (bias ? "" : "_nobias");
  }
  int64_t states() const { return layers * (bidirectional ? 2 : 1); }
};

inline OptionMap layer_options(const Cell& c, const Stack& s, bool batch_first) {
  OptionMap o{{"input_size", std::to_string(kInput)},
              {"hidden_size", std::to_string(kHidden)},
              {"num_layers", std::to_string(s.layers)},
              {"bias", s.bias ? "true" : "false"},
              {"batch_first", batch_first ? "true" : "false"},
              {"bidirectional", s.bidirectional ? "true" : "false"}};
  if (c.type == "rnn") o["nonlinearity"] = c.nonlinearity;
  return o;
}

// A contiguous host copy of an f32 tensor of any strides.
inline Tensor contiguous_f32(const Tensor& t) {
  Tensor out = Tensor::host(DType::f32, t.shape());
  float* dst = out.data_as<float>();
  const int nd = t.ndim();
  std::vector<int64_t> pos(static_cast<size_t>(nd), 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t off = 0;
    for (int d = 0; d < nd; ++d) off += pos[static_cast<size_t>(d)] * t.strides()[static_cast<size_t>(d)];
    dst[i] = t.data_as<float>()[off];
    for (int d = nd - 1; d >= 0; --d) {
      if (++pos[static_cast<size_t>(d)] < t.dim(d)) break;
      pos[static_cast<size_t>(d)] = 0;
    }
  }
  return out;
}

// Compares each output of `got` (backend tensors) with `<prefix>.<output>`
// in the expected file; returns the largest error.
inline double compare_outputs(const std::shared_ptr<Backend>& be, const TensorMap& got, const SafetensorsFile& expected,
                              const std::string& prefix, bool lstm) {
  double worst = 0;
  std::vector<std::string> names{"output", "h_n"};
  if (lstm) names.push_back("c_n");
  CHECK_MESSAGE(got.size() == names.size(), prefix << ": " << got.size() << " outputs");
  for (const auto& n : names) {
    auto it = got.find(n);
    REQUIRE_MESSAGE(it != got.end(), prefix << ": no output '" << n << "'");
    const Tensor want = expected_tensor(expected, prefix + "." + n);
    const Tensor have = be->download(it->second);
    REQUIRE_MESSAGE(have.shape() == want.shape(),
                    prefix << "." << n << ": shape " << shape_str(have.shape()) << " vs " << shape_str(want.shape()));
    const double err = test::max_abs_diff(have, want);
    CHECK_MESSAGE(err <= kTolerance, prefix << "." << n << " on " << be->name() << ": max abs error " << err);
    worst = std::max(worst, err);
  }
  return worst;
}


}  // namespace loom::recurrent_test
