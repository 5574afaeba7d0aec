#include "stacks.hpp"

#include <string>
#include <utility>
#include <vector>

namespace loom::transformer {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

std::vector<std::string> layer_prefixes(const std::string& base, int64_t n) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(base + "layers." + str(i) + ".");
  return out;
}

// Entry i of a [layers, ...] view, without its leading dim.
View layer_entry(const View& v, size_t i) {
  const View s = v.slice(0, static_cast<int64_t>(i), static_cast<int64_t>(i) + 1);
  Shape shape = s.shape(), strides = attention::strides_of(s);
  shape.erase(shape.begin());
  strides.erase(strides.begin());
  return restride(s, shape, strides);
}

sdk::OptionSpec causal_option(bool decoder) {
  return {"causal", LOOM_OPTION_BOOL, std::string(decoder ? "true" : "false"),
          decoder ? "target position i attends to positions <= i (torch's square subsequent tgt_mask)"
                  : "position i attends to positions <= i (torch's is_causal)",
          ""};
}

// nn.Transformer's encoder: full attention only (linformer and longformer:
// transformer_encoder_layer and transformer_encoder).
sdk::OptionSpec attention_option() {
  return {"attention", LOOM_OPTION_ENUM, std::string("full"),
          "encoder self-attention kind: full (softmax over every key); linformer and longformer are options of "
          "transformer_encoder_layer and transformer_encoder",
          "full"};
}

std::vector<sdk::OptionSpec> decoder_options(bool stack) {
  std::vector<sdk::OptionSpec> o = layer_options();
  if (stack) o.push_back({"num_layers", LOOM_OPTION_INT, std::nullopt, "number of stacked layers", ""});
  o.push_back(causal_option(true));
  o.push_back({"incremental", LOOM_OPTION_BOOL, std::string("false"),
               "tgt holds only the new positions; the self-attention keys/values of earlier positions come in "
               "cache_key/cache_value [layers, N, P, d_model] and the grown cache goes out under the same names; "
               "the memory's cross-attention keys/values go out as memory_key/memory_value on a call without them "
               "and are passed back on later calls",
               ""});
  return o;
}

std::vector<sdk::OptionSpec> encoder_options(bool stack) {
  std::vector<sdk::OptionSpec> o = layer_options();
  if (stack) o.push_back({"num_layers", LOOM_OPTION_INT, std::nullopt, "number of stacked layers", ""});
  o.push_back(causal_option(false));
  for (auto& a : encoder_attention_options()) o.push_back(std::move(a));
  return o;
}

// Output `name` shaped as `x` (the caller's layout).
View output_like(sdk::ForwardContext& ctx, const char* name, const View& x) {
  return ctx.output(name, LOOM_DTYPE_F32, x.shape());
}

void run_encoder(sdk::ForwardContext& ctx, const LayerConfig& c, bool causal, const EncoderCore& core, bool stack) {
  const View src = ctx.input("src");
  check_sequence(src, "src", c.d_model, c.batch_first);
  const View s = to_batch_first(src, c.batch_first);
  const int64_t n = s.dim(0), t = s.dim(1), layers = static_cast<int64_t>(core.num_layers());
  const EncoderAttentionConfig& a = core.attention_config();
  const View* kpm = ctx.find_input("src_key_padding_mask");
  const View* global = ctx.find_input("global_attention_mask");
  if (global && a.kind != AttentionKind::longformer)
    throw sdk::invalid_argument("input 'global_attention_mask' needs option attention = longformer");
  std::optional<attention::LongformerTokens> tokens;
  if (a.kind == AttentionKind::longformer)
    tokens = attention::LongformerTokens::read(n, t, kpm, "src_key_padding_mask", /*pad_when_zero=*/false, global,
                                               "global_attention_mask");
  const int64_t g = tokens ? tokens->max_global() : 0;
  const View out = to_batch_first(output_like(ctx, "output", src), c.batch_first);
  View att, gatt;
  if (ctx.want_attention()) {
    Shape shape = {n, c.nhead, t, a.attention_columns(t, g)};
    if (stack) shape.insert(shape.begin(), layers);
    att = ctx.output("attention", LOOM_DTYPE_F32, shape);
    if (!stack) att = unsqueeze(att, 0);
    if (tokens) {
      Shape gs = {n, c.nhead, g, t};
      if (stack) gs.insert(gs.begin(), layers);
      gatt = ctx.output("global_attention", LOOM_DTYPE_F32, gs);
      if (!stack) gatt = unsqueeze(gatt, 0);
    }
  }
  core.run(ctx.ops(), s, kpm, causal, out, ctx.want_attention() ? &att : nullptr, tokens ? &*tokens : nullptr,
           ctx.want_attention() && tokens ? &gatt : nullptr);
}

