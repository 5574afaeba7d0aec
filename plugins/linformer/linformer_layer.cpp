#include "linformer_layer.hpp"

#include <string>

namespace loom::linformer {

using attention::View;

namespace {

attention::LinformerConfig read_config(const sdk::Options& o) {
  attention::LinformerConfig c;
  c.dim = attention::int_at_least(o, "dim", 1);
  c.seq_len = attention::int_at_least(o, "seq_len", 1);
  c.k = attention::int_at_least(o, "k", 1);
  c.heads = attention::int_at_least(o, "heads", 1);
  c.dim_head = attention::int_at_least(o, "dim_head", 0);
  if (c.dim_head == 0) {
    if (c.dim % c.heads != 0)
      throw sdk::invalid_argument("dim " + std::to_string(c.dim) + " is not divisible by heads " +
                                  std::to_string(c.heads) + " (or set dim_head)");
    c.dim_head = c.dim / c.heads;
  }
  c.one_kv_head = o.get_bool("one_kv_head");
  c.sharing = attention::parse_linformer_sharing(o.get_string("sharing"));
  c.block_size = attention::int_at_least(o, "block_size", 1);
  return c;
}

}  // namespace

sdk::LayerSpec LinformerSelfAttention::spec() {
  sdk::LayerSpec s;
  s.type = "linformer_self_attention";
  s.description =
      "LinformerSelfAttention of the linformer package (inference): keys and values projected along the sequence "
      "to k positions, O(n k); weights to_q.weight, to_k.weight, to_v.weight, proj_k, proj_v, to_out.weight, "
      "to_out.bias (no to_v/proj_v with sharing kv or layerwise; proj_k/proj_v [heads, seq_len, k] with none)";
  s.options = {
      {"dim", LOOM_OPTION_INT, std::nullopt, "model features (input and output)", ""},
      {"seq_len", LOOM_OPTION_INT, std::nullopt,
       "the sequence length n the projections are built for; shorter inputs use their first rows, longer ones are "
       "an error",
       ""},
      {"k", LOOM_OPTION_INT, std::string("256"), "projected length: keys and values are k positions", ""},
      {"heads", LOOM_OPTION_INT, std::string("8"), "attention heads", ""},
      {"dim_head", LOOM_OPTION_INT, std::string("0"), "features per head (0: dim / heads)", ""},
      {"sharing", LOOM_OPTION_ENUM, std::string("headwise"),
       "which projections are shared: none (per head), headwise (one proj_k and proj_v for all heads), kv (one "
       "proj_k, values = keys), layerwise (as kv, one projection for every layer)",
       attention::linformer_sharing_choices()},
      {"one_kv_head", LOOM_OPTION_BOOL, std::string("false"),
       "keys and values are one head wide (to_k/to_v [dim_head, dim]) and shared by every head", ""},
      {"block_size", LOOM_OPTION_INT, std::string("512"),
       "queries per attention block: scratch is O(block_size x k) per batch item and head", ""},
  };
  s.inputs = {"input", "context", "key_padding_mask"};
  s.outputs = {"output", "attention"};
  return s;
}

LinformerSelfAttention::LinformerSelfAttention(sdk::LayerInit& init)
    : attn_(init, "", read_config(init.options())) {}

void LinformerSelfAttention::forward(sdk::ForwardContext& ctx) const {
  const View x = ctx.input("input");
  const View* context = ctx.find_input("context");
  attention::LinformerAttention::Io io;
  io.x = x;
  io.kv = context ? *context : x;
  io.key_padding_mask = ctx.find_input("key_padding_mask");
  attention::require_f32(x, "input");
  if (x.ndim() != 3)
    throw sdk::invalid_argument("input 'input' has shape " + x.shape_str() + ", expected [N, T, dim]");
  io.dst = ctx.output("output", LOOM_DTYPE_F32, x.shape());
  View weights;
  if (ctx.want_attention()) {
    const auto& c = attn_.config();
    weights = ctx.output("attention", LOOM_DTYPE_F32, {x.dim(0), c.heads, x.dim(1), c.k});
    io.weights = &weights;
  }
  attn_.run(ctx.ops(), io, "input", context ? "context" : "input");
}

}  // namespace loom::linformer
