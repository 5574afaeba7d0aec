// gather, copy and concat on every backend, against the reference.
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

TEST_CASE("gather: i32 and i64 indices of any rank") {
  const std::vector<Shape> index_shapes{{}, {1}, {7}, {3, 5}, {2, 3, 4}, {0}, {2, 0}};
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 100;
    for (int64_t vocab : {1, 7, 33})
      for (int64_t width : {1, 3, 17})
        for (const Shape& is : index_shapes)
          for (DType dt : {DType::i32, DType::i64}) {
            const Tensor table = test::random_tensor({vocab, width}, seed++);
            const Tensor idx = random_of(dt, is, seed++, 0, static_cast<double>(vocab));
            Shape out = is;
            out.push_back(width);
            const std::string what = std::string("gather ") + dtype_name(dt) + " " + shape_str(is) + " from [" +
                                     std::to_string(vocab) + ", " + std::to_string(width) + "]";
            expect_match(name, what, [&](Backend& b) {
              Tensor dst = b.empty(DType::f32, out);
              b.gather(on(b, table), on(b, idx), dst);
              return dst;
            });
          }
    // Strided indices and a strided dst.
    const Tensor table = test::random_tensor({33, 5}, 1);
    const Tensor idx = test::random_indices({4, 6}, 33, 2);
    expect_match(name, "gather with transposed indices into a strided dst", [&](Backend& b) {
      Tensor whole = on(b, test::random_tensor({6, 4, 9}, 3));
      b.gather(on(b, table), on(b, idx).transpose(0, 1), whole.slice(2, 2, 7));
      return whole;
    });
  }
}

TEST_CASE("copy: strided views, every same-dtype copy and the float conversions") {
  const std::vector<DType> floats{DType::f32, DType::f16, DType::bf16};
  const std::vector<DType> others{DType::i32, DType::i64, DType::u8, DType::boolean};
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 200;
    // Conversions among f32, f16 and bf16 are part of the op; values include
    // ones that round and that overflow f16.
    for (DType from : floats)
      for (DType to : floats) {
        const Tensor src = random_of(from, {7, 33}, seed++, -70000, 70000);
        const Tensor small = random_of(from, {7, 33}, seed++, -1e-5, 1e-5);  // f16 subnormals
        for (const Tensor* s : {&src, &small}) {
          expect_match(name, std::string("copy ") + dtype_name(from) + " -> " + dtype_name(to), [&](Backend& b) {
            Tensor dst = b.empty(to, {7, 33});
            b.copy(on(b, *s), dst);
            return dst;
          }, 0.0);
        }
        expect_match(name, std::string("copy transposed ") + dtype_name(from) + " -> " + dtype_name(to),
                     [&](Backend& b) {
                       Tensor whole = b.empty(to, {33, 9});
                       b.fill(0.0f, whole);
                       b.copy(on(b, src).transpose(0, 1), whole.slice(1, 1, 8));
                       return whole;
                     }, 0.0);
      }
    // The same dtype for the rest: optional for other backends.
    for (DType dt : others) {
      const Tensor src = random_of(dt, {3, 5, 7}, seed++, -100, 100);
      expect_match_optional(name, std::string("copy ") + dtype_name(dt) + " as a permuted view", [&](Backend& b) {
        Tensor dst = b.empty(dt, {7, 5, 3});
        b.copy(on(b, src).transpose(0, 2), dst);
        return dst;
      }, 0.0);
    }
    // Slices: a window of rows and columns, made contiguous.
    const Tensor big = test::random_tensor({17, 33}, 5);
    expect_match(name, "copy of a slice", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {5, 10});
      b.copy(on(b, big).slice(0, 3, 8).slice(1, 20, 30), dst);
      return dst;
    }, 0.0);
    expect_match(name, "copy of an empty tensor", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {0, 3});
      b.copy(on(b, test::random_tensor({0, 3}, 1)), dst);
      return dst;
    });
  }
}

TEST_CASE("concat: along every axis, strided and empty sources") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 300;
    const Shape base{3, 5, 7};
    for (int axis = -3; axis < 3; ++axis) {
      const size_t ax = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
      for (const std::vector<int64_t>& sizes : std::vector<std::vector<int64_t>>{{1}, {2, 3}, {1, 0, 4, 2}}) {
        std::vector<Tensor> hosts;
        Shape out = base;
        out[ax] = 0;
        for (int64_t n : sizes) {
          Shape s = base;
          s[ax] = n;
          hosts.push_back(test::random_tensor(s, seed++));
          out[ax] += n;
        }
        const std::string what = "concat of " + std::to_string(sizes.size()) + " along axis " + std::to_string(axis);
        expect_match(name, what, [&](Backend& b) {
          std::vector<Tensor> srcs;
          for (const auto& h : hosts) srcs.push_back(on(b, h));
          Tensor dst = b.empty(DType::f32, out);
          b.concat(srcs, axis, dst);
          return dst;
        });
        expect_match(name, what + ", transposed sources", [&](Backend& b) {
          std::vector<Tensor> srcs;
          for (const auto& h : hosts) srcs.push_back(on(b, clone(h.transpose(0, 2))).transpose(0, 2));
          Tensor dst = b.empty(DType::f32, out);
          b.concat(srcs, axis, dst);
          return dst;
        });
      }
    }
    const Tensor a = random_of(DType::i64, {2, 3}, 1, 0, 100), c = random_of(DType::i64, {2, 4}, 2, 0, 100);
    expect_match_optional(name, "concat of i64", [&](Backend& b) {
      Tensor dst = b.empty(DType::i64, {2, 7});
      b.concat({on(b, a), on(b, c)}, 1, dst);
      return dst;
    }, 0.0);
  }
}
