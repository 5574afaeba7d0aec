#include "positional.hpp"

#include <cmath>

namespace loom::transformer {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

std::vector<sdk::OptionSpec> position_options(const char* max_len_default, const char* max_len_doc) {
  return {
      {"d_model", LOOM_OPTION_INT, std::nullopt, "features per position", ""},
      {"max_len", LOOM_OPTION_INT, max_len_default ? std::optional<std::string>(max_len_default) : std::nullopt,
       max_len_doc, ""},
      {"batch_first", LOOM_OPTION_BOOL, std::string("false"), "input is [N, T, d_model] instead of [T, N, d_model]",
       ""},
      {"offset", LOOM_OPTION_INT, std::string("0"),
       "position of the first row (incremental decoding adds the rows of later steps)", ""},
  };
}

// input + table[offset .. offset + T) broadcast over the batch.
void add_positions(sdk::ForwardContext& ctx, const View& table, int64_t d_model, int64_t max_len, int64_t offset,
                   bool batch_first, const char* table_name) {
  const View x = ctx.input("input");
  attention::require_f32(x, "input");
  if (x.ndim() != 3 || x.dim(2) != d_model)
    throw sdk::invalid_argument("input has shape " + x.shape_str() + ", expected " +
                                (batch_first ? "[N, T, d_model]" : "[T, N, d_model]") + " with d_model = " +
                                str(d_model));
  const int64_t t = batch_first ? x.dim(1) : x.dim(0);
  if (offset + t > max_len)
    throw sdk::invalid_argument("sequence of " + str(t) + " positions" +
                                (offset ? " from offset " + str(offset) : std::string()) + " is longer than the " +
                                table_name + " of max_len = " + str(max_len) + " rows");
  const View out = ctx.output("output", LOOM_DTYPE_F32, x.shape());
  const View rows = table.slice(0, offset, offset + t);  // [T, d]
  const View pe = batch_first ? unsqueeze(rows, 0) : unsqueeze(rows, 1);
  ctx.ops().binary(LOOM_BINARY_ADD, x, pe, out);
}

}  // namespace

sdk::LayerSpec PositionalEncoding::spec() {
  sdk::LayerSpec s;
  s.type = "positional_encoding";
  s.description =
      "adds the sinusoidal encoding PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)) "
      "to a sequence; no weights";
  s.options = position_options("5000", "longest sequence (rows precomputed)");
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"batch first, from offset 3", {{"d_model", "8"}, {"max_len", "16"}, {"offset", "3"}, {"batch_first", "true"}},
       {}, {{"input", LOOM_DTYPE_F32, {2, 6, 8}}}},
      {"sequence longer than max_len", {{"d_model", "8"}, {"max_len", "4"}}, {}, {{"input", LOOM_DTYPE_F32, {6, 2, 8}}},
       false, true},
  };
  return s;
}

PositionalEncoding::PositionalEncoding(sdk::LayerInit& init)
    : d_model_(attention::int_at_least(init.options(), "d_model", 1)),
      max_len_(attention::int_at_least(init.options(), "max_len", 1)),
      offset_(attention::int_at_least(init.options(), "offset", 0)),
      batch_first_(init.options().get_bool("batch_first")) {
  std::vector<float> host(static_cast<size_t>(max_len_ * d_model_));
  for (int64_t pos = 0; pos < max_len_; ++pos)
    for (int64_t j = 0; j < d_model_; ++j) {
      const int64_t two_i = j - (j % 2);
      // Exactly the formula, in double, rounded once to f32.
      const double angle = static_cast<double>(pos) /
                           std::pow(10000.0, static_cast<double>(two_i) / static_cast<double>(d_model_));
      host[static_cast<size_t>(pos * d_model_ + j)] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  table_ = init.ops().empty(LOOM_DTYPE_F32, {max_len_, d_model_});
  init.ops().copy_from_host(table_.view(), host.data(), host.size() * sizeof(float));
}

void PositionalEncoding::forward(sdk::ForwardContext& ctx) const {
  add_positions(ctx, table_.view(), d_model_, max_len_, offset_, batch_first_, "sinusoidal table");
}

sdk::LayerSpec LearnedPositionalEmbedding::spec() {
  sdk::LayerSpec s;
  s.type = "learned_positional_embedding";
  s.description = "adds a learned position table 'weight' [max_len, d_model] to a sequence";
  s.options = position_options(nullptr, "rows of the learned table");
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"sequence first", {{"d_model", "8"}, {"max_len", "10"}}, {{"weight", LOOM_DTYPE_F32, {10, 8}}},
       {{"input", LOOM_DTYPE_F32, {6, 2, 8}}}},
      {"input's last dim is not d_model", {{"d_model", "8"}, {"max_len", "10"}}, {{"weight", LOOM_DTYPE_F32, {10, 8}}},
       {{"input", LOOM_DTYPE_F32, {6, 2, 5}}}, false, true},
  };
  return s;
}

