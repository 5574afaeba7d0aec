// rnn_pack / rnn_forward: stacked, optionally bidirectional RNN (tanh, relu),
// LSTM and GRU, step by step with PyTorch's equations and gate order.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "checks.hpp"
#include "reference_backend.hpp"
#include "strided.hpp"
#include "unary_math.hpp"

namespace loom::reference {

namespace {

// One (layer, direction): weights row-major as PyTorch stores them, biases
// zero when absent.
struct CellWeights {
  int64_t input = 0;         // in_l
  std::vector<double> w_ih;  // [G*H, in_l]
  std::vector<double> w_hh;  // [G*H, H]
  std::vector<double> b_ih;  // [G*H]
  std::vector<double> b_hh;  // [G*H]
};

class PackedRnn final : public Packed {
 public:
  RnnArgs args;
  int32_t dtype = LOOM_DTYPE_F32;
  std::vector<CellWeights> cells;  // index layer * dirs + direction
};

// Reads a float view of any shape and strides into doubles, row-major.
std::vector<double> read_all(const View& v) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(v.numel()));
  for_each_index(v.shape(), [&](const Index& i) { out.push_back(load(v, offset_at(v, i))); });
  return out;
}

// Checks entry i of one weight array (w_ih, b_hh, ...).
void check_weight(const char* array, size_t i, const View& v, const Shape& expected, int32_t dtype) {
  const std::string name = std::string(array) + "[" + std::to_string(i) + "]";
  check_float("rnn_pack", name.c_str(), v);
  check_shape("rnn_pack", name.c_str(), v, expected);
  if (v.dtype() != dtype)
    throw sdk::invalid_argument("rnn_pack: " + name + " is " + describe(v) + " but w_ih[0] is " +
                                sdk::dtype_name(dtype) + ": dtypes differ");
}

void check_state(const char* name, const View* v, const Shape& expected, int32_t dtype) {
  if (!v) return;
  check_float("rnn_forward", name, *v);
  check_shape("rnn_forward", name, *v, expected);
  if (v->dtype() != dtype)
    throw sdk::invalid_argument(std::string("rnn_forward: ") + name + " is " + describe(*v) + " but the weights are " +
                                sdk::dtype_name(dtype) + ": dtypes differ");
}

// dot(row r of a [rows, n] matrix, x)
double dot_row(const std::vector<double>& m, int64_t r, int64_t n, const double* x) {
  double acc = 0;
  const double* row = m.data() + r * n;
  for (int64_t k = 0; k < n; ++k) acc += row[k] * x[k];
  return acc;
}

// One time step for one batch item: h (and c for LSTM) updated in place.
void cell_step(int32_t cell, const CellWeights& w, int64_t hidden, const double* x, double* h, double* c) {
  const int64_t H = hidden;
  const int gates = cell == LOOM_RNN_LSTM ? 4 : cell == LOOM_RNN_GRU ? 3 : 1;
  // gi = W_ih x + b_ih and gh = W_hh h + b_hh, kept apart for GRU's n gate.
  std::vector<double> gi(static_cast<size_t>(gates * H)), gh(static_cast<size_t>(gates * H));
  for (int64_t r = 0; r < gates * H; ++r) {
    gi[static_cast<size_t>(r)] = dot_row(w.w_ih, r, w.input, x) + w.b_ih[static_cast<size_t>(r)];
    gh[static_cast<size_t>(r)] = dot_row(w.w_hh, r, H, h) + w.b_hh[static_cast<size_t>(r)];
  }
  auto g = [&](int gate, int64_t j) { return static_cast<size_t>(gate * H + j); };
  for (int64_t j = 0; j < H; ++j) {
    const size_t hj = static_cast<size_t>(j);
    switch (cell) {
      case LOOM_RNN_TANH: h[hj] = std::tanh(gi[hj] + gh[hj]); break;
      case LOOM_RNN_RELU: h[hj] = apply_unary(LOOM_UNARY_RELU, gi[hj] + gh[hj], 0, 0); break;
      case LOOM_RNN_LSTM: {  // gates i, f, g, o
        const double in = sigmoid(gi[g(0, j)] + gh[g(0, j)]);
        const double forget = sigmoid(gi[g(1, j)] + gh[g(1, j)]);
        const double cand = std::tanh(gi[g(2, j)] + gh[g(2, j)]);
        const double out = sigmoid(gi[g(3, j)] + gh[g(3, j)]);
        c[hj] = forget * c[hj] + in * cand;
        h[hj] = out * std::tanh(c[hj]);
        break;
      }
      default: {  // GRU, gates r, z, n; the reset gate scales W_hn h + b_hn
        const double reset = sigmoid(gi[g(0, j)] + gh[g(0, j)]);
        const double update = sigmoid(gi[g(1, j)] + gh[g(1, j)]);
        const double cand = std::tanh(gi[g(2, j)] + reset * gh[g(2, j)]);
        h[hj] = (1.0 - update) * cand + update * h[hj];
        break;
      }
    }
  }
}

// Loads state [layers*dirs, N, H] entry `index` into buf (N*H), or zeros.
void load_state(const View* v, int64_t index, int64_t batch, int64_t hidden, std::vector<double>& buf) {
  buf.assign(static_cast<size_t>(batch * hidden), 0.0);
  if (!v) return;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t j = 0; j < hidden; ++j)
      buf[static_cast<size_t>(n * hidden + j)] = load(*v, index * v->stride(0) + n * v->stride(1) + j * v->stride(2));
}

