// Ragged lengths without wasted steps.
//
// The sequences are put in order of length, longest first (one gather, which
// also makes a batch_first input time-major), so the sequences still running
// at any step are a prefix of the batch. Then:
// - one direction: time runs in chunks between consecutive distinct lengths;
//   each chunk is one rnn_forward over the sequences still running, its final
//   states (every layer's) are the next chunk's initial ones, and the rows of
//   sequences that end with the chunk are their h_n / c_n. A chunked stack
//   computes exactly what one call would: each layer's state carries over.
// - two directions: the reverse direction must start at each sequence's own
//   last step, so sequences of equal length run together, one rnn_forward per
//   distinct length over just their steps.
// Either way the work is the sum of the lengths. A last gather puts the rows
// back in the caller's order and layout, reading a zero row past each length.
#include <algorithm>
#include <numeric>
#include <optional>
#include <vector>

#include "runs.hpp"

namespace loom::recurrent {

namespace {

using sdk::Buffer;

Buffer upload_indices(const sdk::Ops& ops, const std::vector<int64_t>& values, const Shape& shape) {
  Buffer b = ops.empty(LOOM_DTYPE_I64, shape);
  if (!values.empty()) ops.copy_from_host(b.view(), values.data(), values.size() * sizeof(int64_t));
  return b;
}

// A [A, B, C] view as the contiguous 2-D table of rows that gather reads:
// element (a, b, :) is row a * a_stride + b * b_stride.
struct RowTable {
  View table;
  int64_t a_stride = 0, b_stride = 0;
  Buffer staged;  // a contiguous copy, when the view was neither [A, B, C] nor [B, A, C] in memory
};

RowTable row_table(const sdk::Ops& ops, const View& v) {
  RowTable r;
  const int64_t A = v.dim(0), B = v.dim(1), C = v.dim(2);
  if (v.is_contiguous()) {
    r.table = v.reshape({A * B, C});
    r.a_stride = B;
    r.b_stride = 1;
  } else if (v.transpose(0, 1).is_contiguous()) {  // a batch_first input seen time-major
    r.table = v.transpose(0, 1).reshape({B * A, C});
    r.a_stride = 1;
    r.b_stride = A;
  } else {
    r.staged = ops.empty(v.dtype(), {A, B, C});
    ops.copy(v, r.staged.view());
    r.table = r.staged.view().reshape({A * B, C});
    r.a_stride = B;
    r.b_stride = 1;
  }
  return r;
}

// Rows [0, rows) of v, in the new order: out[:, k] = v[:, order[k]].
Buffer reorder_rows(const sdk::Ops& ops, const View& v, const std::vector<int64_t>& order, int64_t rows) {
  RowTable t = row_table(ops, v);
  const int64_t B = static_cast<int64_t>(order.size());
  std::vector<int64_t> idx(static_cast<size_t>(rows * B));
  for (int64_t a = 0; a < rows; ++a)
    for (int64_t k = 0; k < B; ++k)
      idx[static_cast<size_t>(a * B + k)] = a * t.a_stride + order[static_cast<size_t>(k)] * t.b_stride;
  Buffer out = ops.empty(v.dtype(), {rows, B, v.dim(2)});
  ops.gather(t.table, upload_indices(ops, idx, {rows, B}).view(), out.view());
  return out;
}

View opt_view(const Buffer& b) { return b ? b.view() : View(); }

}  // namespace

void run_ragged(const sdk::Ops& ops, const Config& cfg, const sdk::PackedRef& weights, const SequenceIO& io) {
  const int64_t T = io.steps, N = io.batch, S = cfg.states(), H = cfg.hidden_size, F = cfg.output_size();
  const std::vector<int64_t>& len = io.lengths;

  // order[k]: the sequence in sorted position k (longest first, ties in input order).
  std::vector<int64_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return len[static_cast<size_t>(a)] > len[static_cast<size_t>(b)]; });
  std::vector<int64_t> slot(static_cast<size_t>(N));
  for (int64_t k = 0; k < N; ++k) slot[static_cast<size_t>(order[static_cast<size_t>(k)])] = k;
  auto sorted_len = [&](int64_t k) { return len[static_cast<size_t>(order[static_cast<size_t>(k)])]; };
  const int64_t t_max = sorted_len(0);

  // Distinct lengths, shortest first, and how many sequences reach each.
  std::vector<int64_t> bounds(len.begin(), len.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  auto running = [&](size_t j) -> int64_t {  // sequences with length >= bounds[j]: a prefix
    if (j >= bounds.size()) return 0;
    int64_t k = 0;
    while (k < N && sorted_len(k) >= bounds[j]) ++k;
    return k;
  };

  // Sorted, time-major inputs and initial states.
  Buffer xs = reorder_rows(ops, io.x, order, t_max);
  Buffer h0s, c0s;
  if (io.h0) h0s = reorder_rows(ops, *io.h0, order, S);
  if (io.c0) c0s = reorder_rows(ops, *io.c0, order, S);

  // Sorted outputs: row t * N + k of ys is step t of sorted sequence k, and
  // the extra last row is the zero that steps past a length read.
  const int64_t zero_row = t_max * N;
  Buffer ys = ops.empty(LOOM_DTYPE_F32, {zero_row + 1, F});
  ops.fill(0.0f, ys.view().slice(0, zero_row, zero_row + 1));
  const View ys3 = ys.view().slice(0, 0, zero_row).reshape({t_max, N, F});
  Buffer hs = ops.empty(LOOM_DTYPE_F32, {S, N, H});
  Buffer cs = cfg.lstm() ? ops.empty(LOOM_DTYPE_F32, {S, N, H}) : Buffer();

  if (!cfg.bidirectional) {
    // Chunks of time; the state ping-pongs between two buffers (an op never
    // writes what it reads), and the last chunk writes straight into hs/cs.
    Buffer ping_h[2], ping_c[2];
    View prev_h = opt_view(h0s), prev_c = opt_view(c0s);
    bool have_h = static_cast<bool>(h0s), have_c = static_cast<bool>(c0s);
    int64_t t0 = 0;
    for (size_t j = 0; j < bounds.size(); ++j) {
      const bool last = j + 1 == bounds.size();
      const int64_t t1 = bounds[j], n = running(j), n_next = running(j + 1);
      if (!last && !ping_h[j % 2]) {
        ping_h[j % 2] = ops.empty(LOOM_DTYPE_F32, {S, N, H});
        if (cfg.lstm()) ping_c[j % 2] = ops.empty(LOOM_DTYPE_F32, {S, N, H});
      }
      const View out_h = (last ? hs.view() : ping_h[j % 2].view()).slice(1, 0, n);
      const View out_c = cfg.lstm() ? (last ? cs.view() : ping_c[j % 2].view()).slice(1, 0, n) : View();
      const View in_h = have_h ? prev_h.slice(1, 0, n) : View();
      const View in_c = have_c ? prev_c.slice(1, 0, n) : View();
      ops.rnn_forward(weights, xs.view().slice(0, t0, t1).slice(1, 0, n), have_h ? &in_h : nullptr,
                      have_c ? &in_c : nullptr, ys3.slice(0, t0, t1).slice(1, 0, n), &out_h,
                      cfg.lstm() ? &out_c : nullptr);
      if (!last && n_next < n) {  // sequences ending here: their final states
        ops.copy(out_h.slice(1, n_next, n), hs.view().slice(1, n_next, n));
        if (cfg.lstm()) ops.copy(out_c.slice(1, n_next, n), cs.view().slice(1, n_next, n));
      }
      prev_h = out_h;
      prev_c = out_c;
      have_h = true;
      have_c = cfg.lstm();
      t0 = t1;
    }
  } else {
    for (size_t j = 0; j < bounds.size(); ++j) {
      const int64_t steps = bounds[j], first = running(j + 1), end = running(j);  // rows [first, end)
      const View in_h = h0s ? h0s.view().slice(1, first, end) : View();
      const View in_c = c0s ? c0s.view().slice(1, first, end) : View();
      const View out_h = hs.view().slice(1, first, end);
      const View out_c = cfg.lstm() ? cs.view().slice(1, first, end) : View();
      ops.rnn_forward(weights, xs.view().slice(0, 0, steps).slice(1, first, end), h0s ? &in_h : nullptr,
                      c0s ? &in_c : nullptr, ys3.slice(0, 0, steps).slice(1, first, end), &out_h,
                      cfg.lstm() ? &out_c : nullptr);
    }
  }

  // Back to the caller's order and layout.
  std::vector<int64_t> idx(static_cast<size_t>(T * N));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      const size_t pos = static_cast<size_t>(cfg.batch_first ? n * T + t : t * N + n);
      idx[pos] = t < len[static_cast<size_t>(n)] ? t * N + slot[static_cast<size_t>(n)] : zero_row;
    }
  ops.gather(ys.view(), upload_indices(ops, idx, cfg.batch_first ? Shape{N, T} : Shape{T, N}).view(), io.y_user);

  std::vector<int64_t> state_idx(static_cast<size_t>(S * N));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t n = 0; n < N; ++n) state_idx[static_cast<size_t>(s * N + n)] = s * N + slot[static_cast<size_t>(n)];
  const Buffer state_rows = upload_indices(ops, state_idx, {S, N});
  ops.gather(hs.view().reshape({S * N, H}), state_rows.view(), io.hn);
  if (io.cn) ops.gather(cs.view().reshape({S * N, H}), state_rows.view(), *io.cn);
}

}  // namespace loom::recurrent
