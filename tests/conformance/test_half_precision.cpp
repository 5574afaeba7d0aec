// The float ops in f16 and bf16 on every backend, against the reference (which
// computes in double and rounds once). Half-precision support is optional in
// the ABI: a backend that answers Unsupported is reported, not failed; one
// that answers must be within 1e-2 (scaled, see max_scaled_diff), the
// tolerance the ABI promises for these dtypes.
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

constexpr double kHalfTolerance = 1e-2;

const std::vector<DType>& half_dtypes() {
  static const std::vector<DType> dtypes{DType::f16, DType::bf16};
  return dtypes;
}

std::string label(DType dt, const std::string& what) { return what + " in " + dtype_name(dt); }

}  // namespace

TEST_CASE("half precision: matmul, plain and packed, with bias and activation") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    for (DType dt : half_dtypes()) {
      const Tensor a = random_of(dt, {3, 17, 40}, 11), w = random_of(dt, {24, 40}, 12), bias = random_of(dt, {24}, 13);
      MatmulOptions o;
      o.transpose_b = true;
      o.activation = LOOM_UNARY_GELU;
      expect_match_optional(name, label(dt, "matmul a [3, 17, 40] x w^T [40, 24] + bias, gelu"), [&](Backend& b) {
        Tensor dst = b.empty(dt, {3, 17, 24});
        const Tensor bias_on = on(b, bias);
        b.matmul(on(b, a), on(b, w), &bias_on, dst, o);
        return dst;
      }, kHalfTolerance);
      expect_match_optional(name, label(dt, "matmul_packed a [3, 17, 40] x w^T [40, 24] + bias"), [&](Backend& b) {
        Tensor dst = b.empty(dt, {3, 17, 24});
        const Tensor bias_on = on(b, bias);
        MatmulOptions plain;
        b.matmul_packed(on(b, a), b.matmul_pack(on(b, w), true), &bias_on, dst, plain);
        return dst;
      }, kHalfTolerance);
      const Tensor q = random_of(dt, {2, 4, 9, 16}, 14), k = random_of(dt, {2, 4, 11, 16}, 15);
      MatmulOptions scores;
      scores.transpose_b = true;
      scores.alpha = 0.25f;
      expect_match_optional(name, label(dt, "batched matmul q k^T * 0.25 [2, 4, 9, 11]"), [&](Backend& b) {
        Tensor dst = b.empty(dt, {2, 4, 9, 11});
        b.matmul(on(b, q), on(b, k), nullptr, dst, scores);
        return dst;
      }, kHalfTolerance);
    }
  }
}

TEST_CASE("half precision: unary, binary with broadcasting, softmax with a mask, layer norm, reduce") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    for (DType dt : half_dtypes()) {
      const Tensor x = random_of(dt, {4, 7, 33}, 21, -3, 3);
      for (loom_unary_op op : {LOOM_UNARY_GELU, LOOM_UNARY_TANH, LOOM_UNARY_SIGMOID, LOOM_UNARY_EXP}) {
        expect_match_optional(name, label(dt, "unary op " + std::to_string(op)), [&](Backend& b) {
          Tensor dst = b.empty(dt, x.shape());
          b.unary(op, on(b, x), dst);
          return dst;
        }, kHalfTolerance);
      }
      const Tensor row = random_of(dt, {1, 7, 1}, 22);
      expect_match_optional(name, label(dt, "binary mul [4, 7, 33] x [1, 7, 1]"), [&](Backend& b) {
        Tensor dst = b.empty(dt, x.shape());
        b.binary(LOOM_BINARY_MUL, on(b, x), on(b, row), dst);
        return dst;
      }, kHalfTolerance);
      const Tensor mask = random_of(DType::boolean, {1, 7, 33}, 23);
      expect_match_optional(name, label(dt, "softmax over the last dim with a bool mask"), [&](Backend& b) {
        Tensor dst = b.empty(dt, x.shape());
        const Tensor mask_on = on(b, mask);
        b.softmax(on(b, x), &mask_on, -1, dst);
        return dst;
      }, kHalfTolerance);
      const Tensor gamma = random_of(dt, {33}, 24), beta = random_of(dt, {33}, 25);
      expect_match_optional(name, label(dt, "layer_norm over 33 with gamma and beta"), [&](Backend& b) {
        Tensor dst = b.empty(dt, x.shape());
        const Tensor g = on(b, gamma), be = on(b, beta);
        b.layer_norm(on(b, x), &g, &be, 1e-5f, dst);
        return dst;
      }, kHalfTolerance);
      for (loom_reduce_op op : {LOOM_REDUCE_SUM, LOOM_REDUCE_MEAN, LOOM_REDUCE_MAX}) {
        expect_match_optional(name, label(dt, "reduce op " + std::to_string(op) + " over dims 0 and 2"), [&](Backend& b) {
          Tensor dst = b.empty(dt, {1, 7, 1});
          b.reduce(op, on(b, x), dst);
          return dst;
        }, kHalfTolerance);
      }
    }
  }
}