void run_decoder(sdk::ForwardContext& ctx, const LayerConfig& c, bool causal, bool incremental,
                 const DecoderCore& core, bool stack) {
  const View tgt = ctx.input("tgt"), memory = ctx.input("memory");
  check_sequence(tgt, "tgt", c.d_model, c.batch_first);
  check_sequence(memory, "memory", c.d_model, c.batch_first);
  DecoderCore::Io io;
  io.tgt = to_batch_first(tgt, c.batch_first);
  io.memory = to_batch_first(memory, c.batch_first);
  const int64_t n = io.tgt.dim(0), t = io.tgt.dim(1), s = io.memory.dim(1);
  const int64_t layers = static_cast<int64_t>(core.num_layers());
  if (io.memory.dim(0) != n)
    throw sdk::invalid_argument("inputs 'tgt' " + tgt.shape_str() + " and 'memory' " + memory.shape_str() +
                                " have different batch sizes");
  io.tgt_kpm = ctx.find_input("tgt_key_padding_mask");
  io.memory_kpm = ctx.find_input("memory_key_padding_mask");
  io.causal = causal;
  io.incremental = incremental;
  int64_t past = 0;
  if (incremental) {
    io.cache_key = ctx.find_input("cache_key");
    io.cache_value = ctx.find_input("cache_value");
    if (!io.cache_key != !io.cache_value)
      throw sdk::invalid_argument("inputs 'cache_key' and 'cache_value' come together (both or neither)");
    if (io.cache_key) {
      for (const View* v : {io.cache_key, io.cache_value}) {
        attention::require_f32(*v, v == io.cache_key ? "cache_key" : "cache_value");
        if (v->ndim() != 4 || v->dim(0) != layers || v->dim(1) != n || v->dim(3) != c.d_model ||
            v->dim(2) != io.cache_key->dim(2))
          throw sdk::invalid_argument(std::string("input '") + (v == io.cache_key ? "cache_key" : "cache_value") +
                                      "' has shape " + v->shape_str() + ", expected [layers, N, P, d_model] = [" +
                                      str(layers) + ", " + str(n) + ", P, " + str(c.d_model) +
                                      "] as returned by the previous step");
      }
      past = io.cache_key->dim(2);
    }
    io.key_out = ctx.output("cache_key", LOOM_DTYPE_F32, {layers, n, past + t, c.d_model});
    io.value_out = ctx.output("cache_value", LOOM_DTYPE_F32, {layers, n, past + t, c.d_model});
    io.memory_key = ctx.find_input("memory_key");
    io.memory_value = ctx.find_input("memory_value");
    if (!io.memory_key != !io.memory_value)
      throw sdk::invalid_argument("inputs 'memory_key' and 'memory_value' come together (both or neither)");
    if (io.memory_key) {
      for (const View* v : {io.memory_key, io.memory_value}) {
        const char* what = v == io.memory_key ? "memory_key" : "memory_value";
        attention::require_f32(*v, what);
        if (v->shape() != Shape{layers, n, s, c.d_model})
          throw sdk::invalid_argument(std::string("input '") + what + "' has shape " + v->shape_str() +
                                      ", expected [layers, N, S, d_model] = [" + str(layers) + ", " + str(n) + ", " +
                                      str(s) + ", " + str(c.d_model) + "] as returned by the first step");
      }
    } else {
      io.memory_key_out = ctx.output("memory_key", LOOM_DTYPE_F32, {layers, n, s, c.d_model});
      io.memory_value_out = ctx.output("memory_value", LOOM_DTYPE_F32, {layers, n, s, c.d_model});
    }
  } else {
    for (const char* name : {"cache_key", "cache_value", "memory_key", "memory_value"})
      if (ctx.find_input(name))
        throw sdk::invalid_argument(std::string("input '") + name + "' needs option incremental = true");
  }
  io.dst = to_batch_first(output_like(ctx, "output", tgt), c.batch_first);
  View sa, ca;
  if (ctx.want_attention()) {
    Shape ss = {n, c.nhead, t, past + t}, cs = {n, c.nhead, t, s};
    if (stack) ss.insert(ss.begin(), layers), cs.insert(cs.begin(), layers);
    sa = ctx.output("self_attention", LOOM_DTYPE_F32, ss);
    ca = ctx.output("cross_attention", LOOM_DTYPE_F32, cs);
    if (!stack) sa = unsqueeze(sa, 0), ca = unsqueeze(ca, 0);
    io.self_attention = &sa;
    io.cross_attention = &ca;
  }
  core.run(ctx.ops(), io);
}

