// Options and weight loading shared by the transformer layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend.hpp"

namespace loom::transformer {

using attention::restride;
using attention::split_dim;
using attention::unsqueeze;
using sdk::Shape;
using sdk::View;

// torch.nn.TransformerEncoderLayer / DecoderLayer options.
struct LayerConfig {
  int64_t d_model = 0, nhead = 0, dim_feedforward = 0;
  int32_t activation = LOOM_UNARY_RELU;
  float layer_norm_eps = 1e-5f;
  bool batch_first = false, norm_first = false;
  int64_t block_size = 128;

  int64_t head_dim() const { return d_model / nhead; }
  static LayerConfig read(const sdk::Options& options);
};

// The options every encoder/decoder layer and stack declares.
std::vector<sdk::OptionSpec> layer_options();

// A weight that must exist: its absence names the tensor (the first missing
// one, as weights are read in order).
sdk::Buffer require_weight(const sdk::LayerInit& init, const std::string& name, const Shape& shape);

// [N, T, E] from the caller's layout ([T, N, E] unless batch_first), as a
// view (no copy).
inline View to_batch_first(const View& x, bool batch_first) { return batch_first ? x : x.transpose(0, 1); }

// A 3-D f32 sequence input with d_model features.
void check_sequence(const View& x, const char* name, int64_t d_model, bool batch_first);

// A key padding mask [N, S] (bool/u8 nonzero = pad, or f32 added) as an
// attention mask term over scores [N, H, L, S].
attention::MaskTerm padding_term(const View& mask, const char* name, int64_t n, int64_t s);

}  // namespace loom::transformer
