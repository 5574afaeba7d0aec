// rnn_pack / rnn_forward on every backend, against the reference: every cell,
// one and two layers, one and two directions, optional biases and states.
#include <cmath>
#include <string>

#include "conformance.hpp"

using namespace loom;
using namespace loom::conformance;

namespace {

struct RnnCase {
  loom_rnn_cell cell = LOOM_RNN_LSTM;
  int layers = 1;
  bool bidirectional = false;
  int64_t steps = 5, batch = 3, input = 7, hidden = 17;
  bool bias = true, initial_state = true, final_state = true;
  bool strided = false;  // batch-major src transposed to time-major, dst a slice
  uint64_t seed = 1;

  int gates() const { return cell == LOOM_RNN_LSTM ? 4 : cell == LOOM_RNN_GRU ? 3 : 1; }
  int dirs() const { return bidirectional ? 2 : 1; }
  bool lstm() const { return cell == LOOM_RNN_LSTM; }
  std::string describe() const {
    static const char* names[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
    return std::string(names[cell]) + " layers " + std::to_string(layers) + (bidirectional ? " bidirectional" : "") +
           " T " + std::to_string(steps) + " N " + std::to_string(batch) + " I " + std::to_string(input) + " H " +
           std::to_string(hidden) + (bias ? " bias" : "") + (initial_state ? " h0" : "") +
           (final_state ? " hn" : "") + (strided ? " strided" : "");
  }
};

// Host weights as torch initializes them: uniform in +-1/sqrt(H).
struct HostWeights {
  std::vector<Tensor> w_ih, w_hh, b_ih, b_hh;
};

HostWeights make_weights(const RnnCase& c) {
  HostWeights w;
  const float k = 1.0f / std::sqrt(static_cast<float>(c.hidden));
  const int64_t rows = c.gates() * c.hidden;
  uint64_t seed = c.seed * 100;
  for (int l = 0; l < c.layers; ++l)
    for (int d = 0; d < c.dirs(); ++d) {
      const int64_t in = l == 0 ? c.input : c.dirs() * c.hidden;
      w.w_ih.push_back(test::random_tensor({rows, in}, seed++, -k, k));
      w.w_hh.push_back(test::random_tensor({rows, c.hidden}, seed++, -k, k));
      w.b_ih.push_back(test::random_tensor({rows}, seed++, -k, k));
      w.b_hh.push_back(test::random_tensor({rows}, seed++, -k, k));
    }
  return w;
}

// Runs the case and returns output `which`: 0 dst, 1 hn, 2 cn.
Tensor run_rnn(Backend& b, const RnnCase& c, const HostWeights& hw, const Tensor& hsrc, const Tensor& hh0,
               const Tensor& hc0, int which) {
  loom_rnn_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.cell = c.cell;
  desc.input_size = c.input;
  desc.hidden_size = c.hidden;
  desc.num_layers = c.layers;
  desc.bidirectional = c.bidirectional;
  Backend::RnnWeights w;
  for (size_t i = 0; i < hw.w_ih.size(); ++i) {
    w.w_ih.push_back(on(b, hw.w_ih[i]));
    w.w_hh.push_back(on(b, hw.w_hh[i]));
    if (c.bias) {
      w.b_ih.push_back(on(b, hw.b_ih[i]));
      w.b_hh.push_back(on(b, hw.b_hh[i]));
    }
  }
  auto packed = b.rnn_pack(desc, w);

  const int64_t states = c.layers * c.dirs(), width = c.dirs() * c.hidden;
  Backend::RnnIO io;
  io.src = c.strided ? on(b, hsrc).transpose(0, 1) : on(b, hsrc);  // strided: hsrc is [N, T, I]
  Tensor whole_dst = on(b, test::random_tensor({c.steps, c.batch, width + (c.strided ? 3 : 0)}, 9));
  io.dst = c.strided ? whole_dst.slice(2, 1, 1 + width) : whole_dst;
  if (c.initial_state) {
    io.h0 = on(b, hh0);
    if (c.lstm()) io.c0 = on(b, hc0);
  }
  Tensor hn = on(b, test::random_tensor({states, c.batch, c.hidden}, 10));
  Tensor cn = on(b, test::random_tensor({states, c.batch, c.hidden}, 11));
  if (c.final_state) {
    io.hn = hn;
    if (c.lstm() && !c.strided) io.cn = cn;  // strided cases also check hn without cn
  }
  b.rnn_forward(packed, io);
  return which == 0 ? whole_dst : which == 1 ? hn : cn;
}

void check_rnn(const std::string& name, const RnnCase& c) {
  const HostWeights hw = make_weights(c);
  const Shape src_shape = c.strided ? Shape{c.batch, c.steps, c.input} : Shape{c.steps, c.batch, c.input};
  const Tensor hsrc = test::random_tensor(src_shape, c.seed * 100 + 90);
  const Shape state{c.layers * c.dirs(), c.batch, c.hidden};
  const Tensor hh0 = test::random_tensor(state, c.seed * 100 + 91);
  const Tensor hc0 = test::random_tensor(state, c.seed * 100 + 92);
  const char* outputs[] = {"dst", "hn", "cn"};
  const int count = c.final_state ? (c.lstm() ? 3 : 2) : 1;
  for (int which = 0; which < count; ++which)
    expect_match(name, c.describe() + ": " + outputs[which],
                 [&](Backend& b) { return run_rnn(b, c, hw, hsrc, hh0, hc0, which); });
}

}  // namespace

TEST_CASE("rnn: every cell x 1-2 layers x uni/bidirectional, with variants") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 1;
    for (loom_rnn_cell cell : {LOOM_RNN_TANH, LOOM_RNN_RELU, LOOM_RNN_LSTM, LOOM_RNN_GRU})
      for (int layers : {1, 2})
        for (bool bidirectional : {false, true})
          for (int variant = 0; variant < 5; ++variant) {
            RnnCase c;
            c.cell = cell;
            c.layers = layers;
            c.bidirectional = bidirectional;
            c.seed = seed++;
            switch (variant) {
              case 0: break;  // biases, h0/c0, hn/cn
              case 1:         // no biases, zero initial state, no final state
                c.bias = false;
                c.initial_state = false;
                c.final_state = false;
                break;
              case 2:  // all ones
                c.steps = c.batch = c.input = c.hidden = 1;
                break;
              case 3:  // strided src and dst; hn without cn
                c.strided = true;
                c.hidden = 4;
                break;
              default:  // an empty sequence: hn = h0, cn = c0
                c.steps = 0;
                break;
            }
            check_rnn(name, c);
          }
  }
}

