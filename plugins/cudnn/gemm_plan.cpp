#include "gemm_plan.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "loom/sdk/error.hpp"

namespace loom::cudnn {

namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

// M[rows, cols] as the column-major X[cols, rows] (X(c, r) at c + r * ld):
// needs unit stride along cols.
std::optional<int64_t> ld_as_rows(int64_t rows, int64_t cols, int64_t s_r, int64_t s_c) {
  if (cols > 1 && s_c != 1) return std::nullopt;
  const int64_t ld = rows == 1 ? std::max<int64_t>(1, cols) : s_r;
  if (ld < std::max<int64_t>(1, cols)) return std::nullopt;
  return ld;
}

// M[rows, cols] as the column-major Y[rows, cols] (Y(r, c) at r + c * ld):
// needs unit stride along rows.
std::optional<int64_t> ld_as_cols(int64_t rows, int64_t cols, int64_t s_r, int64_t s_c) {
  if (rows > 1 && s_r != 1) return std::nullopt;
  const int64_t ld = cols == 1 ? std::max<int64_t>(1, rows) : s_c;
  if (ld < std::max<int64_t>(1, rows)) return std::nullopt;
  return ld;
}

// One batch dim of the broadcast batch: its size and each operand's stride.
struct BatchDim {
  int64_t size, a, b, dst;
};

// The logical matrices: op(a) [m, k], op(b) [k, n], dst [m, n], with strides.
struct Matrices {
  int64_t m, n, k;
  int64_t a_sm, a_sk, b_sk, b_sn, d_sm, d_sn;
};

// The stride of an operand's batch dim `i` of the broadcast batch (rank
// `nb`): 0 where the operand has no such dim or size 1 there.
int64_t batch_stride(const MatrixLayout& v, size_t i, size_t nb) {
  const size_t own = v.shape.size() - 2;
  if (i + own < nb) return 0;
  const size_t j = i + own - nb;
  return v.shape[j] == 1 ? 0 : v.strides[j];
}

// The batch dims longer than 1, adjacent ones merged where every operand
// steps through them with one stride.
std::vector<BatchDim> collapse_batch(const MatrixLayout& a, const MatrixLayout& b, const MatrixLayout& dst) {
  const size_t nb = dst.shape.size() - 2;
  std::vector<BatchDim> dims;
  for (size_t i = 0; i < nb; ++i) {
    if (dst.shape[i] == 1) continue;
    const BatchDim d{dst.shape[i], batch_stride(a, i, nb), batch_stride(b, i, nb), dst.strides[i]};
    if (!dims.empty()) {
      BatchDim& p = dims.back();
      if (p.a == d.a * d.size && p.b == d.b * d.size && p.dst == d.dst * d.size) {
        p = {p.size * d.size, d.a, d.b, d.dst};
        continue;
      }
    }
    dims.push_back(d);
  }
  return dims;
}

// Fills the operand and output fields of `plan` for matrices `x`, or sets
// the copy flags. Prefers the swapped form (row-major dst).
void plan_matrices(const Matrices& x, GemmPlan& plan) {
  const bool a_ok = gemm_operand(x.m, x.k, x.a_sm, x.a_sk, false).has_value();
  const bool b_ok = gemm_operand(x.k, x.n, x.b_sk, x.b_sn, false).has_value();
  const std::optional<int64_t> ld_swapped = ld_as_rows(x.m, x.n, x.d_sm, x.d_sn);
  const std::optional<int64_t> ld_direct = ld_as_cols(x.m, x.n, x.d_sm, x.d_sn);
  plan.copy_a = !a_ok;
  plan.copy_b = !b_ok;
  plan.copy_dst = !ld_swapped && !ld_direct;
  if (plan.copy_a || plan.copy_b || plan.copy_dst) return;
  plan.k = x.k;
  plan.swapped = ld_swapped.has_value();
  if (plan.swapped) {
    // D^T[n, m] = B'^T[n, k] x A'^T[k, m]
    plan.m = x.n;
    plan.n = x.m;
    plan.ldc = *ld_swapped;
    plan.first = *gemm_operand(x.k, x.n, x.b_sk, x.b_sn, true);
    plan.second = *gemm_operand(x.m, x.k, x.a_sm, x.a_sk, true);
  } else {
    // D[m, n] = A'[m, k] x B'[k, n]
    plan.m = x.m;
    plan.n = x.n;
    plan.ldc = *ld_direct;
    plan.first = *gemm_operand(x.m, x.k, x.a_sm, x.a_sk, false);
    plan.second = *gemm_operand(x.k, x.n, x.b_sk, x.b_sn, false);
  }
}

bool fits_int(const GemmPlan& p) {
  for (int64_t v : {p.m, p.n, p.k, p.ldc, p.first.ld, p.second.ld})
    if (v > kIntMax) return false;
  return true;
}

}  // namespace

