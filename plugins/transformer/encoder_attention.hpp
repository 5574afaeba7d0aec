// The encoder's self-attention kind (option `attention`), so a pipeline
// swaps attention by one line:
//   full        torch.nn.MultiheadAttention: self_attn.in_proj_weight, ...
//   linformer   the linformer package's LinformerSelfAttention (with its own
//               output projection): self_attn.to_q.weight, self_attn.to_k.weight,
//               self_attn.to_v.weight, self_attn.proj_k, self_attn.proj_v,
//               self_attn.to_out.weight/.bias; O(T k)
//   longformer  Hugging Face's LongformerSelfAttention followed by an output
//               projection: self_attn.{query,key,value,query_global,key_global,
//               value_global}.weight/.bias, self_attn.out_proj.weight/.bias; O(T w)
#pragma once

#include <cstdint>
#include <vector>

#include "config.hpp"
#include "linformer_core.hpp"
#include "longformer_core.hpp"

namespace loom::transformer {

enum class AttentionKind { full, linformer, longformer };

struct EncoderAttentionConfig {
  AttentionKind kind = AttentionKind::full;
  attention::LinformerConfig linformer;    // kind == linformer
  attention::LongformerConfig longformer;  // kind == longformer

  // From the options of encoder_attention_options(); causal attention is
  // full attention only (an error otherwise).
  static EncoderAttentionConfig read(const sdk::Options& o, const LayerConfig& c, bool causal);
  // Key columns of one layer's attention map for T positions and G global
  // tokens: T (full), k (linformer), G + attention_window + 1 (longformer).
  int64_t attention_columns(int64_t t, int64_t g) const;
};

// `attention` and the options of the linformer and longformer kinds.
std::vector<sdk::OptionSpec> encoder_attention_options();

}  // namespace loom::transformer
