// unary, binary and fill on every backend, against the reference.
#include <algorithm>
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

const std::vector<loom_unary_op> kUnaryOps = {
    LOOM_UNARY_IDENTITY, LOOM_UNARY_RELU, LOOM_UNARY_GELU, LOOM_UNARY_GELU_TANH, LOOM_UNARY_TANH,
    LOOM_UNARY_SIGMOID,  LOOM_UNARY_EXP,  LOOM_UNARY_LOG,  LOOM_UNARY_SQRT,      LOOM_UNARY_ABS,
    LOOM_UNARY_SQUARE,   LOOM_UNARY_LINEAR};

const std::vector<loom_binary_op> kBinaryOps = {LOOM_BINARY_ADD, LOOM_BINARY_SUB, LOOM_BINARY_MUL,
                                                LOOM_BINARY_DIV, LOOM_BINARY_MAX, LOOM_BINARY_MIN};

Shape random_shape(std::mt19937_64& rng, int rank) {
  Shape s;
  for (int i = 0; i < rank; ++i) s.push_back(pick(rng, odd_sizes()));
  return s;
}

}  // namespace

TEST_CASE("unary: every op, contiguous, strided and in place") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    std::mt19937_64 rng(21);
    uint64_t seed = 100;
    for (loom_unary_op op : kUnaryOps) {
      // log and sqrt see positive inputs only; the rest a range where the
      // nonlinearities bend.
      const bool positive = op == LOOM_UNARY_LOG || op == LOOM_UNARY_SQRT;
      const float lo = positive ? 0.01f : -4.0f, hi = 4.0f;
      const float alpha = 1.5f, beta = -0.25f;  // LINEAR only
      for (int rank = 0; rank <= 4; ++rank) {
        const Shape shape = random_shape(rng, rank);
        const Tensor hx = test::random_tensor(shape, seed++, lo, hi);
        const std::string what = "unary op " + std::to_string(op) + " on " + shape_str(shape);
        expect_match(name, what, [&](Backend& b) {
          Tensor dst = b.empty(DType::f32, shape);
          b.unary(op, on(b, hx), dst, alpha, beta);
          return dst;
        });
        expect_match(name, what + ", in place", [&](Backend& b) {
          Tensor x = on(b, hx);
          b.unary(op, x, x, alpha, beta);
          return x;
        });
        if (rank >= 2) {
          // A transposed source into a column slice of a wider dst.
          const Shape swapped{shape[1], shape[0]};
          const Shape src_shape = rank == 2 ? swapped : shape;
          const Tensor ht = test::random_tensor(src_shape, seed++, lo, hi);
          expect_match(name, what + ", strided", [&](Backend& b) {
            Tensor src = on(b, ht).transpose(0, 1);
            Shape wide = src.shape();
            wide.back() += 4;
            Tensor whole = on(b, test::random_tensor(wide, 9));
            b.unary(op, src, whole.slice(-1, 1, 1 + src.shape().back()), alpha, beta);
            return whole;
          });
        }
      }
    }
    const Tensor empty = test::random_tensor({3, 0, 2}, 1);
    expect_match(name, "unary on an empty tensor", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {3, 0, 2});
      b.unary(LOOM_UNARY_TANH, on(b, empty), dst);
      return dst;
    });
  }
}

TEST_CASE("binary: every op with broadcasting on either side") {
  struct Shapes {
    Shape a, b;
  };
  const std::vector<Shapes> cases{
      {{7}, {7}},           {{3, 17}, {3, 17}},     {{3, 17}, {17}},     {{17}, {3, 17}},  {{3, 1}, {1, 7}},
      {{1, 7}, {3, 1}},     {{2, 3, 1, 5}, {3, 7, 1}}, {{33, 1}, {}},    {{}, {7, 3}},     {{}, {}},
      {{2, 1, 3}, {1, 4, 1}}, {{0, 3}, {3}},        {{3}, {2, 0, 3}},    {{1, 1, 1}, {5}}};
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 200;
    for (loom_binary_op op : kBinaryOps)
      for (const auto& sc : cases) {
        // b away from zero so div stays well conditioned.
        const Tensor ha = test::random_tensor(sc.a, seed++, -2, 2);
        Tensor hb = test::random_tensor(sc.b, seed++, 0.5f, 2);
        if (op != LOOM_BINARY_DIV) hb = test::random_tensor(sc.b, seed++, -2, 2);
        Shape out(std::max(sc.a.size(), sc.b.size()), 1);
        for (size_t i = 0; i < sc.a.size(); ++i) out[out.size() - sc.a.size() + i] = sc.a[i];
        for (size_t i = 0; i < sc.b.size(); ++i) {
          int64_t& d = out[out.size() - sc.b.size() + i];
          d = d == 1 ? sc.b[i] : d;
        }
        const std::string what = "binary op " + std::to_string(op) + " " + shape_str(sc.a) + " x " + shape_str(sc.b);
        expect_match(name, what, [&](Backend& b) {
          Tensor dst = b.empty(DType::f32, out);
          b.binary(op, on(b, ha), on(b, hb), dst);
          return dst;
        });
        if (sc.a == out) {
          expect_match(name, what + ", dst aliases a", [&](Backend& b) {
            Tensor a = on(b, ha);
            b.binary(op, a, on(b, hb), a);
            return a;
          });
        }
      }
  }
}

TEST_CASE("binary: strided operands and dst") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    const Tensor ha = test::random_tensor({17, 7}, 300), hb = test::random_tensor({7, 3, 17}, 301);
    for (loom_binary_op op : {LOOM_BINARY_ADD, LOOM_BINARY_MUL, LOOM_BINARY_MAX}) {
      expect_match(name, "binary op " + std::to_string(op) + " on transposed views", [&](Backend& b) {
        Tensor a = on(b, ha).transpose(0, 1);                      // [7, 17], strided
        Tensor x = on(b, hb).slice(1, 1, 2).transpose(0, 1);       // [1, 7, 17], strided
        Tensor whole = on(b, test::random_tensor({1, 7, 20}, 302));
        b.binary(op, a, x, whole.slice(-1, 3, 20));
        return whole;
      });
    }
  }
}

TEST_CASE("fill: f32 into contiguous and strided dst, other dtypes where supported") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    expect_match(name, "fill f32", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {3, 17});
      b.fill(-2.5f, dst);
      return dst;
    });
    expect_match(name, "fill a strided f32 view", [&](Backend& b) {
      Tensor whole = on(b, test::random_tensor({7, 9}, 400));
      b.fill(3.0f, whole.slice(1, 2, 5).transpose(0, 1));
      return whole;
    });
    expect_match(name, "fill an empty tensor", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {0, 5});
      b.fill(1.0f, dst);
      return dst;
    });
    for (DType dt : {DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::boolean}) {
      expect_match_optional(name, std::string("fill ") + dtype_name(dt), [&](Backend& b) {
        Tensor dst = b.empty(dt, {5, 3});
        b.fill(1.0f, dst);
        return dst;
      });
    }
  }
}
