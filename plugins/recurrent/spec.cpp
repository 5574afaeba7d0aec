// Options, inputs and outputs of rnn, lstm and gru (torch.nn.RNN / LSTM / GRU
// names), and reading them into a Config.
#include <limits>
#include <string>
#include <vector>

#include "recurrent_layer.hpp"

namespace loom::recurrent {

namespace {

std::vector<sdk::OptionSpec> common_options() {
  return {
      {"input_size", LOOM_OPTION_INT, std::nullopt, "features of each input step", ""},
      {"hidden_size", LOOM_OPTION_INT, std::nullopt, "features of the hidden state", ""},
      {"num_layers", LOOM_OPTION_INT, std::string("1"), "stacked layers; layer l > 0 reads layer l-1's output", ""},
      {"bias", LOOM_OPTION_BOOL, std::string("true"), "use the bias_ih_l* and bias_hh_l* weights", ""},
      {"batch_first", LOOM_OPTION_BOOL, std::string("false"),
       "input and output are [N, T, features] instead of [T, N, features] (states stay [layers*dirs, N, H])", ""},
      {"bidirectional", LOOM_OPTION_BOOL, std::string("false"),
       "add a reverse direction (weights *_reverse); output features become 2 * hidden_size", ""},
  };
}

// Sample uses for `loom check-plugin` (G gates per hidden unit): a stacked
// bidirectional run with ragged lengths and initial states, a batch_first
// one, and lengths above T, which must be refused.
std::vector<sdk::LayerExample> examples(int64_t gates, bool lstm) {
  const int64_t in = 5, h = 4, g = gates * h;
  auto weights = [&](int layers, bool bidirectional) {
    std::vector<sdk::ExampleTensor> w;
    const int dirs = bidirectional ? 2 : 1;
    for (int l = 0; l < layers; ++l)
      for (int d = 0; d < dirs; ++d) {
        const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
        const int64_t in_l = l == 0 ? in : dirs * h;
        w.push_back({"weight_ih" + sfx, LOOM_DTYPE_F32, {g, in_l}, -0.5, 0.5});
        w.push_back({"weight_hh" + sfx, LOOM_DTYPE_F32, {g, h}, -0.5, 0.5});
        w.push_back({"bias_ih" + sfx, LOOM_DTYPE_F32, {g}, -0.5, 0.5});
        w.push_back({"bias_hh" + sfx, LOOM_DTYPE_F32, {g}, -0.5, 0.5});
      }
    return w;
  };
  sdk::LayerExample stacked{"2 layers, bidirectional, ragged lengths, initial state",
                            {{"input_size", "5"}, {"hidden_size", "4"}, {"num_layers", "2"}, {"bidirectional", "true"}},
                            weights(2, true),
                            {{"input", LOOM_DTYPE_F32, {6, 3, 5}},
                             {"h0", LOOM_DTYPE_F32, {4, 3, 4}},
                             {"lengths", LOOM_DTYPE_I64, {3}, 1, 6}}};
  if (lstm) stacked.inputs.push_back({"c0", LOOM_DTYPE_F32, {4, 3, 4}});
  sdk::LayerExample batch_first{"batch_first",
                                {{"input_size", "5"}, {"hidden_size", "4"}, {"batch_first", "true"}},
                                weights(1, false),
                                {{"input", LOOM_DTYPE_F32, {2, 7, 5}}}};
  sdk::LayerExample too_long{"lengths above T",
                             {{"input_size", "5"}, {"hidden_size", "4"}},
                             weights(1, false),
                             {{"input", LOOM_DTYPE_F32, {4, 2, 5}}, {"lengths", LOOM_DTYPE_I64, {2}, 5, 9}},
                             false,
                             true};
  return {stacked, batch_first, too_long};
}

sdk::LayerSpec make_spec(const char* type, const char* description, bool lstm) {
  sdk::LayerSpec s;
  s.type = type;
  s.description = description;
  s.options = common_options();
  if (lstm) {
    s.inputs = {"input", "h0", "c0", "lengths"};
    s.outputs = {"output", "h_n", "c_n"};
  } else {
    s.inputs = {"input", "h0", "lengths"};
    s.outputs = {"output", "h_n"};
  }
  return s;
}

int64_t int_in_range(const sdk::Options& options, const std::string& key, int64_t min, int64_t max) {
  const int64_t v = options.get_int(key);
  if (v < min || v > max)
    throw sdk::invalid_argument("option '" + key + "' must be in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "], got " + std::to_string(v));
  return v;
}

}  // namespace

sdk::LayerSpec Rnn::spec() {
  sdk::LayerSpec s = make_spec(
      "rnn",
      "Elman RNN (torch.nn.RNN): h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh); weights weight_ih_l{k}, "
      "weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (+ _reverse)",
      false);
  s.options.push_back({"nonlinearity", LOOM_OPTION_ENUM, std::string("tanh"), "the cell's activation", "tanh|relu"});
  s.examples = examples(1, false);
  s.examples[1].options.push_back({"nonlinearity", "relu"});
  return s;
}

sdk::LayerSpec Lstm::spec() {
  sdk::LayerSpec s = make_spec("lstm",
                               "LSTM (torch.nn.LSTM, gates i f g o); weights weight_ih_l{k} [4H, in], weight_hh_l{k} "
                               "[4H, H], bias_ih_l{k}, bias_hh_l{k} [4H] (+ _reverse); outputs output, h_n, c_n",
                               true);
  s.examples = examples(4, true);
  return s;
}

sdk::LayerSpec Gru::spec() {
  sdk::LayerSpec s = make_spec("gru",
                               "GRU (torch.nn.GRU, gates r z n, n = tanh(W_in x + b_in + r * (W_hn h + b_hn))); "
                               "weights weight_ih_l{k} [3H, in], weight_hh_l{k} [3H, H], bias_ih_l{k}, bias_hh_l{k} "
                               "[3H] (+ _reverse)",
                               false);
  s.examples = examples(3, false);
  return s;
}

Rnn::Rnn(sdk::LayerInit& init)
    : RecurrentLayer(init, init.options().get_string("nonlinearity") == "relu" ? LOOM_RNN_RELU : LOOM_RNN_TANH,
                     "rnn") {}

Config read_config(const sdk::Options& options, int32_t cell, const std::string& type) {
  Config c;
  c.cell = cell;
  c.type = type;
  // The upper bounds only keep G * hidden_size * input_size far from overflow.
  const int64_t big = int64_t{1} << 24;
  c.input_size = int_in_range(options, "input_size", 1, big);
  c.hidden_size = int_in_range(options, "hidden_size", 1, big);
  c.num_layers = static_cast<int32_t>(int_in_range(options, "num_layers", 1, 1024));
  c.bias = options.get_bool("bias");
  c.batch_first = options.get_bool("batch_first");
  c.bidirectional = options.get_bool("bidirectional");
  return c;
}

}  // namespace loom::recurrent
