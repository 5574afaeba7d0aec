// What one recurrent layer is, as its options say, and the shape arithmetic
// every part of the plugin shares.
#pragma once

#include <cstdint>
#include <string>

#include "loom/sdk/layer.hpp"

namespace loom::recurrent {

using sdk::Shape;
using sdk::View;

struct Config {
  int32_t cell = LOOM_RNN_LSTM;  // a loom_rnn_cell
  std::string type;              // "rnn", "lstm", "gru": for messages
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int32_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  bool bidirectional = false;

  bool lstm() const { return cell == LOOM_RNN_LSTM; }
  int64_t dirs() const { return bidirectional ? 2 : 1; }
  int64_t gates() const { return cell == LOOM_RNN_LSTM ? 4 : cell == LOOM_RNN_GRU ? 3 : 1; }
  // Rows of h0 / h_n: num_layers * num_directions.
  int64_t states() const { return num_layers * dirs(); }
  // Features of `output`: both directions concatenated.
  int64_t output_size() const { return dirs() * hidden_size; }
  sdk::RnnArgs rnn_args() const { return {cell, input_size, hidden_size, num_layers, bidirectional}; }
};

// Reads and checks the options shared by rnn, lstm and gru.
Config read_config(const sdk::Options& options, int32_t cell, const std::string& type);

}  // namespace loom::recurrent
