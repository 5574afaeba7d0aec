#include "longformer_layer.hpp"

#include <string>
#include <utility>
#include <vector>

namespace loom::longformer {

using attention::View;

namespace {

attention::LongformerConfig read_config(const sdk::Options& o) {
  attention::LongformerConfig c;
  c.dim = attention::int_at_least(o, "hidden_size", 1);
  c.heads = attention::int_at_least(o, "num_attention_heads", 1);
  c.window = o.get_int("attention_window");
  c.block_size = attention::int_at_least(o, "block_size", 1);
  if (c.dim % c.heads != 0)
    throw sdk::invalid_argument("hidden_size " + std::to_string(c.dim) + " is not divisible by num_attention_heads " +
                                std::to_string(c.heads));
  return c;
}

}  // namespace

sdk::LayerSpec LongformerSelfAttention::spec() {
  sdk::LayerSpec s;
  s.type = "longformer_self_attention";
  s.description =
      "Hugging Face LongformerSelfAttention (inference): sliding-window attention plus global attention for tokens "
      "marked in global_attention_mask, O(n w) memory; weights query, key, value, query_global, key_global, "
      "value_global (.weight, .bias); no output projection (Hugging Face keeps it in LongformerSelfOutput)";
  s.options = {
      {"hidden_size", LOOM_OPTION_INT, std::nullopt, "model features E (input and output)", ""},
      {"num_attention_heads", LOOM_OPTION_INT, std::nullopt, "attention heads; must divide hidden_size", ""},
      {"attention_window", LOOM_OPTION_INT, std::string("512"),
       "total window w, even: each token attends to w/2 tokens on each side (Hugging Face's convention)", ""},
      {"block_size", LOOM_OPTION_INT, std::string("64"),
       "queries per chunk, at most (the chunk is the largest divisor of attention_window / 2 not above it): each chunk "
       "scores c + w keys",
       ""},
  };
  s.inputs = {"hidden_states", "attention_mask", "global_attention_mask"};
  s.outputs = {"output", "attention", "global_attention"};
  // Sample uses for `loom check-plugin`: a window of 4 over 7 positions (not a
  // multiple of the window), with padding and global tokens.
  std::vector<sdk::ExampleTensor> weights;
  for (const char* n : {"query", "key", "value", "query_global", "key_global", "value_global"}) {
    weights.push_back({std::string(n) + ".weight", LOOM_DTYPE_F32, {8, 8}});
    weights.push_back({std::string(n) + ".bias", LOOM_DTYPE_F32, {8}});
  }
  const std::vector<std::pair<std::string, std::string>> options = {
      {"hidden_size", "8"}, {"num_attention_heads", "2"}, {"attention_window", "4"}};
  s.examples = {
      {"padding and global tokens, weights returned", options, weights,
       {{"hidden_states", LOOM_DTYPE_F32, {2, 7, 8}},
        {"attention_mask", LOOM_DTYPE_BOOL, {2, 7}},
        {"global_attention_mask", LOOM_DTYPE_BOOL, {2, 7}}},
       true},
      {"local attention only", options, weights, {{"hidden_states", LOOM_DTYPE_F32, {2, 7, 8}}}},
      {"hidden_states' last dim is not hidden_size", options, weights, {{"hidden_states", LOOM_DTYPE_F32, {2, 7, 6}}},
       false, true},
  };
  return s;
}

LongformerSelfAttention::LongformerSelfAttention(sdk::LayerInit& init) : attn_(init, "", read_config(init.options())) {}

void LongformerSelfAttention::forward(sdk::ForwardContext& ctx) const {
  const auto& c = attn_.config();
  const View x = ctx.input("hidden_states");
  attention::require_f32(x, "hidden_states");
  if (x.ndim() != 3 || x.dim(2) != c.dim)
    throw sdk::invalid_argument("input 'hidden_states' has shape " + x.shape_str() +
                                ", expected [N, L, hidden_size] with hidden_size = " + std::to_string(c.dim));
  const int64_t n = x.dim(0), length = x.dim(1);
  const attention::LongformerTokens tokens = attention::LongformerTokens::read(
      n, length, ctx.find_input("attention_mask"), "attention_mask", /*pad_when_zero=*/true,
      ctx.find_input("global_attention_mask"), "global_attention_mask");
  attention::LongformerAttention::Io io;
  io.x = x;
  io.tokens = &tokens;
  io.dst = ctx.output("output", LOOM_DTYPE_F32, x.shape());
  View att, global;
  if (ctx.want_attention()) {
    const int64_t g = tokens.max_global();
    att = ctx.output("attention", LOOM_DTYPE_F32, {n, c.heads, length, g + c.window + 1});
    global = ctx.output("global_attention", LOOM_DTYPE_F32, {n, c.heads, g, length});
    io.attention = &att;
    io.global_attention = &global;
  }
  attn_.run(ctx.ops(), io);
}

}  // namespace loom::longformer