TEST_CASE("rnn: a longer sequence keeps agreeing") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    for (loom_rnn_cell cell : {LOOM_RNN_LSTM, LOOM_RNN_GRU}) {
      RnnCase c;
      c.cell = cell;
      c.layers = 2;
      c.bidirectional = true;
      c.steps = 33;
      c.batch = 2;
      c.input = 16;
      c.hidden = 32;
      c.seed = 500 + static_cast<uint64_t>(cell);
      check_rnn(name, c);
    }
  }
}

// Batch 1 takes the onednn backend's own kernels (rnn_small_batch.cpp) on
// AVX-512 CPUs: hidden sizes below, at and across its blocks of 32 / 128
// units, stacks, both directions, strided operands, no bias, no states.
TEST_CASE("rnn: batch 1 across hidden sizes and variants") {
  for (const auto& name : backends_under_test()) SUBCASE(name.c_str()) {
    uint64_t seed = 900;
    for (loom_rnn_cell cell : {LOOM_RNN_TANH, LOOM_RNN_RELU, LOOM_RNN_LSTM, LOOM_RNN_GRU})
      for (int64_t hidden : {5, 32, 45, 130})
        for (int variant = 0; variant < 3; ++variant) {
          RnnCase c;
          c.cell = cell;
          c.batch = 1;
          c.steps = 9;
          c.hidden = hidden;
          c.input = 11;
          c.seed = seed++;
          c.layers = variant == 0 ? 1 : 2;
          c.bidirectional = variant != 1;
          if (variant == 1) {
            c.bias = false;
            c.initial_state = false;
          }
          c.strided = variant == 2;
          check_rnn(name, c);
        }
  }
}
