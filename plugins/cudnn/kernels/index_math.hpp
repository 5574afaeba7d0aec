// Index arithmetic of the cudnn kernels, shared by the host (g++: planning,
// unit tests in plugins/cudnn/tests) and the device (nvcc: the kernels).
//
// Every op walks one or more strided operands over a common shape. An
// Indexer turns a row-major flat index of that shape into each operand's
// element offset; the make_* functions build it with size-1 dims dropped and
// adjacent dims merged where every operand is contiguous across them, so a
// contiguous tensor costs one division per element, not one per dim.
#pragma once

#include <cstdint>

#include "loom/abi/types.h"
#include "tensor_desc.hpp"

#if defined(__CUDACC__)
#define LOOM_CUDNN_HD __host__ __device__
#else
#define LOOM_CUDNN_HD
#endif

namespace loom::cudnn {

// N operands (strides in elements, any sign, 0 on broadcast dims) over one shape.
template <int N>
struct Indexer {
  int32_t ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};

  // 1 for rank 0; 0 when a dim is 0.
  LOOM_CUDNN_HD int64_t numel() const {
    int64_t n = 1;
    for (int32_t d = 0; d < ndim; ++d) n *= shape[d];
    return n;
  }

  // The element offset of every operand at row-major index `flat` (< numel()).
  LOOM_CUDNN_HD void offsets(int64_t flat, int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int32_t d = ndim - 1; d >= 0; --d) {
      const int64_t size = shape[d];
      const int64_t next = flat / size;
      const int64_t i = flat - next * size;
      flat = next;
      for (int k = 0; k < N; ++k) out[k] += i * strides[k][d];
    }
  }

  // True when every operand's offset equals the flat index (kernels take a
  // branch-free path then).
  LOOM_CUDNN_HD bool contiguous() const {
    if (ndim == 0) return true;
    if (ndim != 1) return false;
    for (int k = 0; k < N; ++k)
      if (strides[k][0] != 1) return false;
    return true;
  }
};

// The Indexer of N operands over `shape` (ndim <= kMaxDims): strides[k] are
// operand k's strides. Size-1 dims are dropped (their index is always 0) and
// dim d is merged into dim d-1 when, for every operand, stride[d-1] ==
// stride[d] * shape[d] (stepping over dim d-1 is stepping on in dim d).
template <int N>
LOOM_CUDNN_HD Indexer<N> make_indexer(int32_t ndim, const int64_t* shape, const int64_t* const (&strides)[N]) {
  Indexer<N> it;
  for (int32_t d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    bool merge = it.ndim > 0;
    for (int k = 0; merge && k < N; ++k) merge = strides[k][d] * shape[d] == it.strides[k][it.ndim - 1];
    if (merge) {
      it.shape[it.ndim - 1] *= shape[d];
      for (int k = 0; k < N; ++k) it.strides[k][it.ndim - 1] = strides[k][d];
    } else {
      it.shape[it.ndim] = shape[d];
      for (int k = 0; k < N; ++k) it.strides[k][it.ndim] = strides[k][d];
      ++it.ndim;
    }
  }
  return it;
}

// The Indexer of N descs that all have descs[0]'s shape (broadcast ones
// included: their strides are 0 where they stretch).
template <int N>
LOOM_CUDNN_HD Indexer<N> make_indexer(const TensorDesc (&descs)[N]) {
  const int64_t* strides[N];
  for (int k = 0; k < N; ++k) strides[k] = descs[k].strides;
  return make_indexer<N>(descs[0].ndim, descs[0].shape, strides);
}

// Rows along one axis of N operands of one shape: `rows` walks every dim but
// the axis (the start of each row), `step[k]` is operand k's stride along it.
template <int N>
struct RowPlan {
  Indexer<N> rows;
  int64_t len = 0;  // elements per row
  int64_t step[N] = {};
};

