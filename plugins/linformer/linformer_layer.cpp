#include "linformer_layer.hpp"

#include <string>
#include <utility>
#include <vector>

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
  // Sample uses for `loom check-plugin`: an input shorter than seq_len, and
  // per-head projections with one key/value head (4 features).
  const std::vector<sdk::ExampleTensor> out = {{"to_q.weight", LOOM_DTYPE_F32, {8, 8}},
                                               {"to_out.weight", LOOM_DTYPE_F32, {8, 8}},
                                               {"to_out.bias", LOOM_DTYPE_F32, {8}}};
  std::vector<sdk::ExampleTensor> headwise = {{"to_k.weight", LOOM_DTYPE_F32, {8, 8}},
                                              {"to_v.weight", LOOM_DTYPE_F32, {8, 8}},
                                              {"proj_k", LOOM_DTYPE_F32, {6, 4}},
                                              {"proj_v", LOOM_DTYPE_F32, {6, 4}}};
  headwise.insert(headwise.end(), out.begin(), out.end());
  std::vector<sdk::ExampleTensor> per_head = {{"to_k.weight", LOOM_DTYPE_F32, {4, 8}},
                                              {"to_v.weight", LOOM_DTYPE_F32, {4, 8}},
                                              {"proj_k", LOOM_DTYPE_F32, {2, 6, 4}},
                                              {"proj_v", LOOM_DTYPE_F32, {2, 6, 4}}};
  per_head.insert(per_head.end(), out.begin(), out.end());
  s.examples = {
      {"headwise, 5 of 6 positions, key padding mask, weights returned",
       {{"dim", "8"}, {"seq_len", "6"}, {"k", "4"}, {"heads", "2"}, {"block_size", "2"}}, headwise,
       {{"input", LOOM_DTYPE_F32, {2, 5, 8}}, {"key_padding_mask", LOOM_DTYPE_BOOL, {2, 5}}}, true},
      {"no sharing, one key/value head",
       {{"dim", "8"}, {"seq_len", "6"}, {"k", "4"}, {"heads", "2"}, {"sharing", "none"}, {"one_kv_head", "true"}},
       per_head, {{"input", LOOM_DTYPE_F32, {2, 6, 8}}}},
      {"input longer than seq_len", {{"dim", "8"}, {"seq_len", "6"}, {"k", "4"}, {"heads", "2"}}, headwise,
       {{"input", LOOM_DTYPE_F32, {2, 7, 8}}}, false, true},
  };
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
