// The cudnn kernels' index arithmetic (kernels/index_math.hpp), run on the
// host: every offset an Indexer, a RowPlan or a ReducePlan produces is
// compared with the plain sum of index * stride over the original shape.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "kernels/index_math.hpp"
#include "loom/sdk/dtype.hpp"

using namespace loom::cudnn;

namespace {

using Dims = std::vector<int64_t>;

TensorDesc make_desc(const Dims& shape, const Dims& strides) {
  TensorDesc d;
  d.ndim = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    d.shape[i] = shape[i];
    d.strides[i] = strides[i];
  }
  return d;
}

Dims row_major(const Dims& shape) {
  Dims s(shape.size());
  int64_t step = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = step;
    step *= shape[i];
  }
  return s;
}

int64_t count(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// The multi-index of `flat` (row-major), written out independently of unravel().
Dims index_of(int64_t flat, const Dims& shape) {
  Dims idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = flat % shape[i];
    flat /= shape[i];
  }
  return idx;
}

int64_t dot(const Dims& idx, const Dims& strides) {
  int64_t off = 0;
  for (size_t i = 0; i < idx.size(); ++i) off += idx[i] * strides[i];
  return off;
}

// Random strides for `shape`: a random dim order (a permuted, padded
// layout), sometimes negated, sometimes 0 (broadcast) on a dim.
Dims random_strides(std::mt19937_64& rng, const Dims& shape, bool allow_zero) {
  std::vector<size_t> order(shape.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  Dims s(shape.size());
  int64_t step = 1 + static_cast<int64_t>(rng() % 2);  // 2: every other element
  for (size_t k = order.size(); k-- > 0;) {
    const size_t d = order[k];
    s[d] = rng() % 5 == 0 ? -step : step;
    step *= shape[d] + static_cast<int64_t>(rng() % 2);  // + 1: padding after the dim
  }
  if (allow_zero)
    for (size_t d = 0; d < s.size(); ++d)
      if (rng() % 4 == 0) s[d] = 0;
  return s;
}

Dims random_shape(std::mt19937_64& rng, int rank) {
  static const Dims sizes{1, 1, 2, 3, 5};
  Dims s;
  for (int i = 0; i < rank; ++i) s.push_back(sizes[rng() % sizes.size()]);
  return s;
}

}  // namespace

TEST_CASE("index math: an Indexer gives each operand's offset at every flat index") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const int rank = static_cast<int>(rng() % (kMaxDims + 1));
    const Dims shape = random_shape(rng, rank);
    Dims strides[3];
    for (auto& s : strides) s = random_strides(rng, shape, true);
    if (trial % 5 == 0) strides[0] = strides[1] = strides[2] = row_major(shape);
    const TensorDesc descs[3] = {make_desc(shape, strides[0]), make_desc(shape, strides[1]),
                                 make_desc(shape, strides[2])};
    const Indexer<3> it = make_indexer<3>(descs);
    INFO("trial " << trial << " rank " << rank);
    REQUIRE(it.numel() == count(shape));
    CHECK(it.ndim <= rank);
    for (int32_t d = 0; d < it.ndim; ++d) CHECK(it.shape[d] > 1);  // size-1 dims are gone
    for (int64_t flat = 0; flat < count(shape); ++flat) {
      int64_t got[3];
      it.offsets(flat, got);
      const Dims idx = index_of(flat, shape);
      for (int k = 0; k < 3; ++k) REQUIRE(got[k] == dot(idx, strides[k]));
    }
  }
}

TEST_CASE("index math: dense operands merge into one dim, others keep what they need") {
  const Dims shape{2, 3, 1, 5};
  const TensorDesc dense = make_desc(shape, row_major(shape));
  const TensorDesc both[2] = {dense, dense};
  const Indexer<2> merged = make_indexer<2>(both);
  CHECK(merged.ndim == 1);
  CHECK(merged.shape[0] == 30);
  CHECK(merged.contiguous());

  // A broadcast operand (stride 0 on the leading dim) splits that dim off.
  const TensorDesc row = make_desc(shape, {0, 5, 5, 1});
  const TensorDesc with_row[2] = {dense, row};
  const Indexer<2> split = make_indexer<2>(with_row);
  CHECK(split.ndim == 2);
  CHECK(split.shape[0] == 2);
  CHECK(split.shape[1] == 15);
  CHECK(!split.contiguous());

  // A transposed view stays two dims.
  const TensorDesc t = make_desc({3, 2}, {1, 3});
  const TensorDesc one[1] = {t};
  CHECK(make_indexer<1>(one).ndim == 2);
  CHECK(!make_indexer<1>(one).contiguous());

  // Rank 0, and all-ones shapes: one element at offset 0.
  const TensorDesc scalar = make_desc({}, {});
  const TensorDesc s1[1] = {scalar};
  const Indexer<1> si = make_indexer<1>(s1);
  CHECK(si.ndim == 0);
  CHECK(si.numel() == 1);
  CHECK(si.contiguous());
  int64_t off[1] = {-1};
  si.offsets(0, off);
  CHECK(off[0] == 0);
  const TensorDesc ones[1] = {make_desc({1, 1, 1}, {7, 7, 7})};
  CHECK(make_indexer<1>(ones).ndim == 0);

  // A zero dim: no elements.
  const TensorDesc empty[1] = {make_desc({3, 0, 2}, {0, 2, 1})};
  CHECK(make_indexer<1>(empty).numel() == 0);
}

