#include "luong.hpp"

#include <string>

#include "decoder_attention.hpp"

namespace loom::attention {

namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

sdk::LayerSpec Luong::spec() {
  sdk::LayerSpec s;
  s.type = "luong";
  s.description =
      "multiplicative attention: score dot (s . h), general (s^T W h; 'W.weight' [Dq, Dk]) or concat (v^T tanh(W "
      "[s; h]); 'W.weight' [A, Dq + Dk], 'v.weight' [1, A], + 'W.bias' [A] with bias=true)";
  s.options = decoder_options();
  s.options.push_back({"score", LOOM_OPTION_ENUM, std::string("dot"), "score function", "dot|general|concat"});
  s.options.push_back(
      {"attention_size", LOOM_OPTION_INT, std::string("0"), "hidden size A of the concat score (concat only)", ""});
  s.options.push_back({"bias", LOOM_OPTION_BOOL, std::string("false"), "concat's W has a bias 'W.bias'", ""});
  s.inputs = {"query", "keys", "values", "key_padding_mask"};
  s.outputs = {"output", "attention"};
  // Sample uses for `loom check-plugin`: each score function.
  s.examples = {
      {"dot, one step, weights returned", {{"query_size", "5"}, {"key_size", "5"}}, {},
       {{"query", LOOM_DTYPE_F32, {2, 5}}, {"keys", LOOM_DTYPE_F32, {2, 4, 5}}}, true},
      {"general, decoder steps, padding mask", {{"query_size", "6"}, {"key_size", "5"}, {"score", "general"}},
       {{"W.weight", LOOM_DTYPE_F32, {6, 5}}},
       {{"query", LOOM_DTYPE_F32, {2, 3, 6}}, {"keys", LOOM_DTYPE_F32, {2, 4, 5}},
        {"key_padding_mask", LOOM_DTYPE_BOOL, {2, 4}}}},
      {"concat with bias",
       {{"query_size", "6"}, {"key_size", "5"}, {"score", "concat"}, {"attention_size", "7"}, {"bias", "true"}},
       {{"W.weight", LOOM_DTYPE_F32, {7, 11}}, {"W.bias", LOOM_DTYPE_F32, {7}}, {"v.weight", LOOM_DTYPE_F32, {1, 7}}},
       {{"query", LOOM_DTYPE_F32, {2, 3, 6}}, {"keys", LOOM_DTYPE_F32, {2, 4, 5}}, {"values", LOOM_DTYPE_F32, {2, 4, 2}}}},
      {"keys' last dim is not key_size", {{"query_size", "5"}, {"key_size", "5"}}, {},
       {{"query", LOOM_DTYPE_F32, {2, 5}}, {"keys", LOOM_DTYPE_F32, {2, 4, 3}}}, false, true},
  };
  return s;
}

Luong::Luong(sdk::LayerInit& init)
    : score_(Score::dot),
      query_size_(int_at_least(init.options(), "query_size", 1)),
      key_size_(int_at_least(init.options(), "key_size", 1)),
      attention_size_(int_at_least(init.options(), "attention_size", 0)),
      block_size_(int_at_least(init.options(), "block_size", 1)) {
  const std::string score = init.options().get_string("score");
  const bool bias = init.options().get_bool("bias");
  const sdk::Ops& ops = init.ops();
  const int64_t dq = query_size_, dk = key_size_, a = attention_size_;
  if (score == "dot") {
    if (dq != dk)
      throw sdk::invalid_argument("score 'dot' needs query_size = key_size, got " + str(dq) + " and " + str(dk) +
                                  " (use score 'general' to map between them)");
  } else if (score == "general") {
    score_ = Score::general;
    // s^T W is a product with W^T: W [Dq, Dk] read as [out = Dk, in = Dq] transposed.
    sdk::Buffer w = init.upload("W.weight", {dq, dk});
    query_proj_ = Projection(ops, w.view().transpose(0, 1), nullptr);
  } else if (score == "concat") {
    score_ = Score::concat;
    if (a < 1) throw sdk::invalid_argument("score 'concat' needs option attention_size >= 1, got " + str(a));
    // W [s; h] = W[:, :Dq] s + W[:, Dq:] h: two products, keys done once per call.
    sdk::Buffer w = init.upload("W.weight", {a, dq + dk});
    sdk::Buffer b;
    if (bias) b = init.upload("W.bias", {a});
    query_proj_ = Projection(ops, w.view().slice(1, 0, dq), bias ? &b.view() : nullptr);
    key_proj_ = Projection(ops, w.view().slice(1, dq, dq + dk), nullptr);
    v_ = init.upload("v.weight", {1, a});
  } else {
    throw sdk::invalid_argument("option 'score' must be dot, general or concat, got '" + score + "'");
  }
}

void Luong::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  const DecoderInputs in = read_decoder_inputs(ctx, query_size_, key_size_);
  if (score_ == Score::concat) {
    sdk::Buffer qa = ops.empty(LOOM_DTYPE_F32, {in.n, in.t, attention_size_});
    sdk::Buffer ka = ops.empty(LOOM_DTYPE_F32, {in.n, in.s, attention_size_});
    query_proj_.apply(ops, in.query, qa.view());
    key_proj_.apply(ops, in.keys, ka.view());
    return run_decoder_attention(
        ctx, in,
        [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
          additive_scores(ops, qa.view(), ka.view(), v_.view(), i0, i1, kend, dst);
        },
        block_size_);
  }
  View q = in.query;
  sdk::Buffer projected;
  if (score_ == Score::general) {
    projected = ops.empty(LOOM_DTYPE_F32, {in.n, in.t, key_size_});
    query_proj_.apply(ops, in.query, projected.view());
    q = projected.view();
  }
  run_decoder_attention(
      ctx, in,
      [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
        sdk::MatmulArgs m;
        m.transpose_b = true;
        ops.matmul(q.slice(1, i0, i1), in.keys.slice(1, 0, kend), nullptr, dst, m);
      },
      block_size_);
}

}  // namespace loom::attention
