// The reference backend against values worked out by hand, so the yardstick
// of the conformance suite is not only checked against itself.
#include <cmath>

#include "conformance.hpp"
#include "loom/sdk/dtype.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

// |got - want| elementwise over a host tensor and a list of values.
void expect_values(const Tensor& got, const std::vector<double>& want, double tol = 1e-6) {
  REQUIRE(got.numel() == static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(element(got, static_cast<int64_t>(i)) == doctest::Approx(want[i]).epsilon(tol));
  }
}

Tensor run_matmul(const Tensor& a, const Tensor& b, const Tensor* bias, const Shape& out, const MatmulOptions& o,
                  const Tensor* init = nullptr) {
  Backend& r = reference();
  Tensor dst = init ? on(r, *init) : r.empty(DType::f32, out);
  r.matmul(on(r, a), on(r, b), bias, dst, o);
  return r.download(dst);
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

TEST_CASE("reference: 2x2 matmul and its options") {
  const Tensor a = host_f32({2, 2}, {1, 2, 3, 4});
  const Tensor b = host_f32({2, 2}, {5, 6, 7, 8});
  expect_values(run_matmul(a, b, nullptr, {2, 2}, {}), {19, 22, 43, 50});

  MatmulOptions t;
  t.transpose_a = true;  // [[1, 3], [2, 4]] x b
  expect_values(run_matmul(a, b, nullptr, {2, 2}, t), {26, 30, 38, 44});
  t = {};
  t.transpose_b = true;  // a x [[5, 7], [6, 8]]
  expect_values(run_matmul(a, b, nullptr, {2, 2}, t), {17, 23, 39, 53});

  // relu(0.5 * a x b + bias) + 1 * dst
  const Tensor bias = host_f32({2}, {-20, 1});
  const Tensor init = host_f32({2, 2}, {100, 200, 300, 400});
  MatmulOptions o;
  o.alpha = 0.5f;
  o.beta = 1.0f;
  o.activation = LOOM_UNARY_RELU;
  Tensor bias_on = on(reference(), bias);
  expect_values(run_matmul(a, b, &bias_on, {2, 2}, o, &init), {100 + 0, 200 + 12, 300 + 1.5, 400 + 26});
}

TEST_CASE("reference: batched matmul broadcasts b over a's batch") {
  // a: two 1x2 rows [1, 2] and [3, 4]; b: [[1, 0], [0, 2]] shared.
  const Tensor a = host_f32({2, 1, 2}, {1, 2, 3, 4});
  const Tensor b = host_f32({2, 2}, {1, 0, 0, 2});
  expect_values(run_matmul(a, b, nullptr, {2, 1, 2}, {}), {1, 4, 3, 8});
  // And the other way: a shared, b batched.
  const Tensor bb = host_f32({2, 2, 1}, {1, 1, 2, 0});
  expect_values(run_matmul(host_f32({1, 2}, {1, 2}), bb, nullptr, {2, 1, 1}, {}), {3, 2});
}

TEST_CASE("reference: packed matmul keeps its own copy of b") {
  Backend& r = reference();
  Tensor b = on(r, host_f32({2, 2}, {5, 6, 7, 8}));
  auto packed = r.matmul_pack(b, false);
  r.fill(0.0f, b);  // the packed weight must not see this
  Tensor dst = r.empty(DType::f32, {2, 2});
  r.matmul_packed(on(r, host_f32({2, 2}, {1, 2, 3, 4})), packed, nullptr, dst);
  expect_values(r.download(dst), {19, 22, 43, 50});
}

TEST_CASE("reference: unary ops at known points") {
  Backend& r = reference();
  const Tensor x = host_f32({4}, {-1, 0, 1, 2});
  auto run = [&](loom_unary_op op, float alpha = 0, float beta = 0) {
    Tensor dst = r.empty(DType::f32, {4});
    r.unary(op, on(r, x), dst, alpha, beta);
    return r.download(dst);
  };
  expect_values(run(LOOM_UNARY_RELU), {0, 0, 1, 2});
  // torch.nn.functional.gelu(torch.tensor([-1., 0., 1., 2.]))
  expect_values(run(LOOM_UNARY_GELU), {-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416});
  // ... approximate='tanh'
  expect_values(run(LOOM_UNARY_GELU_TANH), {-0.15880800939172324, 0, 0.8411919906082768, 1.954597694087775});
  expect_values(run(LOOM_UNARY_SIGMOID), {sigmoid(-1), 0.5, sigmoid(1), sigmoid(2)});
  expect_values(run(LOOM_UNARY_TANH), {std::tanh(-1.0), 0, std::tanh(1.0), std::tanh(2.0)});
  expect_values(run(LOOM_UNARY_EXP), {std::exp(-1.0), 1, std::exp(1.0), std::exp(2.0)});
  expect_values(run(LOOM_UNARY_ABS), {1, 0, 1, 2});
  expect_values(run(LOOM_UNARY_SQUARE), {1, 0, 1, 4});
  expect_values(run(LOOM_UNARY_LINEAR, 3, 0.5f), {-2.5, 0.5, 3.5, 6.5});
  expect_values(run(LOOM_UNARY_IDENTITY), {-1, 0, 1, 2});
  Tensor logs = run(LOOM_UNARY_LOG);
  CHECK(std::isnan(element(logs, 0)));
  CHECK(element(logs, 1) == -INFINITY);
  CHECK(element(logs, 3) == doctest::Approx(std::log(2.0)));
  CHECK(element(run(LOOM_UNARY_SQRT), 3) == doctest::Approx(std::sqrt(2.0)));
}

TEST_CASE("reference: binary broadcasting on both sides") {
  Backend& r = reference();
  Tensor dst = r.empty(DType::f32, {2, 3});
  r.binary(LOOM_BINARY_ADD, on(r, host_f32({2, 1}, {1, 2})), on(r, host_f32({3}, {10, 20, 30})), dst);
  expect_values(r.download(dst), {11, 21, 31, 12, 22, 32});
  r.binary(LOOM_BINARY_DIV, on(r, host_f32({3}, {10, 20, 30})), on(r, host_f32({2, 1}, {1, 2})), dst);
  expect_values(r.download(dst), {10, 20, 30, 5, 10, 15});
  r.binary(LOOM_BINARY_MAX, on(r, host_f32({2, 1}, {15, 25})), on(r, host_f32({3}, {10, 20, 30})), dst);
  expect_values(r.download(dst), {15, 20, 30, 25, 25, 30});
}

TEST_CASE("reference: softmax and masks") {
  Backend& r = reference();
  const Tensor x = host_f32({1, 2}, {0, static_cast<float>(std::log(2.0))});
  Tensor dst = r.empty(DType::f32, {1, 2});
  r.softmax(on(r, x), nullptr, -1, dst);
  expect_values(r.download(dst), {1.0 / 3, 2.0 / 3});

  Tensor mask = Tensor::host(DType::boolean, {1, 2});
  mask.data_as<uint8_t>()[1] = 1;  // mask out the second entry
  r.softmax(on(r, x), &mask, -1, dst);
  expect_values(r.download(dst), {1, 0});

  mask.data_as<uint8_t>()[0] = 1;  // every entry masked: zeros, not NaN
  r.softmax(on(r, x), &mask, -1, dst);
  expect_values(r.download(dst), {0, 0});

  const Tensor additive = host_f32({2}, {static_cast<float>(std::log(2.0)), 0});  // now equal scores
  r.softmax(on(r, x), &additive, 1, dst);
  expect_values(r.download(dst), {0.5, 0.5});

  // Along axis 0 of a 2x2: columns normalize.
  Tensor d2 = r.empty(DType::f32, {2, 2});
  r.softmax(on(r, host_f32({2, 2}, {0, 5, static_cast<float>(std::log(3.0)), 5})), nullptr, 0, d2);
  expect_values(r.download(d2), {0.25, 0.5, 0.75, 0.5});
}

TEST_CASE("reference: layer_norm of a small vector") {
  Backend& r = reference();
  // mean 2.5, biased variance 1.25
  const Tensor x = host_f32({4}, {1, 2, 3, 4});
  const double s = 1 / std::sqrt(1.25 + 1e-5);
  Tensor dst = r.empty(DType::f32, {4});
  r.layer_norm(on(r, x), nullptr, nullptr, 1e-5f, dst);
  expect_values(r.download(dst), {-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s}, 1e-6);
  const Tensor gamma = host_f32({4}, {1, 2, 3, 4}), beta = host_f32({4}, {0, 1, 0, -1});
  r.layer_norm(on(r, x), &gamma, &beta, 1e-5f, dst);
  expect_values(r.download(dst), {-1.5 * s, -1.0 * s + 1, 1.5 * s, 6.0 * s - 1}, 1e-6);
}

TEST_CASE("reference: gather, concat, reduce, fill, copy") {
  Backend& r = reference();
  const Tensor table = host_f32({3, 2}, {0, 1, 10, 11, 20, 21});
  Tensor idx = Tensor::host(DType::i32, {2});
  idx.data_as<int32_t>()[0] = 2;
  idx.data_as<int32_t>()[1] = 0;
  Tensor rows = r.empty(DType::f32, {2, 2});
  r.gather(on(r, table), idx, rows);
  expect_values(r.download(rows), {20, 21, 0, 1});

  Tensor cat = r.empty(DType::f32, {2, 3});
  r.concat({on(r, host_f32({2, 1}, {1, 2})), on(r, host_f32({2, 2}, {3, 4, 5, 6}))}, -1, cat);
  expect_values(r.download(cat), {1, 3, 4, 2, 5, 6});

  Tensor sum = r.empty(DType::f32, {2, 1}), mean = r.empty(DType::f32, {1, 3}), max = r.empty(DType::f32, {1, 1});
  r.reduce(LOOM_REDUCE_SUM, cat, sum);
  r.reduce(LOOM_REDUCE_MEAN, cat, mean);
  r.reduce(LOOM_REDUCE_MAX, cat, max);
  expect_values(r.download(sum), {8, 13});
  expect_values(r.download(mean), {1.5, 4, 5});
  expect_values(r.download(max), {6});

  Tensor ints = r.empty(DType::i32, {3});
  r.fill(7.0f, ints);
  expect_values(r.download(ints), {7, 7, 7});

  // bf16 keeps 8 bits of mantissa and rounds to nearest even; f16 overflows to inf.
  const Tensor f = host_f32({4}, {1.00390625f, 1.01171875f, 65520.0f, 1.0f / 3});
  Tensor bf = r.empty(DType::bf16, {4}), hf = r.empty(DType::f16, {4});
  r.copy(on(r, f), bf);
  r.copy(on(r, f), hf);
  expect_values(r.download(bf), {1.0, 1.015625, 65536, 0.333984375});
  CHECK(std::isinf(element(r.download(hf), 2)));
  CHECK(element(r.download(hf), 3) == 0.333251953125);
}

TEST_CASE("reference: one LSTM, GRU and RNN step of a 1-unit cell, by hand") {
  Backend& r = reference();
  const double x = 0.5, h0 = 0.1, c0 = 0.2;
  const std::vector<float> w_ih{0.1f, 0.2f, 0.3f, 0.4f}, w_hh{0.5f, 0.6f, 0.7f, 0.8f};
  const std::vector<float> b_ih{0.01f, 0.02f, 0.03f, 0.04f}, b_hh{-0.05f, 0.06f, -0.07f, 0.08f};
  auto pre = [&](int gate) {
    return double(w_ih[size_t(gate)]) * x + double(w_hh[size_t(gate)]) * h0 + b_ih[size_t(gate)] + b_hh[size_t(gate)];
  };

  auto run = [&](loom_rnn_cell cell, int gates) {
    loom_rnn_desc desc{};
    desc.struct_size = sizeof(desc);
    desc.cell = cell;
    desc.input_size = 1;
    desc.hidden_size = 1;
    desc.num_layers = 1;
    auto part = [&](const std::vector<float>& v) {
      return on(r, host_f32({gates}, std::vector<float>(v.begin(), v.begin() + gates)));
    };
    Backend::RnnWeights w;
    w.w_ih = {part(w_ih).reshape({gates, 1})};
    w.w_hh = {part(w_hh).reshape({gates, 1})};
    w.b_ih = {part(b_ih)};
    w.b_hh = {part(b_hh)};
    auto packed = r.rnn_pack(desc, w);
    Backend::RnnIO io;
    io.src = on(r, host_f32({1, 1, 1}, {float(x)}));
    io.h0 = on(r, host_f32({1, 1, 1}, {float(h0)}));
    if (cell == LOOM_RNN_LSTM) io.c0 = on(r, host_f32({1, 1, 1}, {float(c0)}));
    io.dst = r.empty(DType::f32, {1, 1, 1});
    io.hn = r.empty(DType::f32, {1, 1, 1});
    if (cell == LOOM_RNN_LSTM) io.cn = r.empty(DType::f32, {1, 1, 1});
    r.rnn_forward(packed, io);
    return io;
  };

  SUBCASE("lstm: gates i, f, g, o") {
    const double i = sigmoid(pre(0)), f = sigmoid(pre(1)), g = std::tanh(pre(2)), o = sigmoid(pre(3));
    const double c = f * c0 + i * g, h = o * std::tanh(c);
    auto io = run(LOOM_RNN_LSTM, 4);
    expect_values(r.download(io.dst), {h});
    expect_values(r.download(io.hn), {h});
    expect_values(r.download(io.cn), {c});
  }
  SUBCASE("gru: gates r, z, n with the reset inside n") {
    const double rg = sigmoid(pre(0)), z = sigmoid(pre(1));
    const double n = std::tanh(w_ih[2] * x + b_ih[2] + rg * (w_hh[2] * h0 + b_hh[2]));
    const double h = (1 - z) * n + z * h0;
    auto io = run(LOOM_RNN_GRU, 3);
    expect_values(r.download(io.dst), {h});
    expect_values(r.download(io.hn), {h});
  }
  SUBCASE("rnn tanh and relu") {
    expect_values(r.download(run(LOOM_RNN_TANH, 1).dst), {std::tanh(pre(0))});
    expect_values(r.download(run(LOOM_RNN_RELU, 1).dst), {std::max(0.0, pre(0))});
  }
}

TEST_CASE("reference: a bidirectional RNN reads the sequence backwards in its second half") {
  Backend& r = reference();
  // h_t = relu(x_t + h_{t-1}): a running sum, forwards and backwards.
  loom_rnn_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.cell = LOOM_RNN_RELU;
  desc.input_size = 1;
  desc.hidden_size = 1;
  desc.num_layers = 1;
  desc.bidirectional = 1;
  Backend::RnnWeights w;
  for (int d = 0; d < 2; ++d) {
    w.w_ih.push_back(on(r, host_f32({1, 1}, {1})));
    w.w_hh.push_back(on(r, host_f32({1, 1}, {1})));
  }
  auto packed = r.rnn_pack(desc, w);
  Backend::RnnIO io;
  io.src = on(r, host_f32({3, 1, 1}, {1, 2, 3}));
  io.dst = r.empty(DType::f32, {3, 1, 2});
  io.hn = r.empty(DType::f32, {2, 1, 1});
  r.rnn_forward(packed, io);
  // [forward, backward] per step: forward sums 1, 3, 6; backward 6, 5, 3.
  expect_values(r.download(io.dst), {1, 6, 3, 5, 6, 3});
  expect_values(r.download(io.hn), {6, 6});
}
