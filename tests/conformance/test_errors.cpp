// Bad arguments give loom::Error with INVALID_ARGUMENT on every backend (the
// reference included), never a crash; the reference's messages name the op,
// the operands and their shapes.
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

// The backends under test plus the reference, whose messages are checked too.
std::vector<std::string> with_reference() {
  std::vector<std::string> names = backends_under_test();
  if (names.front() != "reference") names.push_back("reference");
  return names;
}

// Message fragments required from the reference only (other backends word
// their messages their own way; the status is what the contract fixes).
std::vector<std::string> ref_parts(const std::string& name, std::vector<std::string> parts) {
  return name == "reference" ? parts : std::vector<std::string>{};
}

Tensor f32(Backend& b, const Shape& shape) { return on(b, test::random_tensor(shape, 1)); }

loom_rnn_desc lstm_desc(int64_t input, int64_t hidden) {
  loom_rnn_desc d{};
  d.struct_size = sizeof(d);
  d.cell = LOOM_RNN_LSTM;
  d.input_size = input;
  d.hidden_size = hidden;
  d.num_layers = 1;
  return d;
}

}  // namespace

TEST_CASE("errors: matmul shapes") {
  for (const auto& name : with_reference()) SUBCASE(name.c_str()) {
    Backend& b = backend(name);
    const auto bad = LOOM_ERR_INVALID_ARGUMENT;
    expect_error([&] { b.matmul(f32(b, {2, 3}), f32(b, {4, 5}), nullptr, b.empty(DType::f32, {2, 5})); }, bad,
                 ref_parts(name, {"matmul", "a is [2, 3]", "b is [4, 5]", "inner dims 3 and 4 differ"}));
    MatmulOptions t;
    t.transpose_b = true;
    expect_error([&] { b.matmul(f32(b, {2, 3}), f32(b, {3, 5}), nullptr, b.empty(DType::f32, {2, 3}), t); }, bad,
                 ref_parts(name, {"matmul", "(transposed)", "inner dims 3 and 5 differ"}));
    expect_error([&] { b.matmul(f32(b, {2, 3}), f32(b, {3, 5}), nullptr, b.empty(DType::f32, {2, 4})); }, bad,
                 ref_parts(name, {"matmul", "dst is [2, 4]", "expected [2, 5]"}));
    Tensor bias = f32(b, {4});
    expect_error([&] { b.matmul(f32(b, {2, 3}), f32(b, {3, 5}), &bias, b.empty(DType::f32, {2, 5})); }, bad,
                 ref_parts(name, {"matmul", "bias is [4]", "expected [5]"}));
    expect_error([&] { b.matmul(f32(b, {2, 2, 3}), f32(b, {3, 3, 5}), nullptr, b.empty(DType::f32, {3, 2, 5})); },
                 bad, ref_parts(name, {"matmul", "[2, 2, 3]", "[3, 3, 5]", "broadcast"}));
    expect_error([&] { b.matmul(f32(b, {3}), f32(b, {3, 5}), nullptr, b.empty(DType::f32, {5})); }, bad,
                 ref_parts(name, {"matmul", "a is [3]"}));
    expect_error([&] { b.matmul_pack(f32(b, {2, 3, 5}), false); }, bad,
                 ref_parts(name, {"matmul_pack", "[2, 3, 5]"}));
    auto packed = b.matmul_pack(f32(b, {3, 5}), false);
    expect_error([&] { b.matmul_packed(f32(b, {2, 4}), packed, nullptr, b.empty(DType::f32, {2, 5})); }, bad,
                 ref_parts(name, {"matmul", "a is [2, 4]", "inner dims 4 and 3 differ"}));
  }
}

