// The two ways a forward call runs on the backend's recurrent op.
#pragma once

#include "config.hpp"
#include "loom/sdk/layer.hpp"
#include "sequence_io.hpp"

namespace loom::recurrent {

// Every sequence runs all T steps: one rnn_forward over the caller's views.
// This is also step mode: a one-step input with h0/c0 costs one cell per
// layer and direction.
void run_dense(const sdk::Ops& ops, const Config& cfg, const sdk::PackedRef& weights, const SequenceIO& io);

// Ragged lengths, as torch's pack_padded_sequence: each sequence runs its own
// steps only (the reverse direction starts at its last true step), output is
// zero past its length and h_n/c_n are its states at its true last step.
void run_ragged(const sdk::Ops& ops, const Config& cfg, const sdk::PackedRef& weights, const SequenceIO& io);

}  // namespace loom::recurrent
