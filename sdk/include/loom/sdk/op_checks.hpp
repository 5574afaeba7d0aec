// Argument checks every backend needs before running an op. Each failure
// throws invalid_argument with a message naming the op, the operand and its
// shape, e.g. "matmul: bias is f32[7], expected [5]".
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "loom/abi/backend.h"
#include "loom/sdk/dtype.hpp"
#include "loom/sdk/error.hpp"
#include "loom/sdk/view.hpp"

namespace loom::sdk::checks {

// "f32[2, 3]"
inline std::string describe(const View& v) { return std::string(dtype_name(v.dtype())) + v.shape_str(); }

// Rank within LOOM_MAX_DIMS, no negative dim, a known dtype, memory on
// `device_type`, and a data pointer whenever the view has elements.
inline void check_view(const char* op, const char* name, const View& v, int32_t device_type, const char* backend) {
  const std::string where = std::string(op) + ": " + name;
  if (v.ndim() < 0 || v.ndim() > LOOM_MAX_DIMS)
    throw invalid_argument(where + " has rank " + std::to_string(v.ndim()) + ", outside [0, " +
                           std::to_string(LOOM_MAX_DIMS) + "]");
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.dim(d) < 0) throw invalid_argument(where + " has a negative dim: " + v.shape_str());
  if (dtype_size(v.dtype()) == 0) throw invalid_argument(where + " has unknown dtype code " + std::to_string(v.dtype()));
  if (v.device().type != device_type)
    throw invalid_argument(where + " is not in " + (device_type == LOOM_DEVICE_CPU ? "CPU" : "device") +
                           " memory (device type " + std::to_string(v.device().type) + "); the " + backend +
                           " backend cannot read it");
  if (v.data() == nullptr && v.numel() != 0) throw invalid_argument(where + " " + v.shape_str() + " has no data pointer");
}

// An output must not overlap itself: no zero stride on a dim longer than 1.
inline void check_output(const char* op, const char* name, const View& v) {
  if (v.numel() == 0) return;  // an empty view writes nothing, whatever its strides
  for (int32_t d = 0; d < v.ndim(); ++d)
    if (v.dim(d) > 1 && v.stride(d) == 0)
      throw invalid_argument(std::string(op) + ": " + name + " " + v.shape_str() + " has stride 0 in dim " +
                             std::to_string(d) + "; an output view must not overlap itself");
}

inline void check_shape(const char* op, const char* name, const View& v, const Shape& expected) {
  if (v.shape() != expected)
    throw invalid_argument(std::string(op) + ": " + name + " is " + v.shape_str() + ", expected " +
                           shape_string(expected));
}

inline void check_same_dtype(const char* op, const char* name, const View& v, const char* ref_name, const View& ref) {
  if (v.dtype() != ref.dtype())
    throw invalid_argument(std::string(op) + ": " + name + " is " + describe(v) + " but " + ref_name + " is " +
                           describe(ref) + ": dtypes differ");
}

// Maps axis in [-ndim, ndim) to [0, ndim).
inline int normalize_axis(const char* op, int32_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim)
    throw invalid_argument(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(ndim));
  return axis < 0 ? axis + ndim : axis;
}

