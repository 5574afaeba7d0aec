// Loading a recurrent layer's PyTorch-named weights and packing them once.
#pragma once

#include "config.hpp"
#include "loom/sdk/layer.hpp"

namespace loom::recurrent {

// Reads weight_ih_l{k}, weight_hh_l{k} (and bias_ih_l{k}, bias_hh_l{k} with
// bias) for every layer and direction (_reverse for the backward one), checks
// each shape, and hands them to the backend's rnn_pack. The backend copies
// what it keeps, so the uploads are given back on return.
sdk::PackedRef pack_weights(const sdk::LayerInit& init, const Config& cfg);

}  // namespace loom::recurrent