// Weights for `loom check-plugin` examples: d_model 8, dim_feedforward 16,
// under prefix p (torch's names; the self-attention ones follow `attention`).
constexpr int64_t kExampleE = 8, kExampleF = 16;

void add_example(std::vector<sdk::ExampleTensor>& w, const std::string& name, const Shape& shape) {
  w.push_back({name, LOOM_DTYPE_F32, shape, -0.5, 0.5});
}

void add_example_mha(std::vector<sdk::ExampleTensor>& w, const std::string& p) {
  const int64_t e = kExampleE;
  add_example(w, p + "in_proj_weight", {3 * e, e});
  add_example(w, p + "in_proj_bias", {3 * e});
  add_example(w, p + "out_proj.weight", {e, e});
  add_example(w, p + "out_proj.bias", {e});
}

void add_example_ff_norms(std::vector<sdk::ExampleTensor>& w, const std::string& p, int norms) {
  const int64_t e = kExampleE, f = kExampleF;
  add_example(w, p + "linear1.weight", {f, e});
  add_example(w, p + "linear1.bias", {f});
  add_example(w, p + "linear2.weight", {e, f});
  add_example(w, p + "linear2.bias", {e});
  for (int i = 1; i <= norms; ++i) {
    add_example(w, p + "norm" + std::to_string(i) + ".weight", {e});
    add_example(w, p + "norm" + std::to_string(i) + ".bias", {e});
  }
}

// attention: full, linformer (linformer_seq_len 6, linformer_k 4, headwise)
// or longformer.
std::vector<sdk::ExampleTensor> example_encoder_weights(const std::string& p, const std::string& attention = "full") {
  const int64_t e = kExampleE;
  std::vector<sdk::ExampleTensor> w;
  const std::string a = p + "self_attn.";
  if (attention == "linformer") {
    for (const char* n : {"to_q.weight", "to_k.weight", "to_v.weight", "to_out.weight"}) add_example(w, a + n, {e, e});
    add_example(w, a + "to_out.bias", {e});
    add_example(w, a + "proj_k", {6, 4});
    add_example(w, a + "proj_v", {6, 4});
  } else if (attention == "longformer") {
    for (const char* n : {"query", "key", "value", "query_global", "key_global", "value_global", "out_proj"}) {
      add_example(w, a + n + ".weight", {e, e});
      add_example(w, a + n + ".bias", {e});
    }
  } else {
    add_example_mha(w, a);
  }
  add_example_ff_norms(w, p, 2);
  return w;
}

std::vector<sdk::ExampleTensor> example_decoder_weights(const std::string& p) {
  std::vector<sdk::ExampleTensor> w;
  add_example_mha(w, p + "self_attn.");
  add_example_mha(w, p + "multihead_attn.");
  add_example_ff_norms(w, p, 3);
  return w;
}

void add_example_norm(std::vector<sdk::ExampleTensor>& w, const std::string& p) {
  add_example(w, p + "weight", {kExampleE});
  add_example(w, p + "bias", {kExampleE});
}

}  // namespace

// ---------------------------------------------------------------- cores

EncoderCore::EncoderCore(const sdk::LayerInit& init, const LayerConfig& c, const std::vector<std::string>& prefixes,
                         const std::string& norm_prefix, const EncoderAttentionConfig& a)
    : c_(c), a_(a) {
  blocks_.reserve(prefixes.size());  // stable addresses: later blocks may share the first one's projection
  for (const auto& p : prefixes) blocks_.emplace_back(init, p, c, a, blocks_.empty() ? nullptr : &blocks_.front());
  // The final norm is there when its weights are (nn.TransformerEncoder's
  // norm=None stores none).
  if (!norm_prefix.empty() && init.has_weight(norm_prefix + "weight"))
    norm_.emplace(init, norm_prefix, c.d_model, c.layer_norm_eps);
}

