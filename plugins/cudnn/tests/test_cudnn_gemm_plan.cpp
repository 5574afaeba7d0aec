// The cudnn backend's GEMM planning (gemm_plan.hpp), run on the host: each
// plan is executed by a plain-C++ model of cublasGemmStridedBatchedEx (the
// column-major semantics and leading-dimension rules of the cuBLAS docs,
// every memory access bounds-checked) and compared with a naive strided
// matmul, over random shapes, transposes, broadcasts and strided views.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gemm_plan.hpp"
#include "loom/sdk/error.hpp"

using loom::cudnn::contiguous_layout;
using loom::cudnn::gemm_operand;
using loom::cudnn::GemmOperand;
using loom::cudnn::GemmPlan;
using loom::cudnn::MatrixLayout;
using loom::cudnn::plan_gemm;

namespace {

using Dims = std::vector<int64_t>;

// A strided view into a buffer of doubles.
struct Tensor {
  std::vector<double>* buf;
  int64_t offset;
  MatrixLayout layout;
};

int64_t numel(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Calls fn(index) for every index of `shape`, last dim fastest.
template <class Fn>
void for_each_index(const Dims& shape, Fn fn) {
  if (numel(shape) == 0) return;
  Dims i(shape.size(), 0);
  for (;;) {
    fn(i);
    size_t d = shape.size();
    while (d > 0 && ++i[d - 1] == shape[d - 1]) i[--d] = 0;
    if (d == 0) return;
  }
}

double& at(const Tensor& t, int64_t element) { return t.buf->at(static_cast<size_t>(t.offset + element)); }

// Offset of a right-aligned index `bi` (of the broadcast batch) plus (r, c).
int64_t offset_of(const MatrixLayout& l, const Dims& bi, int64_t r, int64_t c) {
  const size_t rank = l.shape.size(), own = rank - 2, nb = bi.size();
  int64_t o = r * l.strides[rank - 2] + c * l.strides[rank - 1];
  for (size_t j = 0; j < own; ++j) {
    const int64_t i = bi[nb - own + j];
    o += (l.shape[j] == 1 ? 0 : i) * l.strides[j];
  }
  return o;
}

// A random layout for `shape` inside `buf`: dims stored in a random order
// (often the last two swapped), sometimes padded, sometimes a batch dim
// running backwards.
Tensor make_tensor(std::vector<double>& buf, const Dims& shape, std::mt19937_64& rng, bool allow_odd, double fill) {
  const size_t rank = shape.size();
  std::vector<size_t> order(rank);
  for (size_t i = 0; i < rank; ++i) order[i] = i;
  std::uniform_int_distribution<int> coin(0, 3);
  if (allow_odd) {
    if (coin(rng) == 0) std::swap(order[rank - 1], order[rank - 2]);
    if (rank > 3 && coin(rng) == 0) std::swap(order[0], order[1]);
  }
  // Storage dims from outermost to innermost: order[0] ... order[rank-1].
  Dims strides(rank, 0);
  int64_t step = 1;
  for (size_t j = rank; j-- > 0;) {
    const size_t d = order[j];
    strides[d] = step;
    const int64_t pad = allow_odd && coin(rng) == 0 ? 2 : 0;
    step *= std::max<int64_t>(shape[d], 1) + pad;
  }
  int64_t offset = static_cast<int64_t>(buf.size());
  if (allow_odd && rank > 2 && shape[0] > 1 && coin(rng) == 0) {
    offset += (shape[0] - 1) * strides[0];  // dim 0 runs backwards
    strides[0] = -strides[0];
  }
  buf.resize(buf.size() + static_cast<size_t>(step), 0.0);
  std::uniform_real_distribution<double> value(-1.0, 1.0);
  for (size_t i = buf.size() - static_cast<size_t>(step); i < buf.size(); ++i) buf[i] = fill == 0.0 ? value(rng) : fill;
  return Tensor{&buf, offset, MatrixLayout{shape, strides}};
}

// cublasGemmStridedBatchedEx as documented: for each of `count` batches,
// C = alpha * op(A) op(B) + beta * C, column-major; checks the ld rules.
void model_cublas(const GemmPlan& p, const Tensor& a, const Tensor& b, const Tensor& d, double alpha, double beta) {
  REQUIRE(p.m > 0);
  REQUIRE(p.n > 0);
  REQUIRE(p.k > 0);
  REQUIRE(p.first.ld >= std::max<int64_t>(1, p.first.transpose ? p.k : p.m));
  REQUIRE(p.second.ld >= std::max<int64_t>(1, p.second.transpose ? p.n : p.k));
  REQUIRE(p.ldc >= std::max<int64_t>(1, p.m));
  REQUIRE(p.count >= 1);
  REQUIRE(p.stride_a >= 0);
  REQUIRE(p.stride_b >= 0);
  REQUIRE(p.stride_dst >= 0);
  const Tensor& first = p.swapped ? b : a;
  const Tensor& second = p.swapped ? a : b;
  for_each_index(p.outer_shape.empty() ? Dims{1} : p.outer_shape, [&](const Dims& oi) {
    int64_t oa = 0, ob = 0, od = 0;
    for (size_t i = 0; i < p.outer_shape.size(); ++i) {
      oa += oi[i] * p.outer_a[i];
      ob += oi[i] * p.outer_b[i];
      od += oi[i] * p.outer_dst[i];
    }
    for (int64_t batch = 0; batch < p.count; ++batch) {
      const int64_t fa = (p.swapped ? ob : oa) + batch * (p.swapped ? p.stride_b : p.stride_a);
      const int64_t sa = (p.swapped ? oa : ob) + batch * (p.swapped ? p.stride_a : p.stride_b);
      const int64_t ca = od + batch * p.stride_dst;
      for (int64_t j = 0; j < p.n; ++j)
        for (int64_t i = 0; i < p.m; ++i) {
          double acc = 0;
          for (int64_t l = 0; l < p.k; ++l) {
            const double x = at(first, fa + (p.first.transpose ? l + i * p.first.ld : i + l * p.first.ld));
            const double y = at(second, sa + (p.second.transpose ? j + l * p.second.ld : l + j * p.second.ld));
            acc += x * y;
          }
          double& c = at(d, ca + i + j * p.ldc);
          c = alpha * acc + (beta == 0.0 ? 0.0 : beta * c);
        }
    }
  });
}

// Copies `t` into fresh contiguous storage in `buf`.
Tensor contiguous_copy(std::vector<double>& buf, const Tensor& t) {
  const int64_t base = static_cast<int64_t>(buf.size());
  buf.resize(buf.size() + static_cast<size_t>(numel(t.layout.shape)));
  Tensor c{&buf, base, contiguous_layout(t.layout.shape)};
  int64_t flat = 0;
  const Dims& s = t.layout.shape;
  for_each_index(s, [&](const Dims& i) {
    int64_t o = 0;
    for (size_t d = 0; d < s.size(); ++d) o += i[d] * t.layout.strides[d];
    at(c, flat++) = at(t, o);
  });
  return c;
}

struct Case {
  Dims batch_a, batch_b;
  int64_t m, k, n;
  bool ta, tb;
  bool odd_a, odd_b, odd_dst;  // random strides
};

std::string describe(const Case& c) {
  auto dims = [](const Dims& d) {
    std::string s = "[";
    for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
  };
  return "batch a " + dims(c.batch_a) + " b " + dims(c.batch_b) + " m " + std::to_string(c.m) + " k " +
         std::to_string(c.k) + " n " + std::to_string(c.n) + (c.ta ? " ta" : "") + (c.tb ? " tb" : "") +
         (c.odd_a ? " odd-a" : "") + (c.odd_b ? " odd-b" : "") + (c.odd_dst ? " odd-dst" : "");
}

Dims broadcast(const Dims& a, const Dims& b) {
  const size_t n = std::max(a.size(), b.size());
  Dims out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Runs the case as matmul.cpp does (copies and a temporary where the plan
// asks) on the cuBLAS model and compares the whole dst storage with a naive
// matmul; returns the first plan.
GemmPlan run_case(const Case& c, uint64_t seed) {
  INFO(describe(c));
  std::mt19937_64 rng(seed);
  std::vector<double> buf;  // every tensor of the case, views into it by offset
  Dims a_shape = c.batch_a, b_shape = c.batch_b;
  a_shape.push_back(c.ta ? c.k : c.m);
  a_shape.push_back(c.ta ? c.m : c.k);
  b_shape.push_back(c.tb ? c.n : c.k);
  b_shape.push_back(c.tb ? c.k : c.n);
  Dims d_shape = broadcast(c.batch_a, c.batch_b);
  d_shape.push_back(c.m);
  d_shape.push_back(c.n);
  const Tensor a = make_tensor(buf, a_shape, rng, c.odd_a, 0.0);
  const Tensor b = make_tensor(buf, b_shape, rng, c.odd_b, 0.0);
  const Tensor d = make_tensor(buf, d_shape, rng, c.odd_dst, 0.0);
  const double alpha = 1.5, beta = seed % 2 ? 0.5 : 0.0;

  // Expected: the whole buffer with dst's view elements replaced.
  std::vector<double> expected = buf;
  const Dims batch(d_shape.begin(), d_shape.end() - 2);
  for_each_index(batch, [&](const Dims& bi) {
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < c.k; ++l)
          acc += at(a, offset_of(a.layout, bi, c.ta ? l : i, c.ta ? i : l)) *
                 at(b, offset_of(b.layout, bi, c.tb ? j : l, c.tb ? l : j));
        const size_t o = static_cast<size_t>(d.offset + offset_of(d.layout, bi, i, j));
        expected[o] = alpha * acc + beta * expected[o];
      }
  });

  const size_t original_size = buf.size();
  GemmPlan plan = plan_gemm(a.layout, c.ta, b.layout, c.tb, d.layout);
  const GemmPlan first = plan;
  Tensor av = a, bv = b, target = d;
  bool temp = false;
  if (plan.copy_a || plan.copy_b || plan.copy_dst) {
    if (plan.copy_a) av = contiguous_copy(buf, a);
    if (plan.copy_b) bv = contiguous_copy(buf, b);
    if (plan.copy_dst) {
      temp = true;
      const int64_t base = static_cast<int64_t>(buf.size());
      buf.resize(buf.size() + static_cast<size_t>(numel(d_shape)), 0.0);
      target = Tensor{&buf, base, contiguous_layout(d_shape)};
    }
    plan = plan_gemm(av.layout, c.ta, bv.layout, c.tb, target.layout);
    REQUIRE_FALSE(plan.copy_a);
    REQUIRE_FALSE(plan.copy_b);
    REQUIRE_FALSE(plan.copy_dst);
  }
  model_cublas(plan, av, bv, target, alpha, temp ? 0.0 : beta);
  if (temp) {  // the epilogue: dst = temp + beta * dst
    int64_t flat = 0;
    for_each_index(d_shape, [&](const Dims& i) {
      int64_t o = 0;
      for (size_t x = 0; x < i.size(); ++x) o += i[x] * d.layout.strides[x];
      at(d, o) = at(target, flat++) + beta * at(d, o);
    });
  }
  buf.resize(original_size);
  REQUIRE(buf.size() == expected.size());
  for (size_t i = 0; i < buf.size(); ++i) {
    INFO("element " << i);
    REQUIRE(std::fabs(buf[i] - expected[i]) <= 1e-12 * (1.0 + std::fabs(expected[i])));
  }
  return first;
}

}  // namespace

TEST_CASE("gemm plan: operands and leading dims") {
  // Row-major [3, 5]: the matrix is column-major [5, 3] transposed.
  auto op = gemm_operand(3, 5, 5, 1, false);
  REQUIRE(op);
  CHECK(op->transpose);
  CHECK(op->ld == 5);
  op = gemm_operand(3, 5, 5, 1, true);
  REQUIRE(op);
  CHECK_FALSE(op->transpose);
  CHECK(op->ld == 5);
  // A transposed view (column-major storage) needs no transpose.
  op = gemm_operand(3, 5, 1, 3, false);
  REQUIRE(op);
  CHECK_FALSE(op->transpose);
  CHECK(op->ld == 3);
  // A padded row stride is a larger ld.
  op = gemm_operand(3, 5, 8, 1, true);
  REQUIRE(op);
  CHECK(op->ld == 8);
  // No unit stride, an overlapping ld, negative or zero strides: copy first.
  CHECK_FALSE(gemm_operand(3, 5, 10, 2, false));
  CHECK_FALSE(gemm_operand(3, 5, 4, 1, false));
  CHECK_FALSE(gemm_operand(3, 5, -5, 1, false));
  CHECK_FALSE(gemm_operand(3, 5, 0, 1, true));
  // A single row or column: its other stride does not matter.
  op = gemm_operand(1, 5, 123456, 1, true);
  REQUIRE(op);
  CHECK(op->ld == 5);
  op = gemm_operand(4, 1, 1, -7, false);
  REQUIRE(op);
  CHECK(op->ld == 4);
  CHECK(gemm_operand(1, 1, 0, 0, false));
}

TEST_CASE("gemm plan: a linear layer is one GEMM over every row") {
  // a [2, 3, 5, 7] contiguous x b [7, 4] (b^T stored, as PyTorch's Linear).
  const Case c{{2, 3}, {}, 5, 7, 4, false, true, false, false, false};
  const GemmPlan p = run_case(c, 1);
  CHECK(p.folded);
  CHECK(p.swapped);
  CHECK(p.m == 4);
  CHECK(p.n == 30);
  CHECK(p.k == 7);
  CHECK(p.count == 1);
  CHECK(p.outer_shape.empty());
  CHECK(p.first.transpose);  // cuBLAS's "TN"
  CHECK_FALSE(p.second.transpose);
}

TEST_CASE("gemm plan: batched operands, broadcast b and odd layouts") {
  // Both batched: one strided-batched call.
  GemmPlan p = run_case({{6}, {6}, 3, 4, 5, false, false, false, false, false}, 2);
  CHECK_FALSE(p.folded);
  CHECK(p.count == 6);
  CHECK(p.stride_a == 12);
  CHECK(p.stride_b == 20);
  CHECK(p.stride_dst == 15);
  // a broadcast against a batched b: stride 0 for a.
  p = run_case({{}, {4}, 3, 4, 5, true, false, false, false, false}, 3);
  CHECK(p.count == 4);
  CHECK(p.stride_a == 0);
  // Batch dims that no single stride covers loop on the host.
  p = run_case({{2, 1, 2}, {3, 1}, 5, 7, 3, false, false, false, false, false}, 4);
  CHECK_FALSE(p.outer_shape.empty());
  // A transposed dst view is column-major D: no swap.
  p = plan_gemm(MatrixLayout{{3, 4}, {4, 1}}, false, MatrixLayout{{4, 5}, {5, 1}}, false,
                MatrixLayout{{3, 5}, {1, 3}});
  CHECK_FALSE(p.swapped);
  CHECK(p.ldc == 3);
  // Neither dst stride is 1: computed into a temporary.
  p = plan_gemm(MatrixLayout{{3, 4}, {4, 1}}, false, MatrixLayout{{4, 5}, {5, 1}}, false,
                MatrixLayout{{3, 5}, {10, 2}});
  CHECK(p.copy_dst);
  CHECK_FALSE(p.copy_a);
  CHECK_FALSE(p.copy_b);
}

TEST_CASE("gemm plan: random shapes and layouts against a naive matmul") {
  std::mt19937_64 rng(20240611);
  const Dims sizes{1, 2, 3, 5, 8};
  const std::vector<Dims> batches{{}, {1}, {3}, {2, 3}, {2, 1}, {1, 3}, {4, 1, 2}};
  auto pick = [&](const auto& from) { return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)]; };
  for (int trial = 0; trial < 600; ++trial) {
    Case c;
    c.batch_a = pick(batches);
    c.batch_b = pick(batches);
    // Keep the batches broadcastable: size 1 or equal, right-aligned.
    Dims& longer = c.batch_a.size() >= c.batch_b.size() ? c.batch_a : c.batch_b;
    Dims& shorter = c.batch_a.size() >= c.batch_b.size() ? c.batch_b : c.batch_a;
    for (size_t i = 0; i < shorter.size(); ++i) {
      int64_t& s = shorter[i];
      const int64_t l = longer[longer.size() - shorter.size() + i];
      if (s != 1 && l != 1 && s != l) s = 1;
    }
    if (trial % 3 == 0) c.batch_b = {};  // weights: the common case
    c.m = pick(sizes);
    c.k = pick(sizes);
    c.n = pick(sizes);
    c.ta = rng() % 2;
    c.tb = rng() % 2;
    c.odd_a = rng() % 2;
    c.odd_b = rng() % 2;
    c.odd_dst = rng() % 2;
    run_case(c, 1000 + static_cast<uint64_t>(trial));
  }
}

TEST_CASE("gemm plan: dims beyond cuBLAS's int range") {
  const int64_t big = int64_t{3} << 30;
  CHECK_THROWS_AS(plan_gemm(MatrixLayout{{big, 4}, {4, 1}}, false, MatrixLayout{{4, 5}, {5, 1}}, false,
                            MatrixLayout{{big, 5}, {5, 1}}),
                  loom::sdk::Error);
  // Folding would overflow M: batched calls instead.
  const int64_t rows = 30000, items = 100000;
  const GemmPlan p = plan_gemm(MatrixLayout{{items, rows, 4}, {rows * 4, 4, 1}}, false, MatrixLayout{{4, 5}, {5, 1}},
                               false, MatrixLayout{{items, rows, 5}, {rows * 5, 5, 1}});
  CHECK_FALSE(p.folded);
  CHECK(p.count == items);
  CHECK(p.n == rows);
}
