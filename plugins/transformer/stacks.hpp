// transformer_encoder_layer, transformer_decoder_layer, transformer_encoder,
// transformer_decoder and transformer: torch.nn.TransformerEncoderLayer,
// TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and
// Transformer (inference), with PyTorch's weight names.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blocks.hpp"

namespace loom::transformer {

// A stack of encoder blocks and an optional final norm (a single layer is a
// stack of one block under the prefix "").
class EncoderCore {
 public:
  EncoderCore(const sdk::LayerInit& init, const LayerConfig& c, const std::vector<std::string>& prefixes,
              const std::string& norm_prefix, const EncoderAttentionConfig& a = {});
  // src [N, T, E] any strides -> dst [N, T, E] any strides. attention (when
  // given) is [layers, N, H, T, columns] (EncoderAttentionConfig::
  // attention_columns); tokens (longformer) are read from the masks by the
  // caller; global_attention (longformer, when given) is [layers, N, H, G, T].
  void run(const sdk::Ops& ops, const View& src, const View* src_kpm, bool causal, const View& dst,
           const View* attention, const attention::LongformerTokens* tokens = nullptr,
           const View* global_attention = nullptr) const;
  size_t num_layers() const { return blocks_.size(); }
  const EncoderAttentionConfig& attention_config() const { return a_; }

 private:
  LayerConfig c_;
  EncoderAttentionConfig a_;
  std::vector<EncoderBlock> blocks_;
  std::optional<Norm> norm_;
};

class DecoderCore {
 public:
  DecoderCore(const sdk::LayerInit& init, const LayerConfig& c, const std::vector<std::string>& prefixes,
              const std::string& norm_prefix);
  struct Io {
    View tgt, memory;  // [N, T, E], [N, S, E], any strides
    const View* tgt_kpm = nullptr;
    const View* memory_kpm = nullptr;
    bool causal = true;
    bool incremental = false;
    const View* cache_key = nullptr;    // [layers, N, P, E] or null (P = 0)
    const View* cache_value = nullptr;
    View key_out, value_out;            // [layers, N, P + T, E] (incremental)
    const View* memory_key = nullptr;   // [layers, N, S, E] from an earlier call, or null
    const View* memory_value = nullptr;
    View memory_key_out, memory_value_out;  // where to write them when computed (incremental)
    View dst;                           // [N, T, E]
    const View* self_attention = nullptr;   // [layers, N, H, T, P + T]
    const View* cross_attention = nullptr;  // [layers, N, H, T, S]
  };
  void run(const sdk::Ops& ops, const Io& io) const;
  size_t num_layers() const { return blocks_.size(); }

 private:
  LayerConfig c_;
  std::vector<DecoderBlock> blocks_;
  std::optional<Norm> norm_;
};

class TransformerEncoderLayer : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit TransformerEncoderLayer(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  LayerConfig c_;
  bool causal_;
  EncoderCore core_;
};

class TransformerEncoder : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit TransformerEncoder(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  LayerConfig c_;
  bool causal_;
  EncoderCore core_;
};

class TransformerDecoderLayer : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit TransformerDecoderLayer(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  LayerConfig c_;
  bool causal_, incremental_;
  DecoderCore core_;
};

class TransformerDecoder : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit TransformerDecoder(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  LayerConfig c_;
  bool causal_, incremental_;
  DecoderCore core_;
};

class Transformer : public sdk::Layer {
 public:
  static sdk::LayerSpec spec();
  explicit Transformer(sdk::LayerInit& init);
  void forward(sdk::ForwardContext& ctx) const override;

 private:
  LayerConfig c_;
  bool causal_;
  EncoderCore encoder_;
  DecoderCore decoder_;
};

}  // namespace loom::transformer
