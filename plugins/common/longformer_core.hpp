// Longformer self-attention (Beltagy et al. 2020) as Hugging Face's
// LongformerSelfAttention computes it, on the backend op set; shared by the
// longformer plugin (longformer_self_attention) and the transformer plugin
// (encoder layers with attention: longformer).
//
// Every token attends to the tokens within attention_window / 2 on each side
// (sliding window, local projections query/key/value) and to every global
// token (their local keys and values); global tokens attend to every token
// through the separate query_global/key_global/value_global projections. A
// global token is a key of other tokens only through its global column, never
// inside their windows. Padding tokens are never attended to and their
// outputs are 0.
//
// Memory O(n w): queries run in chunks of c rows (c divides w / 2); chunk
// b's keys are the c + w rows around it, one plain strided view of the
// zero-padded keys per chunk (neighbouring chunks' keys overlap, and
// backends such as oneDNN take no overlapping views), so a few chunks'
// [c, G + c + w] scores exist at a time and no n x n buffer is ever made.
// The sequence is padded to a multiple of the window internally and cropped
// after.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"
#include "projection.hpp"

namespace loom::attention {

struct LongformerConfig {
  int64_t dim = 0;     // hidden size E
  int64_t heads = 0;   // must divide dim
  int64_t window = 0;  // total window w (Hugging Face's attention_window): even, >= 2
  int64_t block_size = 64;  // queries per chunk, at most; the chunk is the largest divisor of w / 2 <= this

  int64_t head_dim() const { return dim / heads; }
  int64_t chunk() const;
  // Checks sizes; messages name the options.
  void validate() const;
};

// Which tokens are padding and which are global, read on the host (the
// layout of the attention weights and the global pass depend on them).
struct LongformerTokens {
  int64_t n = 0, length = 0;
  std::vector<uint8_t> pad;                         // [n * length], 1 = padding
  std::vector<std::vector<int64_t>> global;         // per item: global positions, ascending
  int64_t max_global() const;                       // G: the batch's largest count

  // padding: [N, L] mask or null; where `pad_when_zero` a zero entry is padding
  // (Hugging Face's attention_mask: 1 token, 0 padding), otherwise a nonzero
  // one (torch's key_padding_mask). global: [N, L], nonzero = global, or null.
  // A padding token is never global.
  static LongformerTokens read(int64_t n, int64_t length, const View* padding, const std::string& padding_name,
                               bool pad_when_zero, const View* global, const std::string& global_name);
};

class LongformerAttention {
 public:
  LongformerAttention() = default;
  // Reads {query,key,value,query_global,key_global,value_global}.{weight [E, E], bias [E]} under `prefix`.
  LongformerAttention(const sdk::LayerInit& init, const std::string& prefix, const LongformerConfig& c);

  struct Io {
    View x;                                  // [N, L, E], any strides
    const LongformerTokens* tokens = nullptr;  // for [N, L]
    View dst;                                // [N, L, E]
    // Optional, in Hugging Face's layout:
    const View* attention = nullptr;         // [N, H, L, G + w + 1]: G global columns, then offsets -w/2 .. w/2
    const View* global_attention = nullptr;  // [N, H, G, L]: the global tokens' rows
  };
  void run(const sdk::Ops& ops, const Io& io) const;

  const LongformerConfig& config() const { return c_; }

 private:
  struct Work;
  void prepare_masks(const sdk::Ops& ops, const LongformerTokens& tokens, Work& w) const;
  void local_pass(const sdk::Ops& ops, const Io& io, const Work& w) const;
  void global_pass(const sdk::Ops& ops, const Io& io, const Work& w) const;

  LongformerConfig c_;
  Projection query_, key_, value_, query_global_, key_global_, value_global_;
  sdk::Buffer band_;  // [c, c + w]: 0 where key column j of query row r is in its window (r <= j <= r + w), else -inf
};

}  // namespace loom::attention
