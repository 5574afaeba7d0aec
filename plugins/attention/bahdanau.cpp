#include "bahdanau.hpp"

#include "decoder_attention.hpp"

namespace loom::attention {

sdk::LayerSpec Bahdanau::spec() {
  sdk::LayerSpec s;
  s.type = "bahdanau";
  s.description =
      "additive attention e_j = v^T tanh(W s + U h_j); weights 'W.weight' [A, Dq], 'U.weight' [A, Dk], 'v.weight' "
      "[1, A] (+ 'W.bias', 'U.bias' [A] with bias=true)";
  s.options = decoder_options();
  s.options.push_back({"attention_size", LOOM_OPTION_INT, std::nullopt, "hidden size A of the scoring network", ""});
  s.options.push_back({"bias", LOOM_OPTION_BOOL, std::string("false"), "W and U have biases 'W.bias', 'U.bias'", ""});
  s.inputs = {"query", "keys", "values", "key_padding_mask"};
  s.outputs = {"output", "attention"};
  // Sample uses for `loom check-plugin`.
  const std::vector<std::pair<std::string, std::string>> options = {
      {"query_size", "6"}, {"key_size", "5"}, {"attention_size", "7"}, {"bias", "true"}, {"block_size", "2"}};
  const std::vector<sdk::ExampleTensor> weights = {
      {"W.weight", LOOM_DTYPE_F32, {7, 6}}, {"W.bias", LOOM_DTYPE_F32, {7}}, {"U.weight", LOOM_DTYPE_F32, {7, 5}},
      {"U.bias", LOOM_DTYPE_F32, {7}}, {"v.weight", LOOM_DTYPE_F32, {1, 7}}};
  s.examples = {
      {"decoder steps, values, padding mask, weights returned", options, weights,
       {{"query", LOOM_DTYPE_F32, {2, 3, 6}}, {"keys", LOOM_DTYPE_F32, {2, 4, 5}}, {"values", LOOM_DTYPE_F32, {2, 4, 3}},
        {"key_padding_mask", LOOM_DTYPE_BOOL, {2, 4}}},
       true},
      {"one step", options, weights, {{"query", LOOM_DTYPE_F32, {2, 6}}, {"keys", LOOM_DTYPE_F32, {2, 4, 5}}}},
      {"query's last dim is not query_size", options, weights,
       {{"query", LOOM_DTYPE_F32, {2, 5}}, {"keys", LOOM_DTYPE_F32, {2, 4, 5}}}, false, true},
  };
  return s;
}

Bahdanau::Bahdanau(sdk::LayerInit& init)
    : query_size_(int_at_least(init.options(), "query_size", 1)),
      key_size_(int_at_least(init.options(), "key_size", 1)),
      attention_size_(int_at_least(init.options(), "attention_size", 1)),
      block_size_(int_at_least(init.options(), "block_size", 1)) {
  const bool bias = init.options().get_bool("bias");
  const sdk::Ops& ops = init.ops();
  const int64_t a = attention_size_;
  {
    sdk::Buffer w = init.upload("W.weight", {a, query_size_});
    sdk::Buffer b;
    if (bias) b = init.upload("W.bias", {a});
    w_ = Projection(ops, w.view(), bias ? &b.view() : nullptr);
  }
  {
    sdk::Buffer u = init.upload("U.weight", {a, key_size_});
    sdk::Buffer b;
    if (bias) b = init.upload("U.bias", {a});
    u_ = Projection(ops, u.view(), bias ? &b.view() : nullptr);
  }
  v_ = init.upload("v.weight", {1, a});
}

void Bahdanau::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  const DecoderInputs in = read_decoder_inputs(ctx, query_size_, key_size_);
  // W s for every step and U h for every key, once per call.
  sdk::Buffer qa = ops.empty(LOOM_DTYPE_F32, {in.n, in.t, attention_size_});
  sdk::Buffer ka = ops.empty(LOOM_DTYPE_F32, {in.n, in.s, attention_size_});
  w_.apply(ops, in.query, qa.view());
  u_.apply(ops, in.keys, ka.view());
  run_decoder_attention(
      ctx, in,
      [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
        additive_scores(ops, qa.view(), ka.view(), v_.view(), i0, i1, kend, dst);
      },
      block_size_);
}

}  // namespace loom::attention
