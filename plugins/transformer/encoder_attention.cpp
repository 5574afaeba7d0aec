#include "encoder_attention.hpp"

#include <string>

#include "blocks.hpp"

namespace loom::transformer {

namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

std::vector<sdk::OptionSpec> encoder_attention_options() {
  return {
      {"attention", LOOM_OPTION_ENUM, std::string("full"),
       "self-attention kind: full (softmax over every key; self_attn.in_proj_weight, ...), linformer (keys and values "
       "projected to linformer_k positions, O(T k); self_attn.to_q.weight, ..., self_attn.proj_k), longformer "
       "(sliding window plus global tokens, O(T w); self_attn.query.weight, ..., self_attn.out_proj.weight)",
       "full|linformer|longformer"},
      {"linformer_seq_len", LOOM_OPTION_INT, std::string("0"),
       "linformer: the sequence length the projections proj_k/proj_v are built for (required with attention: "
       "linformer); longer inputs are an error",
       ""},
      {"linformer_k", LOOM_OPTION_INT, std::string("256"), "linformer: projected length k", ""},
      {"linformer_sharing", LOOM_OPTION_ENUM, std::string("headwise"),
       "linformer: none (per-head projections), headwise, kv (values = keys, no to_v/proj_v), layerwise (as kv, "
       "every layer of a stack uses layer 0's proj_k)",
       attention::linformer_sharing_choices()},
      {"attention_window", LOOM_OPTION_INT, std::string("512"),
       "longformer: total window, even (attention_window / 2 tokens on each side)", ""},
  };
}

EncoderAttentionConfig EncoderAttentionConfig::read(const sdk::Options& o, const LayerConfig& c, bool causal) {
  EncoderAttentionConfig a;
  const std::string kind = o.get_string("attention");
  a.kind = kind == "linformer" ? AttentionKind::linformer
           : kind == "longformer" ? AttentionKind::longformer
                                  : AttentionKind::full;
  if (a.kind != AttentionKind::full && causal)
    throw sdk::invalid_argument("option 'causal' needs attention: full (" + kind +
                                " attention here is bidirectional, as its reference)");
  if (a.kind == AttentionKind::linformer) {
    auto& l = a.linformer;
    l.dim = c.d_model;
    l.heads = c.nhead;
    l.dim_head = c.head_dim();
    l.seq_len = o.get_int("linformer_seq_len");
    if (l.seq_len < 1)
      throw sdk::invalid_argument("option 'linformer_seq_len' must be >= 1 with attention: linformer (the length "
                                  "the projections proj_k/proj_v were built for), got " + str(l.seq_len));
    l.k = attention::int_at_least(o, "linformer_k", 1);
    l.sharing = attention::parse_linformer_sharing(o.get_string("linformer_sharing"));
    l.block_size = c.block_size;
  } else if (a.kind == AttentionKind::longformer) {
    auto& l = a.longformer;
    l.dim = c.d_model;
    l.heads = c.nhead;
    l.window = o.get_int("attention_window");
    l.block_size = c.block_size;
    l.validate();
  }
  return a;
}

int64_t EncoderAttentionConfig::attention_columns(int64_t t, int64_t g) const {
  switch (kind) {
    case AttentionKind::linformer:
      return linformer.k;
    case AttentionKind::longformer:
      return g + longformer.window + 1;
    default:
      return t;
  }
}

EncoderSelfAttention::EncoderSelfAttention(const sdk::LayerInit& init, const std::string& p, const LayerConfig& c,
                                           const EncoderAttentionConfig& a, const EncoderSelfAttention* first)
    : kind_(a.kind) {
  switch (kind_) {
    case AttentionKind::full:
      mha_ = MhaBlock(init, p, c);
      break;
    case AttentionKind::linformer: {
      const bool shared = a.linformer.sharing == attention::LinformerSharing::layerwise && first;
      linformer_ = attention::LinformerAttention(init, p, a.linformer, shared ? &first->linformer_ : nullptr);
      break;
    }
    case AttentionKind::longformer: {
      longformer_ = attention::LongformerAttention(init, p, a.longformer);
      const int64_t e = c.d_model;
      sdk::Buffer w = require_weight(init, p + "out_proj.weight", {e, e});
      sdk::Buffer b = require_weight(init, p + "out_proj.bias", {e});
      out_proj_ = attention::Projection(init.ops(), w.view(), &b.view());
      break;
    }
  }
}

void EncoderSelfAttention::apply(const sdk::Ops& ops, const View& h, const View& dst, const EncoderPass& pass) const {
  switch (kind_) {
    case AttentionKind::full: {
      sdk::Buffer kb = ops.empty(LOOM_DTYPE_F32, h.shape()), vb = ops.empty(LOOM_DTYPE_F32, h.shape());
      mha_.project_kv(ops, h, kb.view(), vb.view());
      mha_.attend(ops, h, kb.view(), vb.view(), pass.masks, pass.causal, dst, pass.weights);
      return;
    }
    case AttentionKind::linformer: {
      attention::LinformerAttention::Io io;
      io.x = io.kv = h;
      io.key_padding_mask = pass.padding;
      io.mask_name = "src_key_padding_mask";
      io.dst = dst;
      io.beta = 1.0f;
      io.weights = pass.weights;
      linformer_.run(ops, io, "src", "src");
      return;
    }
    case AttentionKind::longformer: {
      sdk::Buffer context = ops.empty(LOOM_DTYPE_F32, h.shape());
      attention::LongformerAttention::Io io;
      io.x = h;
      io.tokens = pass.tokens;
      io.dst = context.view();
      io.attention = pass.weights;
      io.global_attention = pass.global_weights;
      longformer_.run(ops, io);
      sdk::MatmulArgs acc;
      acc.beta = 1.0f;
      out_proj_.apply(ops, context.view(), dst, acc);
      return;
    }
  }
}

}  // namespace loom::transformer