void EncoderCore::run(const sdk::Ops& ops, const View& src, const View* src_kpm, bool causal, const View& dst,
                      const View* attention, const attention::LongformerTokens* tokens,
                      const View* global_attention) const {
  const int64_t n = src.dim(0), t = src.dim(1);
  sdk::Buffer xb = ops.empty(LOOM_DTYPE_F32, {n, t, c_.d_model});
  const View x = xb.view();
  ops.copy(src, x);
  EncoderPass pass;
  if (src_kpm) {
    if (a_.kind == AttentionKind::full)
      pass.masks.push_back(padding_term(*src_kpm, "src_key_padding_mask", n, t));
    else
      pass.padding = src_kpm;  // linformer zeroes padded keys; longformer has it in `tokens`
  }
  pass.causal = causal;
  pass.tokens = tokens;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    View w, gw;
    if (attention) w = layer_entry(*attention, i);
    if (global_attention) gw = layer_entry(*global_attention, i);
    pass.weights = attention ? &w : nullptr;
    pass.global_weights = global_attention ? &gw : nullptr;
    blocks_[i].run(ops, x, pass);
  }
  if (norm_)
    norm_->apply(ops, x, dst);
  else
    ops.copy(x, dst);
}

DecoderCore::DecoderCore(const sdk::LayerInit& init, const LayerConfig& c, const std::vector<std::string>& prefixes,
                         const std::string& norm_prefix)
    : c_(c) {
  blocks_.reserve(prefixes.size());
  for (const auto& p : prefixes) blocks_.emplace_back(init, p, c);
  if (!norm_prefix.empty() && init.has_weight(norm_prefix + "weight"))
    norm_.emplace(init, norm_prefix, c.d_model, c.layer_norm_eps);
}

void DecoderCore::run(const sdk::Ops& ops, const Io& io) const {
  const int64_t n = io.tgt.dim(0), t = io.tgt.dim(1), s = io.memory.dim(1);
  const int64_t past = io.cache_key ? io.cache_key->dim(2) : 0;
  sdk::Buffer xb = ops.empty(LOOM_DTYPE_F32, {n, t, c_.d_model});
  const View x = xb.view();
  ops.copy(io.tgt, x);
  DecoderPass pass;
  pass.memory = io.memory;
  if (io.tgt_kpm) pass.self_masks.push_back(padding_term(*io.tgt_kpm, "tgt_key_padding_mask", n, past + t));
  if (io.memory_kpm) pass.memory_masks.push_back(padding_term(*io.memory_kpm, "memory_key_padding_mask", n, s));
  pass.causal = io.causal;
  pass.incremental = io.incremental;
  sdk::Buffer empty;
  if (io.incremental && !io.cache_key) {
    empty = ops.empty(LOOM_DTYPE_F32, {n, 0, c_.d_model});
  }
  for (size_t i = 0; i < blocks_.size(); ++i) {
    View sw, cw;
    if (io.self_attention) sw = layer_entry(*io.self_attention, i), cw = layer_entry(*io.cross_attention, i);
    pass.self_weights = io.self_attention ? &sw : nullptr;
    pass.cross_weights = io.cross_attention ? &cw : nullptr;
    if (io.incremental) {
      pass.past_key = io.cache_key ? layer_entry(*io.cache_key, i) : empty.view();
      pass.past_value = io.cache_value ? layer_entry(*io.cache_value, i) : empty.view();
      pass.key_out = layer_entry(io.key_out, i);
      pass.value_out = layer_entry(io.value_out, i);
      pass.have_memory_kv = io.memory_key != nullptr;
      if (io.memory_key) {
        pass.memory_key = layer_entry(*io.memory_key, i);
        pass.memory_value = layer_entry(*io.memory_value, i);
      } else {
        pass.memory_key_out = layer_entry(io.memory_key_out, i);
        pass.memory_value_out = layer_entry(io.memory_value_out, i);
      }
    }
    blocks_[i].run(ops, x, pass);
  }
  if (norm_)
    norm_->apply(ops, x, io.dst);
  else
    ops.copy(x, io.dst);
}

// ---------------------------------------------------------------- layers

