// What bahdanau and luong share: a decoder state (or T of them) attending
// over encoder states. Inputs
//   query            [N, Dq] (one step) or [N, T, Dq]
//   keys             [N, S, Dk]   encoder states that are scored
//   values           [N, S, Dv]   what the context averages (default: keys)
//   key_padding_mask [N, S]       bool/u8 (nonzero = padding) or f32 (added)
// Outputs
//   output           [N, Dv] or [N, T, Dv]   context c = sum_j alpha_j values_j
//   attention        [N, S] or [N, T, S]     alpha, when asked for
#pragma once

#include <cstdint>
#include <vector>

#include "attend.hpp"
#include "projection.hpp"

namespace loom::attention {

struct DecoderInputs {
  View query;   // [N, T, Dq]
  View keys;    // [N, S, Dk]
  View values;  // [N, S, Dv]
  std::vector<MaskTerm> masks;
  bool one_step = false;  // query came as [N, Dq]
  int64_t n = 0, t = 0, s = 0;
};

DecoderInputs read_decoder_inputs(const sdk::ForwardContext& ctx, int64_t query_size, int64_t key_size);

// Scores through `score` (dst [N, lb, kend]), then softmax, context and outputs.
void run_decoder_attention(sdk::ForwardContext& ctx, const DecoderInputs& in, const ScoreFn& score, int64_t block);

// Additive scores e[n, t, j] = v . tanh(qa[n, t] + ka[n, j]) for queries
// [i0, i1) and keys [0, kend): qa [N, T, A], ka [N, S, A], v [1, A].
// Scratch: N x (i1 - i0) x kend x A.
void additive_scores(const sdk::Ops& ops, const View& qa, const View& ka, const View& v, int64_t i0, int64_t i1,
                     int64_t kend, const View& dst);

// The options both layers declare.
std::vector<sdk::OptionSpec> decoder_options();

}  // namespace loom::attention
