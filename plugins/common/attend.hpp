// The part every attention layer shares: scores -> masks -> softmax ->
// weights -> context, over blocks of queries so that scratch memory is
// O(block x S) per batch item and head, never O(L x S).
//
// For each block of queries [i0, i1):
//   scores [batch..., lb, kend] = score(i0, i1, kend)     (the layer's scoring)
//   scores += every additive (f32) mask term, sliced to the block
//   probs   = softmax(scores, mask = the one boolean term) over keys
//   out[..., i0:i1, :] = probs x values[..., :kend, :]
// kend is S, or i1 with `causal` (query i sees keys j <= i, so later keys are
// never scored: a causal block costs only the keys it can see). The probs go
// straight into the attention-weights output when it is per head; averaged
// weights are reduced from a scratch block.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"

namespace loom::attention {

// Fills dst [batch..., i1 - i0, kend] with the raw scores of queries
// [i0, i1) against keys [0, kend). dst is contiguous scratch.
using ScoreFn = std::function<void(int64_t i0, int64_t i1, int64_t kend, const View& dst)>;

// One mask term with the scores' rank: its query dim (-2) is L or 1, its key
// dim (-1) is S or 1, its batch dims broadcast to the scores'. Bool/u8
// (nonzero = masked out) or f32 (added to the scores).
struct MaskTerm {
  View view;
  std::string name;  // for messages: "key_padding_mask", "attn_mask"
};

struct AttendArgs {
  int64_t queries = 0;  // L
  int64_t keys = 0;     // S
  Shape batch;          // the scores' batch dims
  ScoreFn score;
  View values;                  // [vbatch..., S, Dv], vbatch broadcasting to batch
  std::vector<MaskTerm> masks;  // at most one bool term avoids any conversion
  bool causal = false;
  int64_t block = 128;
  View out;                      // [batch..., L, Dv], any strides
  const View* weights = nullptr; // [wbatch..., L, S]: wbatch = batch (per head) or
                                 // batch with some dims 1 (averaged over those)
};

void attend(const sdk::Ops& ops, const AttendArgs& args);

// Checks that a mask term fits [batch..., L, S] and returns it at the scores'
// rank. `expected` describes the accepted shapes for the message.
MaskTerm mask_term(const View& mask, const std::string& name, const Shape& batch, int64_t queries, int64_t keys,
                   const std::string& expected);

}  // namespace loom::attention
