// softmax (with masks) and layer_norm on every backend, against the reference.
#include <cmath>
#include <limits>
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

// A mask over `shape` with about a third of the entries set, and row `full`
// (along the last dim, in the flattened leading dims) set entirely.
Tensor bool_mask(DType dtype, const Shape& shape, uint64_t seed, int64_t full) {
  Tensor m = random_of(dtype, shape, seed, 0, 3);  // u8 values 0, 1, 2
  if (dtype == DType::boolean)
    for (int64_t i = 0; i < m.numel(); ++i) m.data_as<uint8_t>()[i] = (seed + static_cast<uint64_t>(i)) % 3 == 0;
  const int64_t width = shape.empty() ? 1 : shape.back();
  if (m.numel() >= (full + 1) * width)
    for (int64_t j = 0; j < width; ++j) m.data_as<uint8_t>()[full * width + j] = 1;
  return m;
}

// Every value of a host result is finite and row `full` (last axis) is zero.
void expect_masked_row_zero(const Tensor& out, int64_t full) {
  const int64_t width = out.shape().back();
  for (int64_t i = 0; i < out.numel(); ++i) {
    INFO("element " << i);
    REQUIRE(std::isfinite(element(out, i)));
    if (i / width == full) CHECK(element(out, i) == 0.0);
  }
}

}  // namespace

TEST_CASE("softmax: every axis of random shapes, contiguous and strided") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    std::mt19937_64 rng(31);
    uint64_t seed = 100;
    for (int rank = 1; rank <= 4; ++rank)
      for (int axis = -rank; axis < rank; ++axis) {
        Shape shape;
        for (int i = 0; i < rank; ++i) shape.push_back(pick(rng, odd_sizes()));
        const Tensor hx = test::random_tensor(shape, seed++, -8, 8);
        const std::string what = "softmax " + shape_str(shape) + " axis " + std::to_string(axis);
        expect_match(name, what, [&](Backend& b) {
          Tensor dst = b.empty(DType::f32, shape);
          b.softmax(on(b, hx), nullptr, axis, dst);
          return dst;
        });
        if (rank >= 2) {
          expect_match(name, what + " of a transposed view into a strided dst", [&](Backend& b) {
            Tensor src = on(b, hx).transpose(0, rank - 1);
            Shape wide = src.shape();
            wide[0] += 2;
            Tensor whole = on(b, test::random_tensor(wide, 5));
            b.softmax(src, nullptr, axis, whole.slice(0, 1, 1 + src.shape()[0]));
            return whole;
          });
        }
      }
  }
}

TEST_CASE("softmax: large scores stay finite, -inf rows give zeros, empty tensors") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    Tensor hx = test::random_tensor({5, 33}, 200, 900, 1000);
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < 33; ++j) hx.data_as<float>()[2 * 33 + j] = -inf;  // row 2 all -inf
    hx.data_as<float>()[4 * 33 + 7] = -inf;                                   // one -inf entry
    expect_match(name, "softmax of large scores and -inf", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {5, 33});
      b.softmax(on(b, hx), nullptr, -1, dst);
      expect_masked_row_zero(b.download(dst), 2);
      return dst;
    });
    expect_match(name, "softmax of an empty tensor", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {0, 7});
      b.softmax(on(b, test::random_tensor({0, 7}, 1)), nullptr, -1, dst);
      return dst;
    });
  }
}