// The rows of N descs of descs[0]'s shape along `axis` (in [0, ndim)).
template <int N>
LOOM_CUDNN_HD RowPlan<N> plan_rows(const TensorDesc (&descs)[N], int32_t axis) {
  RowPlan<N> plan;
  int64_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};
  const int32_t ndim = descs[0].ndim;
  int32_t n = 0;
  for (int32_t d = 0; d < ndim; ++d) {
    if (d == axis) continue;
    shape[n] = descs[0].shape[d];
    for (int k = 0; k < N; ++k) strides[k][n] = descs[k].strides[d];
    ++n;
  }
  const int64_t* rows[N];
  for (int k = 0; k < N; ++k) {
    rows[k] = strides[k];
    plan.step[k] = descs[k].strides[axis];
  }
  plan.rows = make_indexer<N>(n, shape, rows);
  plan.len = descs[0].shape[axis];
  return plan;
}

// reduce: one output per element of dst, each over the src elements that
// share its index in the kept dims (where dst's dim equals src's; the reduced
// dims are those where dst has 1).
struct ReducePlan {
  Indexer<2> outer;  // over dst's shape: [0] src offset of the output's first element, [1] dst offset
  Indexer<1> inner;  // over the reduced dims: src offset from that first element
  int64_t outer_count = 0;
  int64_t inner_count = 0;  // 0 when a reduced dim is 0
};

// src and dst have the same rank and dst.shape[d] is src.shape[d] or 1 (checked).
LOOM_CUDNN_HD inline ReducePlan plan_reduce(const TensorDesc& src, const TensorDesc& dst) {
  ReducePlan plan;
  int64_t inner_shape[kMaxDims] = {};
  int64_t src_outer[kMaxDims] = {};
  for (int32_t d = 0; d < src.ndim; ++d) {
    const bool reduced = dst.shape[d] == 1;
    inner_shape[d] = reduced ? src.shape[d] : 1;
    src_outer[d] = reduced ? 0 : src.strides[d];
  }
  const int64_t* outer[2] = {src_outer, dst.strides};
  plan.outer = make_indexer<2>(dst.ndim, dst.shape, outer);
  const int64_t* inner[1] = {src.strides};
  plan.inner = make_indexer<1>(src.ndim, inner_shape, inner);
  plan.outer_count = plan.outer.numel();
  plan.inner_count = plan.inner.numel();
  return plan;
}

// The row-major multi-index of `flat` in `shape` (the position an error names).
LOOM_CUDNN_HD inline void unravel(int64_t flat, int32_t ndim, const int64_t* shape, int64_t* index) {
  for (int32_t d = ndim - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
}

// Launch geometry. Kernels loop grid-stride, so the grid is capped (a grid
// beyond what the GPU runs at once buys nothing) and never 0.
constexpr int kThreads = 256;         // threads per block of the elementwise kernels
constexpr int64_t kMaxBlocks = 65535; // blocks per grid

LOOM_CUDNN_HD inline unsigned int blocks_for(int64_t work, int64_t per_block) {
  int64_t blocks = (work + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  return static_cast<unsigned int>(blocks);
}

// Threads of a block that reduces one row of `len` elements: a whole number
// of warps (the block reductions shuffle full warps), no more than the row
// can keep busy, at most kThreads.
LOOM_CUDNN_HD inline int row_threads(int64_t len) {
  int threads = 32;
  while (threads < kThreads && threads < len) threads *= 2;
  return threads;
}

// Bytes of one element of a loom_dtype (0 for an unknown code).
LOOM_CUDNN_HD inline int dtype_bytes(int32_t dtype) {
  switch (dtype) {
    case LOOM_DTYPE_F32: case LOOM_DTYPE_I32: return 4;
    case LOOM_DTYPE_F16: case LOOM_DTYPE_BF16: return 2;
    case LOOM_DTYPE_I64: return 8;
    case LOOM_DTYPE_U8: case LOOM_DTYPE_BOOL: return 1;
    default: return 0;
  }
}

}  // namespace loom::cudnn