TEST_CASE("index math: rows along any axis cover every element once, in order") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + static_cast<int>(rng() % kMaxDims);
    const Dims shape = random_shape(rng, rank);
    const int32_t axis = static_cast<int32_t>(rng() % static_cast<uint64_t>(rank));
    Dims strides[3];
    for (int k = 0; k < 3; ++k) strides[k] = random_strides(rng, shape, k == 2);  // [2]: a broadcast mask
    const TensorDesc descs[3] = {make_desc(shape, strides[0]), make_desc(shape, strides[1]),
                                 make_desc(shape, strides[2])};
    const RowPlan<3> plan = plan_rows<3>(descs, axis);
    INFO("trial " << trial << " rank " << rank << " axis " << axis);
    REQUIRE(plan.len == shape[static_cast<size_t>(axis)]);
    Dims outer = shape;
    outer.erase(outer.begin() + axis);
    REQUIRE(plan.rows.numel() == count(outer));
    for (int64_t r = 0; r < count(outer); ++r) {
      int64_t base[3];
      plan.rows.offsets(r, base);
      Dims idx = index_of(r, outer);
      idx.insert(idx.begin() + axis, 0);
      for (int64_t j = 0; j < plan.len; ++j) {
        idx[static_cast<size_t>(axis)] = j;
        for (int k = 0; k < 3; ++k) REQUIRE(base[k] + j * plan.step[k] == dot(idx, strides[k]));
      }
    }
  }
}

TEST_CASE("index math: a reduce plan sends every src element to its dst element") {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = static_cast<int>(rng() % 6);
    const Dims src_shape = random_shape(rng, rank);
    Dims dst_shape = src_shape;
    for (auto& d : dst_shape)
      if (rng() % 2) d = 1;
    // Distinct offsets per element (no zero strides), so the map below is exact.
    const Dims src_strides = random_strides(rng, src_shape, false);
    const Dims dst_strides = random_strides(rng, dst_shape, false);
    const ReducePlan plan = plan_reduce(make_desc(src_shape, src_strides), make_desc(dst_shape, dst_strides));
    INFO("trial " << trial << " rank " << rank);
    REQUIRE(plan.outer_count == count(dst_shape));
    REQUIRE(plan.outer_count * plan.inner_count == count(src_shape));

    // Where each src element (by offset) must go: dst's row-major position.
    std::map<int64_t, int64_t> want;
    for (int64_t flat = 0; flat < count(src_shape); ++flat) {
      Dims idx = index_of(flat, src_shape);
      const int64_t src_off = dot(idx, src_strides);
      for (size_t d = 0; d < idx.size(); ++d)
        if (dst_shape[d] == 1) idx[d] = 0;
      int64_t out = 0;
      for (size_t d = 0; d < idx.size(); ++d) out = out * dst_shape[d] + idx[d];
      want[src_off] = out;
    }
    std::map<int64_t, int> seen;
    for (int64_t o = 0; o < plan.outer_count; ++o) {
      int64_t out[2];
      plan.outer.offsets(o, out);
      REQUIRE(out[1] == dot(index_of(o, dst_shape), dst_strides));
      for (int64_t i = 0; i < plan.inner_count; ++i) {
        int64_t in[1];
        plan.inner.offsets(i, in);
        const int64_t src_off = out[0] + in[0];
        REQUIRE(want.count(src_off) == 1);
        CHECK(want[src_off] == o);
        ++seen[src_off];
      }
    }
    CHECK(seen.size() == want.size());
    for (const auto& [off, times] : seen) CHECK(times == 1);
  }
}

TEST_CASE("index math: reducing over a zero-length dim has outputs and no inputs") {
  const ReducePlan plan = plan_reduce(make_desc({3, 0}, {0, 1}), make_desc({3, 1}, {1, 1}));
  CHECK(plan.outer_count == 3);
  CHECK(plan.inner_count == 0);
}

TEST_CASE("index math: unravel, launch geometry, element sizes") {
  const int64_t shape[3] = {2, 3, 4};
  int64_t idx[3] = {};
  unravel(23, 3, shape, idx);
  CHECK(idx[0] == 1);
  CHECK(idx[1] == 2);
  CHECK(idx[2] == 3);
  unravel(13, 3, shape, idx);
  CHECK(idx[0] == 1);
  CHECK(idx[1] == 0);
  CHECK(idx[2] == 1);

  CHECK(blocks_for(0, 256) == 1);
  CHECK(blocks_for(1, 256) == 1);
  CHECK(blocks_for(256, 256) == 1);
  CHECK(blocks_for(257, 256) == 2);
  CHECK(blocks_for(int64_t{1} << 40, 256) == 65535);  // grid-stride covers the rest
  CHECK(blocks_for(70000, 1) == 65535);

  CHECK(row_threads(0) == 32);
  CHECK(row_threads(1) == 32);
  CHECK(row_threads(33) == 64);
  CHECK(row_threads(100) == 128);
  CHECK(row_threads(int64_t{1} << 40) == 256);
  for (int64_t len : {1, 17, 64, 200, 4096}) CHECK(row_threads(len) % 32 == 0);

  for (int32_t dt = LOOM_DTYPE_F32; dt <= LOOM_DTYPE_BOOL; ++dt)
    CHECK(dtype_bytes(dt) == static_cast<int>(loom::sdk::dtype_size(dt)));
  CHECK(dtype_bytes(99) == 0);
}
