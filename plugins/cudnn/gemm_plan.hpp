// How a strided, batched matmul maps onto cuBLAS's column-major strided-batched
// GEMM. Plain C++ (no CUDA), so the whole plan is unit-tested on the host
// (tests/test_cudnn_gemm_plan.cpp).
//
// The row-major trick: a row-major D[M, N] (unit stride along N) is the
// column-major D^T[N, M], so D = A' B' is computed as D^T = B'^T A'^T with
// b as cuBLAS's first operand ("swapped"). A dst with unit stride along M
// instead is column-major D itself, computed as A' B' ("direct").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace loom::cudnn {

// A view's shape and strides (in elements): batch dims, then the last two.
struct MatrixLayout {
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

// A column-major matrix X with leading dimension `ld`, used as op(X):
// cuBLAS's CUBLAS_OP_N (transpose false) or CUBLAS_OP_T.
struct GemmOperand {
  bool transpose = false;
  int64_t ld = 1;
};

// How cuBLAS reads the logical matrix M[rows, cols] (element (r, c) at
// r * s_r + c * s_c), or its transpose when `transposed`: op(X) == M (or
// M^T). Empty when no leading dimension fits (no unit stride, or a negative
// or overlapping one): the matrix must be copied first. A size-1 dim's stride
// does not matter.
std::optional<GemmOperand> gemm_operand(int64_t rows, int64_t cols, int64_t s_r, int64_t s_c, bool transposed);

// One matmul as cuBLAS calls: C[m, n] = op(first)[m, k] x op(second)[k, n],
// column-major, `count` matrices `stride_*` elements apart, repeated over
// `outer_shape` (batch dims no single stride covers) on the host.
struct GemmPlan {
  // Operands cuBLAS cannot read as they are: copy a or b into contiguous
  // memory, or compute into a contiguous temporary instead of dst, and plan
  // again. Nothing below is set when any is true.
  bool copy_a = false, copy_b = false, copy_dst = false;

  // first = b and second = a (C = D^T), or first = a and second = b (C = D).
  bool swapped = true;
  // A batch dim where b broadcasts was folded into M: one GEMM with
  // M' = batch * M (a linear layer over a batch of sequences).
  bool folded = false;
  GemmOperand first, second;
  int64_t m = 0, n = 0, k = 0, ldc = 0;
  int64_t count = 1;
  int64_t stride_a = 0, stride_b = 0, stride_dst = 0;  // between the `count` matrices; 0 broadcasts
  std::vector<int64_t> outer_shape, outer_a, outer_b, outer_dst;  // strides per outer dim
};

// Plans dst[..., M, N] = op(a)[..., M, K] x op(b)[..., K, N] for shapes the
// caller has checked (inner dims agree, batch dims broadcast to dst's) with
// M, N, K and the batch all non-empty. Throws sdk::Error (unsupported) when
// a dim exceeds cuBLAS's 32-bit range.
GemmPlan plan_gemm(const MatrixLayout& a, bool transpose_a, const MatrixLayout& b, bool transpose_b,
                   const MatrixLayout& dst);

// The contiguous (row-major) layout of `shape`.
MatrixLayout contiguous_layout(const std::vector<int64_t>& shape);

}  // namespace loom::cudnn