TEST_CASE("errors: elementwise, softmax, layer_norm shapes") {
  for (const auto& name : with_reference()) SUBCASE(name.c_str()) {
    Backend& b = backend(name);
    const auto bad = LOOM_ERR_INVALID_ARGUMENT;
    expect_error([&] { b.unary(LOOM_UNARY_RELU, f32(b, {2, 3}), b.empty(DType::f32, {3, 2})); }, bad,
                 ref_parts(name, {"unary", "dst is [3, 2]", "expected [2, 3]"}));
    expect_error([&] { b.binary(LOOM_BINARY_ADD, f32(b, {3, 4}), f32(b, {5}), b.empty(DType::f32, {3, 4})); }, bad,
                 ref_parts(name, {"binary", "a is [3, 4]", "b is [5]", "broadcast"}));
    expect_error([&] { b.binary(LOOM_BINARY_ADD, f32(b, {3, 4}), f32(b, {4}), b.empty(DType::f32, {4})); }, bad,
                 ref_parts(name, {"binary", "dst is [4]", "expected [3, 4]"}));
    expect_error([&] { b.softmax(f32(b, {2, 3}), nullptr, 2, b.empty(DType::f32, {2, 3})); }, bad,
                 ref_parts(name, {"softmax", "axis 2"}));
    Tensor mask = f32(b, {2});
    expect_error([&] { b.softmax(f32(b, {2, 3}), &mask, -1, b.empty(DType::f32, {2, 3})); }, bad,
                 ref_parts(name, {"softmax", "mask is [2]", "[2, 3]"}));
    Tensor gamma = f32(b, {4});
    expect_error([&] { b.layer_norm(f32(b, {2, 3}), &gamma, nullptr, 1e-5f, b.empty(DType::f32, {2, 3})); }, bad,
                 ref_parts(name, {"layer_norm", "gamma is [4]", "expected [3]"}));
    expect_error([&] { b.copy(f32(b, {2, 3}), b.empty(DType::f32, {6})); }, bad,
                 ref_parts(name, {"copy", "dst is [6]", "expected [2, 3]"}));
    expect_error([&] { b.reduce(LOOM_REDUCE_SUM, f32(b, {2, 3}), b.empty(DType::f32, {2})); }, bad,
                 ref_parts(name, {"reduce", "src is [2, 3]", "dst is [2]"}));
    expect_error([&] { b.reduce(LOOM_REDUCE_SUM, f32(b, {2, 3}), b.empty(DType::f32, {2, 2})); }, bad,
                 ref_parts(name, {"reduce", "dst is [2, 2]"}));
    expect_error([&] { b.concat({f32(b, {2, 3}), f32(b, {3, 3})}, 1, b.empty(DType::f32, {2, 6})); }, bad,
                 ref_parts(name, {"concat", "source 1 is [3, 3]", "dst is [2, 6]"}));
    expect_error([&] { b.concat({f32(b, {2, 3}), f32(b, {2, 3})}, 1, b.empty(DType::f32, {2, 7})); }, bad,
                 ref_parts(name, {"concat", "add up to 6", "[2, 7]"}));
  }
}

TEST_CASE("errors: gather names the bad index and the vocabulary size") {
  for (const auto& name : with_reference()) SUBCASE(name.c_str()) {
    Backend& b = backend(name);
    const Tensor table = test::random_tensor({13, 4}, 1);
    for (DType dt : {DType::i64, DType::i32})
      for (int64_t bad_index : {int64_t{1234}, int64_t{13}, int64_t{-1}}) {
        Tensor idx = random_of(dt, {2, 3}, 2, 0, 13);
        if (dt == DType::i64)
          idx.data_as<int64_t>()[4] = bad_index;
        else
          idx.data_as<int32_t>()[4] = static_cast<int32_t>(bad_index);
        INFO(dtype_name(dt) << " index " << bad_index);
        expect_error([&] { b.gather(on(b, table), on(b, idx), b.empty(DType::f32, {2, 3, 4})); },
                     LOOM_ERR_INVALID_ARGUMENT, {std::to_string(bad_index), "13"});
      }
    Tensor idx = random_of(DType::i64, {2}, 2, 0, 13);
    expect_error([&] { b.gather(on(b, table), on(b, idx), b.empty(DType::f32, {2, 5})); }, LOOM_ERR_INVALID_ARGUMENT,
                 ref_parts(name, {"gather", "dst is [2, 5]", "expected [2, 4]"}));
  }
}

TEST_CASE("errors: rnn weights and inputs") {
  for (const auto& name : with_reference()) SUBCASE(name.c_str()) {
    Backend& b = backend(name);
    const auto bad = LOOM_ERR_INVALID_ARGUMENT;
    Backend::RnnWeights w;
    w.w_ih = {f32(b, {4 * 5, 3})};
    w.w_hh = {f32(b, {4 * 5, 5})};
    expect_error([&] { b.rnn_pack(lstm_desc(4, 5), w); }, bad,
                 ref_parts(name, {"rnn_pack", "w_ih[0] is [20, 3]", "expected [20, 4]"}));
    Backend::RnnWeights bad_hh = w;
    bad_hh.w_hh = {f32(b, {3 * 5, 5})};
    expect_error([&] { b.rnn_pack(lstm_desc(3, 5), bad_hh); }, bad,
                 ref_parts(name, {"rnn_pack", "w_hh[0] is [15, 5]"}));
    Backend::RnnWeights bad_bias = w;
    bad_bias.b_ih = {f32(b, {19})};
    bad_bias.b_hh = {f32(b, {20})};
    expect_error([&] { b.rnn_pack(lstm_desc(3, 5), bad_bias); }, bad,
                 ref_parts(name, {"rnn_pack", "b_ih[0] is [19]"}));

    auto packed = b.rnn_pack(lstm_desc(3, 5), w);
    Backend::RnnIO io;
    io.src = f32(b, {2, 1, 4});
    io.dst = b.empty(DType::f32, {2, 1, 5});
    expect_error([&] { b.rnn_forward(packed, io); }, bad, ref_parts(name, {"rnn_forward", "src is [2, 1, 4]"}));
    io.src = f32(b, {2, 1, 3});
    io.dst = b.empty(DType::f32, {2, 1, 6});
    expect_error([&] { b.rnn_forward(packed, io); }, bad,
                 ref_parts(name, {"rnn_forward", "dst is [2, 1, 6]", "expected [2, 1, 5]"}));
    io.dst = b.empty(DType::f32, {2, 1, 5});
    io.h0 = f32(b, {1, 2, 5});
    expect_error([&] { b.rnn_forward(packed, io); }, bad,
                 ref_parts(name, {"rnn_forward", "h0 is [1, 2, 5]", "expected [1, 1, 5]"}));
  }
}

