// matmul and packed matmul on every backend, against the reference.
#include <algorithm>
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

const std::vector<loom_unary_op> kActivations = {
    LOOM_UNARY_IDENTITY, LOOM_UNARY_RELU, LOOM_UNARY_GELU, LOOM_UNARY_GELU_TANH, LOOM_UNARY_TANH, LOOM_UNARY_SIGMOID,
    LOOM_UNARY_EXP,      LOOM_UNARY_LOG,  LOOM_UNARY_SQRT, LOOM_UNARY_ABS,       LOOM_UNARY_SQUARE};

// One matmul problem: host inputs and how to present them to the backend.
struct MatmulCase {
  Shape a, b;  // as stored, i.e. already transposed when the flags say so
  MatmulOptions options;
  bool bias = false;
  bool a_as_view = false;   // store a's last two dims swapped and pass a transposed view
  bool strided_dst = false;  // write into a slice of a wider tensor
  float lo = -1, hi = 1;     // input range (positive for log / sqrt)
  uint64_t seed = 1;

  std::string describe() const {
    const auto& o = options;
    return "a " + shape_str(a) + " b " + shape_str(b) + (o.transpose_a ? " ta" : "") + (o.transpose_b ? " tb" : "") +
           " alpha " + std::to_string(o.alpha) + " beta " + std::to_string(o.beta) + " act " +
           std::to_string(o.activation) + (bias ? " bias" : "") + (a_as_view ? " a-view" : "") +
           (strided_dst ? " strided-dst" : "");
  }
};

// The broadcast batch dims + [M, N] of a case.
Shape dst_shape(const MatmulCase& c) {
  const int64_t m = c.options.transpose_a ? c.a[c.a.size() - 1] : c.a[c.a.size() - 2];
  const int64_t n = c.options.transpose_b ? c.b[c.b.size() - 2] : c.b[c.b.size() - 1];
  Shape ba(c.a.begin(), c.a.end() - 2), bb(c.b.begin(), c.b.end() - 2);
  Shape batch(std::max(ba.size(), bb.size()), 1);
  for (size_t i = 0; i < ba.size(); ++i) batch[batch.size() - ba.size() + i] = ba[i];
  for (size_t i = 0; i < bb.size(); ++i) {
    int64_t& d = batch[batch.size() - bb.size() + i];
    d = d == 1 ? bb[i] : d;
  }
  batch.push_back(m);
  batch.push_back(n);
  return batch;
}

Shape swap_last(Shape s) {
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  return s;
}

// Runs the case on the reference and on `name` (plain or packed b) and
// compares the whole dst, including what a strided dst must leave alone.
void check_matmul(const std::string& name, const MatmulCase& c, bool packed = false) {
  const Shape out = dst_shape(c);
  const int64_t n = out.back();
  const Tensor ha = test::random_tensor(c.a_as_view ? swap_last(c.a) : c.a, c.seed, c.lo, c.hi);
  const Tensor hb = test::random_tensor(c.b, c.seed + 1, c.lo, c.hi);
  const Tensor hbias = test::random_tensor({n}, c.seed + 2, c.lo, c.hi);
  Shape whole_shape = out;
  if (c.strided_dst) whole_shape.back() += 3;
  const Tensor hwhole = test::random_tensor(whole_shape, c.seed + 3);  // what beta scales
  expect_match(name, std::string(packed ? "matmul_packed " : "matmul ") + c.describe(), [&](Backend& b) {
    Tensor a = on(b, ha);
    if (c.a_as_view) a = a.transpose(-1, -2);
    Tensor w = on(b, hb), bias = on(b, hbias), whole = on(b, hwhole);
    Tensor dst = c.strided_dst ? whole.slice(-1, 2, 2 + n) : whole;
    const Tensor* bias_ptr = c.bias ? &bias : nullptr;
    if (packed) {
      auto p = b.matmul_pack(w, c.options.transpose_b);
      b.fill(0.0f, w);  // the packed copy must not depend on b any more
      MatmulOptions o = c.options;
      o.transpose_b = !o.transpose_b;  // matmul_packed ignores this flag
      b.matmul_packed(a, p, bias_ptr, dst, o);
    } else {
      b.matmul(a, w, bias_ptr, dst, c.options);
    }
    return whole;
  });
}

// a [.., M, K] / b [K, N] as stored for the given transpose flags.
MatmulCase make_case(Shape batch_a, Shape batch_b, int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
  MatmulCase c;
  c.a = batch_a;
  c.a.push_back(ta ? k : m);
  c.a.push_back(ta ? m : k);
  c.b = batch_b;
  c.b.push_back(tb ? n : k);
  c.b.push_back(tb ? k : n);
  c.options.transpose_a = ta;
  c.options.transpose_b = tb;
  return c;
}

}  // namespace

