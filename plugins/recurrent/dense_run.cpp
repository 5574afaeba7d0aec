#include "runs.hpp"

namespace loom::recurrent {

void run_dense(const sdk::Ops& ops, const Config&, const sdk::PackedRef& weights, const SequenceIO& io) {
  // batch_first and unbatched inputs arrive as strided / unit-dim views; the
  // backend copies what it cannot read in place.
  ops.rnn_forward(weights, io.x, io.h0 ? &*io.h0 : nullptr, io.c0 ? &*io.c0 : nullptr, io.y, &io.hn,
                  io.cn ? &*io.cn : nullptr);
}

}  // namespace loom::recurrent
