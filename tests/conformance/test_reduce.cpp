// reduce on every backend, against the reference.
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

TEST_CASE("reduce: sum, mean and max over every subset of dims") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 100;
    const Shape shape{3, 7, 17};
    for (loom_reduce_op op : {LOOM_REDUCE_SUM, LOOM_REDUCE_MEAN, LOOM_REDUCE_MAX})
      for (int dims = 0; dims < 8; ++dims) {
        Shape out = shape;
        for (size_t d = 0; d < 3; ++d)
          if (dims & (1 << d)) out[d] = 1;
        const Tensor hx = test::random_tensor(shape, seed++);
        const std::string what = "reduce op " + std::to_string(op) + " " + shape_str(shape) + " -> " + shape_str(out);
        expect_match(name, what, [&](Backend& b) {
          Tensor dst = b.empty(DType::f32, out);
          b.reduce(op, on(b, hx), dst);
          return dst;
        });
        expect_match(name, what + ", strided src and dst", [&](Backend& b) {
          Tensor src = on(b, clone(hx.transpose(0, 2))).transpose(0, 2);
          Shape wide = out;
          wide.back() += 2;
          Tensor whole = on(b, test::random_tensor(wide, 1));
          b.reduce(op, src, whole.slice(-1, 1, 1 + out.back()));
          return whole;
        });
      }
  }
}

TEST_CASE("reduce: long rows and empty tensors") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    // Positive values: no cancellation, so the scaled tolerance is fair to
    // float accumulation.
    const Tensor hx = test::random_tensor({4, 4096}, 200, 0, 1);
    for (loom_reduce_op op : {LOOM_REDUCE_SUM, LOOM_REDUCE_MEAN, LOOM_REDUCE_MAX}) {
      expect_match(name, "reduce op " + std::to_string(op) + " over 4096", [&](Backend& b) {
        Tensor dst = b.empty(DType::f32, {4, 1});
        b.reduce(op, on(b, hx), dst);
        return dst;
      });
      expect_match(name, "reduce op " + std::to_string(op) + " to a scalar-shaped dst", [&](Backend& b) {
        Tensor dst = b.empty(DType::f32, {1, 1});
        b.reduce(op, on(b, hx), dst);
        return dst;
      });
    }
    expect_match(name, "reduce of an empty tensor", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {0, 1});
      b.reduce(LOOM_REDUCE_SUM, on(b, test::random_tensor({0, 5}, 1)), dst);
      return dst;
    });
  }
}