// The NumPy broadcast of two shapes into `out`; false when they do not broadcast.
inline bool try_broadcast(const Shape& a, const Shape& b, Shape& out) {
  const size_t n = std::max(a.size(), b.size());
  out.assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    // Right-aligned: missing leading dims count as 1.
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

// The NumPy broadcast of two shapes, or an error naming both operands.
inline Shape broadcast_shapes(const char* op, const char* name_a, const Shape& a, const char* name_b, const Shape& b) {
  Shape out;
  if (!try_broadcast(a, b, out))
    throw invalid_argument(std::string(op) + ": " + name_a + " is " + shape_string(a) + " and " + name_b + " is " +
                           shape_string(b) + ": they do not broadcast");
  return out;
}

// True when `from` broadcasts to `to` (right-aligned, each dim equal or 1).
inline bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

// ---- Checks of whole ops, shared by every backend. They check shapes and
// options only: dtypes and memory are each backend's (check_view above).

// The name of a loom_unary_op ("gelu"), or nullptr for an unknown code.
inline const char* unary_op_name(int32_t op) {
  switch (op) {
    case LOOM_UNARY_IDENTITY: return "identity";
    case LOOM_UNARY_RELU: return "relu";
    case LOOM_UNARY_GELU: return "gelu";
    case LOOM_UNARY_GELU_TANH: return "gelu_tanh";
    case LOOM_UNARY_TANH: return "tanh";
    case LOOM_UNARY_SIGMOID: return "sigmoid";
    case LOOM_UNARY_EXP: return "exp";
    case LOOM_UNARY_LOG: return "log";
    case LOOM_UNARY_SQRT: return "sqrt";
    case LOOM_UNARY_ABS: return "abs";
    case LOOM_UNARY_SQUARE: return "square";
    case LOOM_UNARY_LINEAR: return "linear";
    default: return nullptr;
  }
}

inline void check_unary_op(const char* op, int32_t unary) {
  if (!unary_op_name(unary)) throw invalid_argument(std::string(op) + ": unknown unary op " + std::to_string(unary));
}

// dst is [batch..., m, n]; k is the inner dim of op(a) x op(b).
struct MatmulSizes {
  Shape batch;
  int64_t m = 0, n = 0, k = 0;
};

// matmul / matmul_packed: both operands at least 2-D, an activation that is a
// unary op but LINEAR, matching inner dims, batch dims that broadcast, dst of
// the broadcast batch x [m, n], bias [n] of a's dtype.
inline MatmulSizes check_matmul_shapes(const char* op, bool transpose_a, bool transpose_b, int32_t activation,
                                       const View& a, const View& b, const View* bias, const View& dst) {
  if (a.ndim() < 2 || b.ndim() < 2)
    throw invalid_argument(std::string(op) + ": a is " + a.shape_str() + " and b is " + b.shape_str() +
                           ": both need at least 2 dims");
  check_unary_op(op, activation);
  if (activation == LOOM_UNARY_LINEAR)
    throw invalid_argument(std::string(op) + ": activation 'linear' has no parameters in a matmul; use alpha and beta");
  auto operand = [](const char* name, const View& v, bool transposed) {
    return std::string(name) + " is " + v.shape_str() + (transposed ? " (transposed)" : "");
  };
  // op(a) is [..., M, K], op(b) is [..., K, N].
  MatmulSizes s;
  s.m = transpose_a ? a.dim(-1) : a.dim(-2);
  s.k = transpose_a ? a.dim(-2) : a.dim(-1);
  const int64_t kb = transpose_b ? b.dim(-1) : b.dim(-2);
  s.n = transpose_b ? b.dim(-2) : b.dim(-1);
  if (s.k != kb)
    throw invalid_argument(std::string(op) + ": " + operand("a", a, transpose_a) + " and " + operand("b", b, transpose_b) +
                           ": inner dims " + std::to_string(s.k) + " and " + std::to_string(kb) + " differ");
  const Shape a_shape = a.shape(), b_shape = b.shape();
  const Shape a_batch(a_shape.begin(), a_shape.end() - 2), b_batch(b_shape.begin(), b_shape.end() - 2);
  if (!try_broadcast(a_batch, b_batch, s.batch))
    throw invalid_argument(std::string(op) + ": a is " + a.shape_str() + " and b is " + b.shape_str() + ": batch dims " +
                           shape_string(a_batch) + " and " + shape_string(b_batch) + " do not broadcast");
  Shape expected = s.batch;
  expected.push_back(s.m);
  expected.push_back(s.n);
  check_shape(op, "dst", dst, expected);
  if (bias) {
    check_same_dtype(op, "bias", *bias, "a", a);
    check_shape(op, "bias", *bias, {s.n});
  }
  return s;
}

// "lstm", "gru", "rnn_tanh", "rnn_relu", or nullptr for an unknown cell.
inline const char* rnn_cell_name(int32_t cell) {
  switch (cell) {
    case LOOM_RNN_TANH: return "rnn_tanh";
    case LOOM_RNN_RELU: return "rnn_relu";
    case LOOM_RNN_LSTM: return "lstm";
    case LOOM_RNN_GRU: return "gru";
    default: return nullptr;
  }
}

// rnn_pack: a known cell, positive sizes, and num_layers * dirs entries in
// each weight array (the bias arrays may also be empty). Returns that count.
inline size_t check_rnn_pack_counts(int32_t cell, int64_t input_size, int64_t hidden_size, int32_t num_layers,
                                    bool bidirectional, size_t w_ih, size_t w_hh, size_t b_ih, size_t b_hh) {
  if (!rnn_cell_name(cell))
    throw invalid_argument("rnn_pack: unknown cell " + std::to_string(cell));
  if (input_size <= 0 || hidden_size <= 0 || num_layers <= 0)
    throw invalid_argument("rnn_pack: input_size " + std::to_string(input_size) + ", hidden_size " +
                           std::to_string(hidden_size) + " and num_layers " + std::to_string(num_layers) +
                           " must all be positive");
  const size_t count = static_cast<size_t>(num_layers) * (bidirectional ? 2u : 1u);
  auto check_count = [&](const char* array, size_t n, bool optional) {
    if (n == count || (optional && n == 0)) return;
    throw invalid_argument("rnn_pack: " + std::string(array) + " has " + std::to_string(n) +
                           " entries; expected num_layers * dirs = " + std::to_string(count) +
                           (optional ? " (or none)" : ""));
  };
  check_count("w_ih", w_ih, false);
  check_count("w_hh", w_hh, false);
  check_count("b_ih", b_ih, true);
  check_count("b_hh", b_hh, true);
  return count;
}

// reduce: a known op, and dst of src's rank with each dim equal to src's or 1.
inline void check_reduce_shapes(int32_t op, const View& src, const View& dst) {
  if (op != LOOM_REDUCE_SUM && op != LOOM_REDUCE_MEAN && op != LOOM_REDUCE_MAX)
    throw invalid_argument("reduce: unknown reduce op " + std::to_string(op));
  bool fits = src.ndim() == dst.ndim();
  for (int d = 0; fits && d < src.ndim(); ++d) fits = dst.dim(d) == src.dim(d) || dst.dim(d) == 1;
  if (!fits)
    throw invalid_argument("reduce: src is " + src.shape_str() + " and dst is " + dst.shape_str() +
                           ": dst needs src's rank, each dim equal to src's or 1 (reduced)");
}

// gather: table [V, D], i32/i64 indices, dst [indices..., D] of the table's dtype.
inline void check_gather_shapes(const View& table, const View& indices, const View& dst) {
  if (table.ndim() != 2) throw invalid_argument("gather: table is " + table.shape_str() + "; it must be 2-D [V, D]");
  if (indices.dtype() != LOOM_DTYPE_I32 && indices.dtype() != LOOM_DTYPE_I64)
    throw unsupported("gather: indices are " + describe(indices) + "; expected i32 or i64");
  if (indices.ndim() + 1 > LOOM_MAX_DIMS)
    throw invalid_argument("gather: indices " + indices.shape_str() + " leave no room for the row dim in dst");
  check_same_dtype("gather", "dst", dst, "table", table);
  Shape expected = indices.shape();
  expected.push_back(table.dim(1));
  check_shape("gather", "dst", dst, expected);
}

// concat: at least one source, a valid axis, sources of dst's dtype matching
// it in every dim but `axis`, where they add up to dst's. Returns the axis in
// [0, ndim). `check_source(name, view)` runs first on each source (memory checks).
template <class CheckSource>
int check_concat_shapes(const std::vector<View>& srcs, int32_t axis_in, const View& dst, CheckSource&& check_source) {
  const char* op = "concat";
  if (srcs.empty()) throw invalid_argument("concat: no sources for dst " + describe(dst));
  const int axis = normalize_axis(op, axis_in, dst.ndim());
  int64_t total = 0;
  for (size_t s = 0; s < srcs.size(); ++s) {
    const View& src = srcs[s];
    const std::string name = "source " + std::to_string(s);
    check_source(name.c_str(), src);
    check_same_dtype(op, name.c_str(), src, "dst", dst);
    bool fits = src.ndim() == dst.ndim();
    for (int d = 0; fits && d < dst.ndim(); ++d) fits = d == axis || src.dim(d) == dst.dim(d);
    if (!fits)
      throw invalid_argument("concat: " + name + " is " + src.shape_str() + " but dst is " + dst.shape_str() +
                             ": all dims except axis " + std::to_string(axis) + " must match");
    total += src.dim(axis);
  }
  if (total != dst.dim(axis))
    throw invalid_argument("concat: the sources add up to " + std::to_string(total) + " along axis " +
                           std::to_string(axis) + " but dst is " + dst.shape_str());
  return axis;
}

}  // namespace loom::sdk::checks