LearnedPositionalEmbedding::LearnedPositionalEmbedding(sdk::LayerInit& init)
    : d_model_(attention::int_at_least(init.options(), "d_model", 1)),
      max_len_(attention::int_at_least(init.options(), "max_len", 1)),
      offset_(attention::int_at_least(init.options(), "offset", 0)),
      batch_first_(init.options().get_bool("batch_first")),
      table_(require_weight(init, "weight", {max_len_, d_model_})) {}

void LearnedPositionalEmbedding::forward(sdk::ForwardContext& ctx) const {
  add_positions(ctx, table_.view(), d_model_, max_len_, offset_, batch_first_, "learned position table");
}

sdk::LayerSpec TokenEmbedding::spec() {
  sdk::LayerSpec s;
  s.type = "token_embedding";
  s.description =
      "token ids (i32/i64, any shape) -> weight[ids] [..., d_model], times sqrt(d_model) when scale is on "
      "(Vaswani et al.); weight 'weight' [num_embeddings, d_model]";
  s.options = {
      {"num_embeddings", LOOM_OPTION_INT, std::nullopt, "vocabulary size", ""},
      {"d_model", LOOM_OPTION_INT, std::nullopt, "embedding size", ""},
      {"scale", LOOM_OPTION_BOOL, std::string("true"), "multiply by sqrt(d_model)", ""},
  };
  // Sample uses for `loom check-plugin`: ids drawn from [0, num_embeddings).
  s.examples = {
      {"i64 ids, scaled", {{"num_embeddings", "10"}, {"d_model", "8"}}, {{"weight", LOOM_DTYPE_F32, {10, 8}}},
       {{"input", LOOM_DTYPE_I64, {2, 6}, 0, 9}}},
      {"i32 ids, unscaled", {{"num_embeddings", "10"}, {"d_model", "8"}, {"scale", "false"}},
       {{"weight", LOOM_DTYPE_F32, {10, 8}}}, {{"input", LOOM_DTYPE_I32, {6}, 0, 9}}},
      {"id out of range", {{"num_embeddings", "10"}, {"d_model", "8"}}, {{"weight", LOOM_DTYPE_F32, {10, 8}}},
       {{"input", LOOM_DTYPE_I64, {2, 3}, 10, 12}}, false, true},
  };
  return s;
}

TokenEmbedding::TokenEmbedding(sdk::LayerInit& init)
    : num_embeddings_(attention::int_at_least(init.options(), "num_embeddings", 1)),
      d_model_(attention::int_at_least(init.options(), "d_model", 1)),
      scale_(init.options().get_bool("scale")),
      weight_(require_weight(init, "weight", {num_embeddings_, d_model_})) {}

namespace {
template <class T>
void check_ids(const View& v, int64_t bound) {
  const T* base = v.data_as<const T>();
  const int32_t nd = v.ndim();
  int64_t pos[LOOM_MAX_DIMS] = {};
  int64_t offset = 0;
  for (int64_t i = 0, n = v.numel(); i < n; ++i) {
    const int64_t id = static_cast<int64_t>(base[offset]);
    if (id < 0 || id >= bound)
      throw sdk::invalid_argument("id " + str(id) + " at position " + sdk::shape_string(pos, nd) + " of the input " +
                                  v.shape_str() + " is out of range for num_embeddings = " + str(bound));
    for (int32_t d = nd - 1; d >= 0; --d) {
      offset += v.stride(d);
      if (++pos[d] < v.dim(d)) break;
      offset -= v.stride(d) * v.dim(d);
      pos[d] = 0;
    }
  }
}
}  // namespace

void TokenEmbedding::forward(sdk::ForwardContext& ctx) const {
  const View ids = ctx.input("input");
  if (ids.dtype() != LOOM_DTYPE_I32 && ids.dtype() != LOOM_DTYPE_I64)
    throw sdk::invalid_argument(std::string("input has dtype ") + sdk::dtype_name(ids.dtype()) + " " +
                                ids.shape_str() + ", expected integer ids (i32 or i64)");
  if (ids.ndim() >= LOOM_MAX_DIMS)
    throw sdk::invalid_argument("input " + ids.shape_str() + " has rank " + str(ids.ndim()) +
                                "; the output adds a dim and ranks stop at " + str(LOOM_MAX_DIMS));
  // Host-readable ids are checked here so a bad one is named with its
  // position; elsewhere the backend's gather checks them.
  if (ids.device().type == LOOM_DEVICE_CPU) {
    if (ids.dtype() == LOOM_DTYPE_I64)
      check_ids<int64_t>(ids, num_embeddings_);
    else
      check_ids<int32_t>(ids, num_embeddings_);
  }
  Shape shape = ids.shape();
  shape.push_back(d_model_);
  const View out = ctx.output("output", LOOM_DTYPE_F32, shape);
  ctx.ops().gather(weight_.view(), ids, out);
  if (scale_) ctx.ops().unary(LOOM_UNARY_LINEAR, out, out, std::sqrt(static_cast<float>(d_model_)), 0.0f);
}

}  // namespace loom::transformer
