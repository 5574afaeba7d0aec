// rnn_forward at batch 1 on CPUs with AVX-512: the input projection of the
// whole sequence as one oneDNN matmul per (layer, direction), then the
// recurrence with the hand-written step of rnn_cell_kernels.hpp, each thread
// owning a fixed slice of the recurrent weight for the whole sequence. At
// T=128, 512 -> 512 this runs an LSTM ~1.5 x faster than oneDNN 2.6's own RNN
// primitives (docs/performance.md, "Recurrent layers").
#pragma once

#include <cstdint>

#include "loom/sdk/view.hpp"
#include "op_context.hpp"
#include "rnn_packed.hpp"

namespace loom::onednn {

// True when rnn_forward takes this path: batch 1 on a CPU with AVX-512F.
bool use_small_batch_rnn(int64_t batch);

// src: dense [T, 1, input]; dst: dense [T, 1, dirs * hidden]. The states are
// rnn_forward's ([layers * dirs, 1, hidden], any strides, each optional);
// shapes were checked by the caller. T >= 1.
void small_batch_rnn_forward(OpContext& ctx, const PackedRnn& packed, const float* src, int64_t t,
                             const sdk::View* h0, const sdk::View* c0, float* dst, const sdk::View* hn,
                             const sdk::View* cn);

}  // namespace loom::onednn