TEST_CASE("errors: the reference rejects what it cannot do with clear statuses") {
  Backend& r = reference();
  // Unknown op codes are the caller's mistake. (15 and 7 are the largest
  // values the C enums can hold without undefined behaviour.)
  expect_error([&] { r.unary(static_cast<loom_unary_op>(15), f32(r, {2}), r.empty(DType::f32, {2})); },
               LOOM_ERR_INVALID_ARGUMENT, {"unknown unary op 15"});
  expect_error([&] { r.binary(static_cast<loom_binary_op>(7), f32(r, {2}), f32(r, {2}), r.empty(DType::f32, {2})); },
               LOOM_ERR_INVALID_ARGUMENT, {"unknown binary op 7"});
  // Dtype choices: integer math is not an op this backend does.
  Tensor ints = on(r, random_of(DType::i32, {2}, 1, 0, 5));
  expect_error([&] { r.unary(LOOM_UNARY_RELU, ints, r.empty(DType::i32, {2})); }, LOOM_ERR_UNSUPPORTED,
               {"unary", "i32[2]"});
  expect_error([&] { r.copy(ints, r.empty(DType::f32, {2})); }, LOOM_ERR_UNSUPPORTED, {"copy", "i32[2]", "f32[2]"});
  Tensor halves = on(r, random_of(DType::f16, {2}, 1));
  expect_error([&] { r.binary(LOOM_BINARY_ADD, f32(r, {2}), halves, r.empty(DType::f32, {2})); },
               LOOM_ERR_INVALID_ARGUMENT, {"dtypes differ"});
  Tensor fidx = f32(r, {2});
  expect_error([&] { r.gather(f32(r, {3, 2}), fidx, r.empty(DType::f32, {2, 2})); }, LOOM_ERR_UNSUPPORTED,
               {"gather", "indices"});
  expect_error([&] { r.fill(2.5f, r.empty(DType::i32, {2})); }, LOOM_ERR_INVALID_ARGUMENT, {"fill", "2.5"});
  MatmulOptions linear;
  linear.activation = LOOM_UNARY_LINEAR;
  expect_error([&] { r.matmul(f32(r, {2, 3}), f32(r, {3, 5}), nullptr, r.empty(DType::f32, {2, 5}), linear); },
               LOOM_ERR_INVALID_ARGUMENT, {"matmul", "linear"});
  // An out-of-range gather writes nothing.
  Tensor idx = random_of(DType::i64, {3}, 1, 0, 3);
  idx.data_as<int64_t>()[2] = 3;
  Tensor dst = on(r, Tensor::host(DType::f32, {3, 2}));
  expect_error([&] { r.gather(f32(r, {3, 2}), idx, dst); }, LOOM_ERR_INVALID_ARGUMENT,
               {"index 3", "position [2]", "3 rows"});
  for (int64_t i = 0; i < 6; ++i) CHECK(element(r.download(dst), i) == 0.0);
  // c0 for a cell without a cell state.
  loom_rnn_desc gru = lstm_desc(3, 5);
  gru.cell = LOOM_RNN_GRU;
  Backend::RnnWeights w;
  w.w_ih = {f32(r, {15, 3})};
  w.w_hh = {f32(r, {15, 5})};
  auto packed = r.rnn_pack(gru, w);
  Backend::RnnIO io;
  io.src = f32(r, {2, 1, 3});
  io.dst = r.empty(DType::f32, {2, 1, 5});
  io.c0 = f32(r, {1, 1, 5});
  expect_error([&] { r.rnn_forward(packed, io); }, LOOM_ERR_INVALID_ARGUMENT, {"rnn_forward", "c0", "LSTM only"});
  // A packed matmul weight is not an RNN weight and vice versa.
  expect_error([&] { r.matmul_packed(f32(r, {2, 3}), packed, nullptr, r.empty(DType::f32, {2, 5})); },
               LOOM_ERR_INVALID_ARGUMENT, {"matmul_packed"});
}