sdk::LayerSpec TransformerEncoderLayer::spec() {
  sdk::LayerSpec s;
  s.type = "transformer_encoder_layer";
  s.description =
      "torch.nn.TransformerEncoderLayer (inference): self_attn.in_proj_weight/in_proj_bias, "
      "self_attn.out_proj.weight/bias, linear1.*, linear2.*, norm1.*, norm2.*; with attention linformer or "
      "longformer the self_attn.* weights are those of that attention (docs/layers/transformer.md)";
  s.options = encoder_options(false);
  s.inputs = {"src", "src_key_padding_mask", "global_attention_mask"};
  s.outputs = {"output", "attention", "global_attention"};
  // Sample uses for `loom check-plugin`: each attention kind; longformer on a
  // length that is not a multiple of its window.
  const std::vector<std::pair<std::string, std::string>> dims = {
      {"d_model", "8"}, {"nhead", "2"}, {"dim_feedforward", "16"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    extra.insert(extra.begin(), dims.begin(), dims.end());
    return extra;
  };
  s.examples = {
      {"full attention, key padding mask, weights returned", with({{"block_size", "2"}}), example_encoder_weights(""),
       {{"src", LOOM_DTYPE_F32, {6, 2, 8}}, {"src_key_padding_mask", LOOM_DTYPE_BOOL, {2, 6}}},
       true},
      {"linformer attention, batch first",
       with({{"attention", "linformer"}, {"linformer_seq_len", "6"}, {"linformer_k", "4"}, {"batch_first", "true"}}),
       example_encoder_weights("", "linformer"), {{"src", LOOM_DTYPE_F32, {2, 6, 8}}}},
      {"longformer attention, window 4, 7 positions, global tokens, pre-norm, gelu, weights returned",
       with({{"attention", "longformer"}, {"attention_window", "4"}, {"norm_first", "true"}, {"activation", "gelu"}}),
       example_encoder_weights("", "longformer"),
       {{"src", LOOM_DTYPE_F32, {7, 2, 8}}, {"global_attention_mask", LOOM_DTYPE_BOOL, {2, 7}}},
       true},
      {"src's last dim is not d_model", dims, example_encoder_weights(""), {{"src", LOOM_DTYPE_F32, {6, 2, 6}}}, false,
       true},
  };
  return s;
}

TransformerEncoderLayer::TransformerEncoderLayer(sdk::LayerInit& init)
    : c_(LayerConfig::read(init.options())),
      causal_(init.options().get_bool("causal")),
      core_(init, c_, {""}, "", EncoderAttentionConfig::read(init.options(), c_, causal_)) {}

void TransformerEncoderLayer::forward(sdk::ForwardContext& ctx) const { run_encoder(ctx, c_, causal_, core_, false); }

sdk::LayerSpec TransformerEncoder::spec() {
  sdk::LayerSpec s;
  s.type = "transformer_encoder";
  s.description =
      "torch.nn.TransformerEncoder (inference): num_layers encoder layers with weights under layers.{i}. and the "
      "final norm norm.weight/norm.bias when present; 'attention' is [num_layers, N, nhead, T, T] (full attention)";
  s.options = encoder_options(true);
  s.inputs = {"src", "src_key_padding_mask", "global_attention_mask"};
  s.outputs = {"output", "attention", "global_attention"};
  // Sample use for `loom check-plugin`: two layers and the final norm.
  std::vector<sdk::ExampleTensor> weights = example_encoder_weights("layers.0.");
  for (auto& w : example_encoder_weights("layers.1.")) weights.push_back(std::move(w));
  add_example_norm(weights, "norm.");
  s.examples = {
      {"2 layers, final norm, causal, pre-norm, weights returned",
       {{"d_model", "8"},
        {"nhead", "2"},
        {"dim_feedforward", "16"},
        {"num_layers", "2"},
        {"causal", "true"},
        {"norm_first", "true"}},
       weights, {{"src", LOOM_DTYPE_F32, {6, 2, 8}}}, true},
  };
  return s;
}

TransformerEncoder::TransformerEncoder(sdk::LayerInit& init)
    : c_(LayerConfig::read(init.options())),
      causal_(init.options().get_bool("causal")),
      core_(init, c_, layer_prefixes("", attention::int_at_least(init.options(), "num_layers", 1)), "norm.",
            EncoderAttentionConfig::read(init.options(), c_, causal_)) {}

void TransformerEncoder::forward(sdk::ForwardContext& ctx) const { run_encoder(ctx, c_, causal_, core_, true); }

sdk::LayerSpec TransformerDecoderLayer::spec() {
  sdk::LayerSpec s;
  s.type = "transformer_decoder_layer";
  s.description =
      "torch.nn.TransformerDecoderLayer (inference): self_attn.*, multihead_attn.*, linear1.*, linear2.*, "
      "norm1..3.*; causal self-attention by default; incremental mode with an explicit key/value cache";
  s.options = decoder_options(false);
  s.inputs = {"tgt",       "memory",      "tgt_key_padding_mask", "memory_key_padding_mask",
              "cache_key", "cache_value", "memory_key",           "memory_value"};
  s.outputs = {"output", "self_attention", "cross_attention", "cache_key", "cache_value", "memory_key",
               "memory_value"};
  // Sample use for `loom check-plugin`.
  s.examples = {
      {"causal, memory padding mask, weights returned",
       {{"d_model", "8"}, {"nhead", "2"}, {"dim_feedforward", "16"}, {"block_size", "2"}}, example_decoder_weights(""),
       {{"tgt", LOOM_DTYPE_F32, {5, 2, 8}},
        {"memory", LOOM_DTYPE_F32, {6, 2, 8}},
        {"memory_key_padding_mask", LOOM_DTYPE_BOOL, {2, 6}}},
       true},
  };
  return s;
}

TransformerDecoderLayer::TransformerDecoderLayer(sdk::LayerInit& init)
    : c_(LayerConfig::read(init.options())),
      causal_(init.options().get_bool("causal")),
      incremental_(init.options().get_bool("incremental")),
      core_(init, c_, {""}, "") {}

void TransformerDecoderLayer::forward(sdk::ForwardContext& ctx) const {
  run_decoder(ctx, c_, causal_, incremental_, core_, false);
}

sdk::LayerSpec TransformerDecoder::spec() {
  sdk::LayerSpec s;
  s.type = "transformer_decoder";
  s.description =
      "torch.nn.TransformerDecoder (inference): num_layers decoder layers under layers.{i}. and the final norm "
      "norm.weight/norm.bias when present; incremental mode with an explicit key/value cache";
  s.options = decoder_options(true);
  s.inputs = {"tgt",       "memory",      "tgt_key_padding_mask", "memory_key_padding_mask",
              "cache_key", "cache_value", "memory_key",           "memory_value"};
  s.outputs = {"output", "self_attention", "cross_attention", "cache_key", "cache_value", "memory_key",
               "memory_value"};
  // Sample uses for `loom check-plugin`: two layers and the final norm, whole
  // and as an incremental step after 4 cached positions.
  std::vector<sdk::ExampleTensor> weights = example_decoder_weights("layers.0.");
  for (auto& w : example_decoder_weights("layers.1.")) weights.push_back(std::move(w));
  add_example_norm(weights, "norm.");
  const std::vector<std::pair<std::string, std::string>> dims = {
      {"d_model", "8"}, {"nhead", "2"}, {"dim_feedforward", "16"}, {"num_layers", "2"}, {"batch_first", "true"}};
  std::vector<std::pair<std::string, std::string>> incremental = dims;
  incremental.push_back({"incremental", "true"});
  s.examples = {
      {"2 layers, final norm, causal, weights returned", dims, weights,
       {{"tgt", LOOM_DTYPE_F32, {2, 5, 8}}, {"memory", LOOM_DTYPE_F32, {2, 6, 8}}}, true},
      {"incremental step with a cache", incremental, weights,
       {{"tgt", LOOM_DTYPE_F32, {2, 1, 8}},
        {"memory", LOOM_DTYPE_F32, {2, 6, 8}},
        {"cache_key", LOOM_DTYPE_F32, {2, 2, 4, 8}},
        {"cache_value", LOOM_DTYPE_F32, {2, 2, 4, 8}},
        {"memory_key", LOOM_DTYPE_F32, {2, 2, 6, 8}},
        {"memory_value", LOOM_DTYPE_F32, {2, 2, 6, 8}}}},
  };
  return s;
}

TransformerDecoder::TransformerDecoder(sdk::LayerInit& init)
    : c_(LayerConfig::read(init.options())),
      causal_(init.options().get_bool("causal")),
      incremental_(init.options().get_bool("incremental")),
      core_(init, c_, layer_prefixes("", attention::int_at_least(init.options(), "num_layers", 1)), "norm.") {}

void TransformerDecoder::forward(sdk::ForwardContext& ctx) const {
  run_decoder(ctx, c_, causal_, incremental_, core_, true);
}

sdk::LayerSpec Transformer::spec() {
  sdk::LayerSpec s;
  s.type = "transformer";
  s.description =
      "torch.nn.Transformer (inference): encoder.layers.{i}.*, encoder.norm.*, decoder.layers.{i}.*, "
      "decoder.norm.*; causal target self-attention by default (torch's tgt_mask = "
      "generate_square_subsequent_mask)";
  s.options = layer_options();
  s.options.push_back({"num_encoder_layers", LOOM_OPTION_INT, std::string("6"), "encoder layers", ""});
  s.options.push_back({"num_decoder_layers", LOOM_OPTION_INT, std::string("6"), "decoder layers", ""});
  s.options.push_back(attention_option());
  s.options.push_back(causal_option(true));
  s.inputs = {"src", "tgt", "src_key_padding_mask", "tgt_key_padding_mask", "memory_key_padding_mask"};
  s.outputs = {"output", "encoder_attention", "self_attention", "cross_attention"};
  // Sample use for `loom check-plugin`: one layer each side, both final norms.
  std::vector<sdk::ExampleTensor> weights = example_encoder_weights("encoder.layers.0.");
  add_example_norm(weights, "encoder.norm.");
  for (auto& w : example_decoder_weights("decoder.layers.0.")) weights.push_back(std::move(w));
  add_example_norm(weights, "decoder.norm.");
  s.examples = {
      {"1 + 1 layers, source padding mask, weights returned",
       {{"d_model", "8"},
        {"nhead", "2"},
        {"dim_feedforward", "16"},
        {"num_encoder_layers", "1"},
        {"num_decoder_layers", "1"}},
       weights,
       {{"src", LOOM_DTYPE_F32, {6, 2, 8}},
        {"tgt", LOOM_DTYPE_F32, {5, 2, 8}},
        {"src_key_padding_mask", LOOM_DTYPE_BOOL, {2, 6}}},
       true},
  };
  return s;
}

Transformer::Transformer(sdk::LayerInit& init)
    : c_(LayerConfig::read(init.options())),
      causal_(init.options().get_bool("causal")),
      encoder_(init, c_, layer_prefixes("encoder.", attention::int_at_least(init.options(), "num_encoder_layers", 1)),
               "encoder.norm."),
      decoder_(init, c_, layer_prefixes("decoder.", attention::int_at_least(init.options(), "num_decoder_layers", 1)),
               "decoder.norm.") {}

void Transformer::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  const View src = ctx.input("src"), tgt = ctx.input("tgt");
  check_sequence(src, "src", c_.d_model, c_.batch_first);
  check_sequence(tgt, "tgt", c_.d_model, c_.batch_first);
  const View s = to_batch_first(src, c_.batch_first);
  const int64_t n = s.dim(0), ls = s.dim(1);
  DecoderCore::Io io;
  io.tgt = to_batch_first(tgt, c_.batch_first);
  if (io.tgt.dim(0) != n)
    throw sdk::invalid_argument("inputs 'src' " + src.shape_str() + " and 'tgt' " + tgt.shape_str() +
                                " have different batch sizes");
  const int64_t lt = io.tgt.dim(1);
  View ea, sa, ca;
  const bool want = ctx.want_attention();
  if (want) {
    const int64_t h = c_.nhead;
    ea = ctx.output("encoder_attention", LOOM_DTYPE_F32,
                    {static_cast<int64_t>(encoder_.num_layers()), n, h, ls, ls});
    sa = ctx.output("self_attention", LOOM_DTYPE_F32, {static_cast<int64_t>(decoder_.num_layers()), n, h, lt, lt});
    ca = ctx.output("cross_attention", LOOM_DTYPE_F32, {static_cast<int64_t>(decoder_.num_layers()), n, h, lt, ls});
  }
  sdk::Buffer memory = ops.empty(LOOM_DTYPE_F32, {n, ls, c_.d_model});
  encoder_.run(ops, s, ctx.find_input("src_key_padding_mask"), false, memory.view(), want ? &ea : nullptr);
  io.memory = memory.view();
  io.tgt_kpm = ctx.find_input("tgt_key_padding_mask");
  io.memory_kpm = ctx.find_input("memory_key_padding_mask");
  io.causal = causal_;
  io.dst = to_batch_first(ctx.output("output", LOOM_DTYPE_F32, tgt.shape()), c_.batch_first);
  io.self_attention = want ? &sa : nullptr;
  io.cross_attention = want ? &ca : nullptr;
  decoder_.run(ops, io);
}

}  // namespace loom::transformer