void store_state(const View* v, int64_t index, int64_t batch, int64_t hidden, const std::vector<double>& buf) {
  if (!v) return;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t j = 0; j < hidden; ++j)
      store(*v, index * v->stride(0) + n * v->stride(1) + j * v->stride(2), buf[static_cast<size_t>(n * hidden + j)]);
}

}  // namespace

std::unique_ptr<Packed> ReferenceBackend::rnn_pack(const RnnArgs& args, const std::vector<View>& w_ih,
                                                   const std::vector<View>& w_hh, const std::vector<View>& b_ih,
                                                   const std::vector<View>& b_hh) {
  const size_t count = sdk::checks::check_rnn_pack_counts(args.cell, args.input_size, args.hidden_size,
                                                         args.num_layers, args.bidirectional, w_ih.size(),
                                                         w_hh.size(), b_ih.size(), b_hh.size());

  auto packed = std::make_unique<PackedRnn>();
  packed->args = args;
  check_float("rnn_pack", "w_ih[0]", w_ih[0]);
  packed->dtype = w_ih[0].dtype();
  const int64_t H = args.hidden_size, rows = args.gates() * H;
  for (size_t i = 0; i < count; ++i) {
    const int64_t layer = static_cast<int64_t>(i) / args.dirs();
    CellWeights cw;
    cw.input = layer == 0 ? args.input_size : args.dirs() * H;
    check_weight("w_ih", i, w_ih[i], {rows, cw.input}, packed->dtype);
    check_weight("w_hh", i, w_hh[i], {rows, H}, packed->dtype);
    cw.w_ih = read_all(w_ih[i]);
    cw.w_hh = read_all(w_hh[i]);
    cw.b_ih.assign(static_cast<size_t>(rows), 0.0);
    cw.b_hh.assign(static_cast<size_t>(rows), 0.0);
    if (!b_ih.empty()) {
      check_weight("b_ih", i, b_ih[i], {rows}, packed->dtype);
      cw.b_ih = read_all(b_ih[i]);
    }
    if (!b_hh.empty()) {
      check_weight("b_hh", i, b_hh[i], {rows}, packed->dtype);
      cw.b_hh = read_all(b_hh[i]);
    }
    packed->cells.push_back(std::move(cw));
  }
  return packed;
}

void ReferenceBackend::rnn_forward(const Packed& weights, const View& src, const View* h0, const View* c0,
                                   const View& dst, const View* hn, const View* cn) {
  const char* op = "rnn_forward";
  const auto* packed = dynamic_cast<const PackedRnn*>(&weights);
  if (!packed) throw sdk::invalid_argument("rnn_forward: weights were not made by the reference backend's rnn_pack");
  const RnnArgs& args = packed->args;
  const int64_t H = args.hidden_size, dirs = args.dirs(), states = args.num_layers * dirs;

  check_float(op, "src", src);
  if (src.ndim() != 3 || src.dim(2) != args.input_size)
    throw sdk::invalid_argument("rnn_forward: src is " + src.shape_str() + "; expected [T, N, " +
                                std::to_string(args.input_size) + "] (time-major, input_size " +
                                std::to_string(args.input_size) + ")");
  if (src.dtype() != packed->dtype)
    throw sdk::invalid_argument("rnn_forward: src is " + describe(src) + " but the weights are " +
                                sdk::dtype_name(packed->dtype) + ": dtypes differ");
  const int64_t T = src.dim(0), N = src.dim(1);
  check_state("dst", &dst, {T, N, dirs * H}, packed->dtype);
  const bool lstm = args.cell == LOOM_RNN_LSTM;
  if (!lstm && (c0 || cn))
    throw sdk::invalid_argument(std::string("rnn_forward: ") + (c0 ? "c0" : "cn") + " is given but the cell is " +
                                sdk::checks::rnn_cell_name(args.cell) + "; cell states are for LSTM only");
  check_state("h0", h0, {states, N, H}, packed->dtype);
  check_state("c0", c0, {states, N, H}, packed->dtype);
  check_state("hn", hn, {states, N, H}, packed->dtype);
  check_state("cn", cn, {states, N, H}, packed->dtype);

  // Layer l reads the whole output sequence of layer l-1: [T, N, in_l].
  std::vector<double> seq_in = read_all(src);
  std::vector<double> seq_out;
  std::vector<double> h, c;
  int64_t in = args.input_size;
  for (int64_t l = 0; l < args.num_layers; ++l) {
    seq_out.assign(static_cast<size_t>(T * N * dirs * H), 0.0);
    for (int64_t d = 0; d < dirs; ++d) {
      const int64_t index = l * dirs + d;
      const CellWeights& w = packed->cells[static_cast<size_t>(index)];
      load_state(h0, index, N, H, h);
      load_state(c0, index, N, H, c);
      for (int64_t step = 0; step < T; ++step) {
        const int64_t t = d == 0 ? step : T - 1 - step;  // the reverse direction runs backwards in time
        for (int64_t n = 0; n < N; ++n) {
          double* hb = h.data() + n * H;
          cell_step(args.cell, w, H, seq_in.data() + (t * N + n) * in, hb, c.data() + n * H);
          for (int64_t j = 0; j < H; ++j) seq_out[static_cast<size_t>(((t * N + n) * dirs + d) * H + j)] = hb[j];
        }
      }
      store_state(hn, index, N, H, h);
      if (lstm) store_state(cn, index, N, H, c);
    }
    seq_in.swap(seq_out);
    in = dirs * H;
  }
  // seq_in now holds the last layer's output, [T, N, dirs*H] row-major.
  int64_t flat = 0;
  for_each_index(dst.shape(),
                 [&](const Index& i) { store(dst, offset_at(dst, i), seq_in[static_cast<size_t>(flat++)]); });
}

}  // namespace loom::reference