TEST_CASE("softmax: additive and boolean masks, broadcast, with fully masked rows") {
  struct MaskCase {
    Shape src, mask;
    int axis;
  };
  const std::vector<MaskCase> cases{{{4, 7}, {4, 7}, -1},        {{4, 7}, {7}, -1},
                                    {{2, 3, 5, 17}, {2, 1, 1, 17}, -1}, {{2, 3, 5, 17}, {5, 17}, 3},
                                    {{3, 33}, {3, 1}, -1},       {{2, 5, 7}, {2, 5, 7}, 1}};
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 300;
    for (const auto& mc : cases) {
      const Tensor hx = test::random_tensor(mc.src, seed++, -4, 4);
      const std::string shapes =
          shape_str(mc.src) + " mask " + shape_str(mc.mask) + " axis " + std::to_string(mc.axis);

      Tensor additive = test::random_tensor(mc.mask, seed++, -3, 0);
      expect_match(name, "softmax with an f32 mask " + shapes, [&](Backend& b) {
        Tensor mask = on(b, additive), dst = b.empty(DType::f32, mc.src);
        b.softmax(on(b, hx), &mask, mc.axis, dst);
        return dst;
      });
      // A -inf additive mask over a whole row must give zeros too.
      if (mc.axis == -1) {
        for (int64_t j = 0; j < mc.mask.back(); ++j) additive.data_as<float>()[j] = -INFINITY;
        expect_match(name, "softmax with an f32 -inf row " + shapes, [&](Backend& b) {
          Tensor mask = on(b, additive), dst = b.empty(DType::f32, mc.src);
          b.softmax(on(b, hx), &mask, mc.axis, dst);
          const Tensor out = b.download(dst);
          for (int64_t i = 0; i < out.numel(); ++i) REQUIRE(std::isfinite(element(out, i)));
          return dst;
        });
      }
      for (DType dt : {DType::boolean, DType::u8}) {
        const Tensor hm = bool_mask(dt, mc.mask, seed++, 0);
        expect_match(name, std::string("softmax with a ") + dtype_name(dt) + " mask " + shapes, [&](Backend& b) {
          Tensor mask = on(b, hm);
          Tensor dst = b.empty(DType::f32, mc.src);
          b.softmax(on(b, hx), &mask, mc.axis, dst);
          const Tensor out = b.download(dst);
          if (mc.axis == -1 && mc.mask.size() == mc.src.size() && mc.mask == mc.src) expect_masked_row_zero(out, 0);
          for (int64_t i = 0; i < out.numel(); ++i) REQUIRE(std::isfinite(element(out, i)));
          return dst;
        });
      }
    }
  }
}

TEST_CASE("layer_norm: sizes, affine or not, strided, offset data") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 400;
    for (int64_t c : {1, 3, 7, 17, 33, 512}) {
      for (int variant = 0; variant < 4; ++variant) {
        const bool gamma_on = variant & 1, beta_on = variant & 2;
        const Shape shape{3, 5, c};
        const float offset = variant == 3 ? 5.0f : 0.0f;  // mean far from zero
        const Tensor hx = test::random_tensor(shape, seed++, offset - 1, offset + 1);
        const Tensor hg = test::random_tensor({c}, seed++, 0.5, 1.5), hb = test::random_tensor({c}, seed++);
        const float eps = variant == 2 ? 1e-3f : 1e-5f;
        const std::string what = "layer_norm C=" + std::to_string(c) + (gamma_on ? " gamma" : "") +
                                 (beta_on ? " beta" : "") + " eps " + std::to_string(eps);
        expect_match(name, what, [&](Backend& b) {
          Tensor g = on(b, hg), be = on(b, hb), dst = b.empty(DType::f32, shape);
          b.layer_norm(on(b, hx), gamma_on ? &g : nullptr, beta_on ? &be : nullptr, eps, dst);
          return dst;
        });
        expect_match(name, what + ", strided src (last dim not contiguous) and dst", [&](Backend& b) {
          Tensor g = on(b, hg), be = on(b, hb);
          Tensor src = on(b, test::random_tensor({c, 5, 3}, seed, offset - 1, offset + 1)).transpose(0, 2);
          Tensor whole = on(b, test::random_tensor({3, 7, c}, 6));
          b.layer_norm(src, gamma_on ? &g : nullptr, beta_on ? &be : nullptr, eps, whole.slice(1, 1, 6));
          return whole;
        });
      }
    }
    expect_match(name, "layer_norm of an empty tensor", [&](Backend& b) {
      Tensor dst = b.empty(DType::f32, {0, 7});
      b.layer_norm(on(b, test::random_tensor({0, 7}, 1)), nullptr, nullptr, 1e-5f, dst);
      return dst;
    });
  }
}