TEST_CASE("matmul: every combination of odd sizes") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 100;
    for (int64_t m : odd_sizes())
      for (int64_t k : odd_sizes())
        for (int64_t n : odd_sizes()) {
          MatmulCase c = make_case({}, {}, m, k, n, false, false);
          c.seed = seed++;
          check_matmul(name, c);
        }
  }
}

TEST_CASE("matmul: transpose flags and transposed views, random shapes") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    std::mt19937_64 rng(7);
    for (int trial = 0; trial < 12; ++trial) {
      const int64_t m = pick(rng, odd_sizes()), k = pick(rng, odd_sizes()), n = pick(rng, odd_sizes());
      for (int flags = 0; flags < 4; ++flags) {
        MatmulCase c = make_case({}, {}, m, k, n, flags & 1, flags & 2);
        c.seed = 1000 + static_cast<uint64_t>(trial * 4 + flags);
        c.a_as_view = trial % 2 == 1;
        c.strided_dst = trial % 3 == 2;
        check_matmul(name, c);
      }
    }
  }
}

TEST_CASE("matmul: each activation with alpha, beta and bias") {
  struct Scale {
    float alpha, beta;
  };
  const std::vector<Scale> scales{{1, 0}, {0.5f, 1}, {-1.5f, 0.25f}};
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 2000;
    for (loom_unary_op act : kActivations)
      for (bool bias : {false, true})
        for (const Scale& s : scales) {
          MatmulCase c = make_case({}, {}, 7, 17, 3, false, seed % 2 == 0);
          c.options.activation = act;
          c.options.alpha = s.alpha;
          c.options.beta = s.beta;
          c.bias = bias;
          c.seed = seed++;
          if (act == LOOM_UNARY_LOG || act == LOOM_UNARY_SQRT) {
            // Keep the pre-activation positive: no NaN to compare.
            c.lo = 0.05f;
            c.options.alpha = s.alpha < 0 ? -s.alpha : s.alpha;
          }
          check_matmul(name, c);
        }
  }
}

TEST_CASE("matmul: batch dims broadcast on either side") {
  struct Batches {
    Shape a, b;
  };
  const std::vector<Batches> batches{{{2, 3}, {}},     {{}, {3}},        {{2, 1}, {1, 3}}, {{3}, {3}},
                                     {{1}, {4}},       {{2, 3}, {3}},    {{4}, {1}},       {{2, 1, 2}, {3, 1}},
                                     {{1, 1}, {}}};
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 3000;
    for (const auto& bt : batches)
      for (int flags = 0; flags < 4; ++flags) {
        MatmulCase c = make_case(bt.a, bt.b, 5, 7, 3, flags & 1, flags & 2);
        c.seed = seed++;
        c.bias = flags == 3;
        c.options.beta = flags == 1 ? 1.0f : 0.0f;
        c.strided_dst = flags == 2;
        check_matmul(name, c);
      }
  }
}

TEST_CASE("matmul: empty dims") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    for (int which = 0; which < 4; ++which) {
      // M = 0, N = 0, K = 0 (dst = act(bias) + beta * dst), and an empty batch.
      MatmulCase c = which == 3 ? make_case({0}, {}, 3, 4, 5, false, false)
                                : make_case({}, {}, which == 0 ? 0 : 3, which == 2 ? 0 : 4, which == 1 ? 0 : 5,
                                            false, false);
      c.bias = true;
      c.options.beta = 1.0f;
      c.options.activation = LOOM_UNARY_TANH;
      c.seed = 4000 + static_cast<uint64_t>(which);
      check_matmul(name, c);
    }
  }
}

TEST_CASE("matmul: a long inner dim") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    MatmulCase c = make_case({2}, {}, 9, 1000, 13, false, true);
    c.bias = true;
    c.seed = 5000;
    check_matmul(name, c);
  }
}

TEST_CASE("matmul_packed: packed weights give the plain product") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    std::mt19937_64 rng(11);
    uint64_t seed = 6000;
    for (int trial = 0; trial < 16; ++trial) {
      const int64_t m = pick(rng, odd_sizes()), k = pick(rng, odd_sizes()), n = pick(rng, odd_sizes());
      const Shape batch = trial % 4 == 0 ? Shape{} : trial % 4 == 1 ? Shape{3} : Shape{2, 3};
      MatmulCase c = make_case(batch, {}, m, k, n, trial % 3 == 1, trial % 2 == 1);
      c.bias = trial % 2 == 0;
      c.options.activation = kActivations[static_cast<size_t>(trial) % 7];  // the ones defined everywhere
      c.options.alpha = trial % 5 == 0 ? 0.75f : 1.0f;
      c.options.beta = trial % 3 == 0 ? 1.0f : 0.0f;
      c.strided_dst = trial % 4 == 3;
      c.seed = seed++;
      check_matmul(name, c, true);
    }
    MatmulCase empty = make_case({}, {}, 0, 5, 3, false, false);
    check_matmul(name, empty, true);
  }
}
