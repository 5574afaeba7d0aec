// The pieces of one encoder or decoder layer, each loaded from PyTorch's
// weight names under a prefix ("", "layers.3.", "encoder.layers.0.").
//
// Activations are kept batch-first [N, T, E] in contiguous buffers the
// layer owns, and every residual add is fused into the matmul that produces
// the branch (beta = 1): a layer costs its GEMMs, the attention core and the
// layer norms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend.hpp"
#include "config.hpp"
#include "encoder_attention.hpp"
#include "projection.hpp"

namespace loom::transformer {

class Norm {
 public:
  Norm() = default;
  Norm(const sdk::LayerInit& init, const std::string& prefix, int64_t d, float eps);
  void apply(const sdk::Ops& ops, const View& x, const View& y) const;

 private:
  sdk::Buffer gamma_, beta_;
  float eps_ = 1e-5f;
};

// torch.nn.MultiheadAttention as used inside the transformer layers
// (in_proj_weight/in_proj_bias, out_proj.weight/out_proj.bias).
class MhaBlock {
 public:
  MhaBlock() = default;
  MhaBlock(const sdk::LayerInit& init, const std::string& prefix, const LayerConfig& c);

  // Projected keys and values [N, S, E] of x [N, S, E].
  void project_kv(const sdk::Ops& ops, const View& x, const View& k, const View& v) const;
  // dst [N, L, E] += out_proj(attention(q_proj(xq), k, v)); weights, when
  // given, is [N, H, L, S].
  void attend(const sdk::Ops& ops, const View& xq, const View& k, const View& v,
              std::vector<attention::MaskTerm> masks, bool causal, const View& dst, const View* weights) const;

 private:
  LayerConfig c_;
  attention::Projection q_, k_, v_, out_;
};

class FeedForward {
 public:
  FeedForward() = default;
  FeedForward(const sdk::LayerInit& init, const std::string& prefix, const LayerConfig& c);
  // dst [N, T, E] += linear2(act(linear1(x))).
  void apply(const sdk::Ops& ops, const View& x, const View& dst) const;

 private:
  LayerConfig c_;
  attention::Projection linear1_, linear2_;
};

// Masks and attention-map outputs for one pass through a layer.
struct EncoderPass {
  std::vector<attention::MaskTerm> masks;  // full attention
  bool causal = false;
  const View* weights = nullptr;  // [N, H, T, columns] (EncoderAttentionConfig::attention_columns)
  const View* padding = nullptr;  // linformer: the key padding mask as given, [N, T]
  const attention::LongformerTokens* tokens = nullptr;  // longformer: padding and global tokens
  const View* global_weights = nullptr;                 // longformer: [N, H, G, T]
};

// The self-attention block of an encoder layer, of the configured kind (see
// encoder_attention.hpp); implemented in encoder_attention.cpp.
class EncoderSelfAttention {
 public:
  // `first`: the stack's first layer's block, whose Linformer projection
  // every layer uses with layerwise sharing (null for the first layer).
  EncoderSelfAttention(const sdk::LayerInit& init, const std::string& prefix, const LayerConfig& c,
                       const EncoderAttentionConfig& a, const EncoderSelfAttention* first);
  // dst [N, T, E] += out_proj(attention(h)) for h [N, T, E].
  void apply(const sdk::Ops& ops, const View& h, const View& dst, const EncoderPass& pass) const;

 private:
  AttentionKind kind_;
  MhaBlock mha_;
  attention::LinformerAttention linformer_;
  attention::LongformerAttention longformer_;
  attention::Projection out_proj_;  // longformer's output projection
};

class EncoderBlock {
 public:
  EncoderBlock(const sdk::LayerInit& init, const std::string& prefix, const LayerConfig& c,
               const EncoderAttentionConfig& a = {}, const EncoderBlock* first = nullptr);
  // x [N, T, E] contiguous, updated in place.
  void run(const sdk::Ops& ops, const View& x, const EncoderPass& pass) const;

 private:
  LayerConfig c_;
  EncoderSelfAttention self_attn_;
  FeedForward ff_;
  Norm norm1_, norm2_;
};

struct DecoderPass {
  View memory;  // [N, S, E] any strides
  std::vector<attention::MaskTerm> self_masks, memory_masks;
  bool causal = true;
  // Incremental mode: keys/values of the earlier positions [N, P, E] (P may
  // be 0), and where the grown cache [N, P + T, E] goes.
  bool incremental = false;
  View past_key, past_value, key_out, value_out;
  // Cross-attention keys/values of `memory` [N, S, E]: given (computed by an
  // earlier call), or computed here and written to memory_*_out when those
  // are set (incremental mode), else into scratch.
  bool have_memory_kv = false;
  View memory_key, memory_value, memory_key_out, memory_value_out;
  const View* self_weights = nullptr;   // [N, H, T, P + T]
  const View* cross_weights = nullptr;  // [N, H, T, S]
};

class DecoderBlock {
 public:
  DecoderBlock(const sdk::LayerInit& init, const std::string& prefix, const LayerConfig& c);
  // x [N, T, E] contiguous, updated in place.
  void run(const sdk::Ops& ops, const View& x, const DecoderPass& pass) const;

 private:
  void self_attention(const sdk::Ops& ops, const View& h, const View& dst, const DecoderPass& pass) const;
  LayerConfig c_;
  MhaBlock self_attn_, cross_attn_;
  FeedForward ff_;
  Norm norm1_, norm2_, norm3_;
};

}  // namespace loom::transformer