std::optional<GemmOperand> gemm_operand(int64_t rows, int64_t cols, int64_t s_r, int64_t s_c, bool transposed) {
  const std::optional<int64_t> as_rows = ld_as_rows(rows, cols, s_r, s_c);  // X with X == M^T
  const std::optional<int64_t> as_cols = ld_as_cols(rows, cols, s_r, s_c);  // Y with Y == M
  if (transposed) {
    if (as_rows) return GemmOperand{false, *as_rows};
    if (as_cols) return GemmOperand{true, *as_cols};
  } else {
    if (as_cols) return GemmOperand{false, *as_cols};
    if (as_rows) return GemmOperand{true, *as_rows};
  }
  return std::nullopt;
}

MatrixLayout contiguous_layout(const std::vector<int64_t>& shape) {
  MatrixLayout l{shape, std::vector<int64_t>(shape.size())};
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    l.strides[i] = stride;
    stride *= shape[i];
  }
  return l;
}

GemmPlan plan_gemm(const MatrixLayout& a, bool transpose_a, const MatrixLayout& b, bool transpose_b,
                   const MatrixLayout& dst) {
  const size_t ra = a.shape.size(), rb = b.shape.size(), rd = dst.shape.size();
  Matrices x{};
  x.m = dst.shape[rd - 2];
  x.n = dst.shape[rd - 1];
  x.k = transpose_a ? a.shape[ra - 2] : a.shape[ra - 1];
  x.a_sm = transpose_a ? a.strides[ra - 1] : a.strides[ra - 2];
  x.a_sk = transpose_a ? a.strides[ra - 2] : a.strides[ra - 1];
  x.b_sk = transpose_b ? b.strides[rb - 1] : b.strides[rb - 2];
  x.b_sn = transpose_b ? b.strides[rb - 2] : b.strides[rb - 1];
  x.d_sm = dst.strides[rd - 2];
  x.d_sn = dst.strides[rd - 1];

  GemmPlan plan;
  plan_matrices(x, plan);
  if (plan.copy_a || plan.copy_b || plan.copy_dst) return plan;
  if (!fits_int(plan))
    throw sdk::unsupported("matmul: a [" + std::to_string(x.m) + ", " + std::to_string(x.k) + "] x [" +
                           std::to_string(x.k) + ", " + std::to_string(x.n) +
                           "] product has a dim or row stride beyond cuBLAS's 32-bit range");

  std::vector<BatchDim> batch = collapse_batch(a, b, dst);

  // The linear-layer fast path: where b broadcasts over the innermost batch
  // dim and a and dst step through it as through more rows, one GEMM with
  // size * M rows covers it.
  if (!batch.empty() && batch.back().b == 0) {
    const BatchDim& in = batch.back();
    const bool a_rows = x.m == 1 || in.a == x.m * x.a_sm;
    const bool d_rows = x.m == 1 || in.dst == x.m * x.d_sm;
    if (a_rows && d_rows && in.size <= kIntMax / x.m) {
      Matrices folded = x;
      folded.m = in.size * x.m;
      folded.a_sm = x.m == 1 ? in.a : x.a_sm;
      folded.d_sm = x.m == 1 ? in.dst : x.d_sm;
      GemmPlan candidate;
      plan_matrices(folded, candidate);
      if (!candidate.copy_a && !candidate.copy_b && !candidate.copy_dst && fits_int(candidate)) {
        plan = candidate;
        plan.folded = true;
        batch.pop_back();
      }
    }
  }

  // The innermost remaining dim is cuBLAS's batch (non-negative strides
  // only); the rest loop on the host.
  if (!batch.empty()) {
    const BatchDim& in = batch.back();
    if (in.a >= 0 && in.b >= 0 && in.dst >= 0) {
      plan.count = in.size;
      plan.stride_a = in.a;
      plan.stride_b = in.b;
      plan.stride_dst = in.dst;
      batch.pop_back();
    }
  }
  for (const BatchDim& d : batch) {
    plan.outer_shape.push_back(d.size);
    plan.outer_a.push_back(d.a);
    plan.outer_b.push_back(d.b);
    plan.outer_dst.push_back(d.dst);
  }
  return plan;
}

}  // namespace loom::cudnn
