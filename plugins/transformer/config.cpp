#include "config.hpp"

namespace loom::transformer {

namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

std::vector<sdk::OptionSpec> layer_options() {
  return {
      {"d_model", LOOM_OPTION_INT, std::nullopt, "model dim E", ""},
      {"nhead", LOOM_OPTION_INT, std::nullopt, "attention heads; must divide d_model", ""},
      {"dim_feedforward", LOOM_OPTION_INT, std::string("2048"), "hidden size of the feed-forward block", ""},
      {"activation", LOOM_OPTION_ENUM, std::string("relu"), "feed-forward activation (gelu: exact erf form)",
       "relu|gelu"},
      {"layer_norm_eps", LOOM_OPTION_FLOAT, std::string("1e-05"), "layer norm epsilon", ""},
      {"batch_first", LOOM_OPTION_BOOL, std::string("false"), "sequences are [N, T, E] instead of [T, N, E]", ""},
      {"norm_first", LOOM_OPTION_BOOL, std::string("false"),
       "pre-norm (x + f(norm(x))) instead of post-norm (norm(x + f(x)))", ""},
      {"block_size", LOOM_OPTION_INT, std::string("128"),
       "queries per attention block: scratch is O(block_size x S) per batch item and head", ""},
  };
}

LayerConfig LayerConfig::read(const sdk::Options& o) {
  LayerConfig c;
  c.d_model = attention::int_at_least(o, "d_model", 1);
  c.nhead = attention::int_at_least(o, "nhead", 1);
  c.dim_feedforward = attention::int_at_least(o, "dim_feedforward", 1);
  c.activation = o.get_string("activation") == "gelu" ? LOOM_UNARY_GELU : LOOM_UNARY_RELU;
  c.layer_norm_eps = static_cast<float>(o.get_float("layer_norm_eps"));
  if (!(c.layer_norm_eps > 0.0f))
    throw sdk::invalid_argument("option 'layer_norm_eps' must be > 0, got " + o.get_string("layer_norm_eps"));
  c.batch_first = o.get_bool("batch_first");
  c.norm_first = o.get_bool("norm_first");
  c.block_size = attention::int_at_least(o, "block_size", 1);
  if (c.d_model % c.nhead != 0)
    throw sdk::invalid_argument("d_model " + str(c.d_model) + " is not divisible by nhead " + str(c.nhead));
  return c;
}

sdk::Buffer require_weight(const sdk::LayerInit& init, const std::string& name, const Shape& shape) {
  if (!init.has_weight(name))
    throw sdk::not_found("missing weight '" + name + "' " + sdk::shape_string(shape));
  return init.upload(name, shape);
}

void check_sequence(const View& x, const char* name, int64_t d_model, bool batch_first) {
  attention::require_f32(x, name);
  if (x.ndim() != 3 || x.dim(2) != d_model)
    throw sdk::invalid_argument("input '" + std::string(name) + "' has shape " + x.shape_str() + ", expected " +
                                (batch_first ? "[N, T, d_model]" : "[T, N, d_model]") + " with d_model = " +
                                str(d_model));
}

attention::MaskTerm padding_term(const View& m, const char* name, int64_t n, int64_t s) {
  attention::require_mask_dtype(m, name);
  if (m.shape() != Shape{n, s})
    throw sdk::invalid_argument("input '" + std::string(name) + "' has shape " + m.shape_str() +
                                ", expected [N, S] = [" + str(n) + ", " + str(s) + "]");
  return {restride(m, {n, 1, 1, s}, {m.stride(0), 0, 0, m.stride(1)}), name};
}

}  // namespace loom::transformer
