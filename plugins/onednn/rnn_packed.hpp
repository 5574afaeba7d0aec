// What rnn_pack makes: oneDNN weights per segment of stacked layers (see
// rnn.cpp), and, built on first use, the batch-1 kernels' recurrent panels
// (rnn_small_batch.cpp).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "loom/sdk/backend.hpp"
#include "op_context.hpp"
#include "packed_weights.hpp"

namespace loom::onednn {

struct Segment {
  int first = 0;      // first layer
  int layers = 0;     // number of stacked layers
  int64_t input = 0;  // input channels of every layer in it
  LazyWeights w_layer, w_iter;
  dnnl::memory bias;  // plain ldgo; zeros when the layer has no bias
};

class PackedRnn final : public sdk::Packed {
 public:
  PackedRnn(dnnl::engine e, const sdk::RnnArgs& a) : engine(std::move(e)), args(a) {}
  dnnl::engine engine;  // first member: destroyed last
  sdk::RnnArgs args;
  std::vector<std::unique_ptr<Segment>> segments;

  // The segment holding layer l.
  const Segment& segment_of(int l) const {
    for (const auto& s : segments)
      if (l >= s->first && l < s->first + s->layers) return *s;
    return *segments.back();
  }

  // Batch-1 panels, one buffer per (layer, direction); made once, then read-only.
  mutable std::once_flag panels_once;
  mutable std::vector<AlignedBuffer> panels;
};

}  // namespace loom::onednn
