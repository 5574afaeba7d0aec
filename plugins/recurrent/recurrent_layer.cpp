#include "recurrent_layer.hpp"

#include "runs.hpp"
#include "sequence_io.hpp"
#include "weights.hpp"

namespace loom::recurrent {

RecurrentLayer::RecurrentLayer(sdk::LayerInit& init, int32_t cell, const char* type)
    : cfg_(read_config(init.options(), cell, type)), weights_(pack_weights(init, cfg_)) {}

void RecurrentLayer::forward(sdk::ForwardContext& ctx) const {
  const SequenceIO io = bind_sequence(ctx, cfg_);
  if (io.full_length())
    run_dense(ctx.ops(), cfg_, weights_, io);
  else
    run_ragged(ctx.ops(), cfg_, weights_, io);
}

}  // namespace loom::recurrent
