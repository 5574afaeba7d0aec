// rnn, lstm and gru: one layer class over the backend's recurrent op, as
// torch.nn.RNN / LSTM / GRU (inference). The subclasses only pick the cell.
#pragma once

#include "config.hpp"
#include "loom/sdk/layer.hpp"

namespace loom::recurrent {

class RecurrentLayer : public sdk::Layer {
 public:
  void forward(sdk::ForwardContext& ctx) const override;
  const Config& config() const { return cfg_; }

 protected:
  // Reads the options and packs the PyTorch-named weights once (rnn_pack).
  RecurrentLayer(sdk::LayerInit& init, int32_t cell, const char* type);

 private:
  Config cfg_;
  sdk::PackedRef weights_;
};

class Rnn : public RecurrentLayer {
 public:
  static sdk::LayerSpec spec();
  explicit Rnn(sdk::LayerInit& init);
};

class Lstm : public RecurrentLayer {
 public:
  static sdk::LayerSpec spec();
  explicit Lstm(sdk::LayerInit& init) : RecurrentLayer(init, LOOM_RNN_LSTM, "lstm") {}
};

class Gru : public RecurrentLayer {
 public:
  static sdk::LayerSpec spec();
  explicit Gru(sdk::LayerInit& init) : RecurrentLayer(init, LOOM_RNN_GRU, "gru") {}
};

}  // namespace loom::recurrent
