#include "decoder_attention.hpp"

#include <string>

namespace loom::attention {

namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

std::vector<sdk::OptionSpec> decoder_options() {
  return {
      {"query_size", LOOM_OPTION_INT, std::nullopt, "decoder state features Dq", ""},
      {"key_size", LOOM_OPTION_INT, std::nullopt, "encoder state features Dk", ""},
      {"block_size", LOOM_OPTION_INT, std::string("32"),
       "decoder steps per block when T > 1: scratch is O(block_size x S) per batch item (x attention_size for "
       "additive scores)",
       ""},
  };
}

DecoderInputs read_decoder_inputs(const sdk::ForwardContext& ctx, int64_t query_size, int64_t key_size) {
  DecoderInputs in;
  const View query = ctx.input("query");
  const View keys = ctx.input("keys");
  const View* values = ctx.find_input("values");
  require_f32(query, "query");
  require_f32(keys, "keys");
  if (values) require_f32(*values, "values");
  if (query.ndim() != 2 && query.ndim() != 3)
    throw sdk::invalid_argument("input 'query' has shape " + query.shape_str() + ", expected [N, Dq] or [N, T, Dq]");
  if (query.dim(-1) != query_size)
    throw sdk::invalid_argument("input 'query' has " + str(query.dim(-1)) + " features in its last dim " +
                                query.shape_str() + ", expected query_size = " + str(query_size));
  if (keys.ndim() != 3)
    throw sdk::invalid_argument("input 'keys' has shape " + keys.shape_str() + ", expected [N, S, Dk]");
  if (keys.dim(2) != key_size)
    throw sdk::invalid_argument("input 'keys' has " + str(keys.dim(2)) + " features in its last dim " +
                                keys.shape_str() + ", expected key_size = " + str(key_size));
  in.one_step = query.ndim() == 2;
  in.query = in.one_step ? unsqueeze(query, 1) : query;
  in.keys = keys;
  in.values = values ? *values : keys;
  in.n = in.query.dim(0), in.t = in.query.dim(1), in.s = keys.dim(1);
  if (keys.dim(0) != in.n)
    throw sdk::invalid_argument("inputs 'query' " + query.shape_str() + " and 'keys' " + keys.shape_str() +
                                " have different batch sizes");
  if (in.values.ndim() != 3 || in.values.dim(0) != in.n || in.values.dim(1) != in.s)
    throw sdk::invalid_argument("input 'values' has shape " + in.values.shape_str() + ", expected [N, S, Dv] = [" +
                                str(in.n) + ", " + str(in.s) + ", Dv] like 'keys' " + keys.shape_str());
  if (const View* m = ctx.find_input("key_padding_mask")) {
    require_mask_dtype(*m, "key_padding_mask");
    if (m->shape() != Shape{in.n, in.s})
      throw sdk::invalid_argument("input 'key_padding_mask' has shape " + m->shape_str() + ", expected [N, S] = [" +
                                  str(in.n) + ", " + str(in.s) + "]");
    in.masks.push_back({restride(*m, {in.n, 1, in.s}, {m->stride(0), 0, m->stride(1)}), "key_padding_mask"});
  }
  return in;
}

void run_decoder_attention(sdk::ForwardContext& ctx, const DecoderInputs& in, const ScoreFn& score, int64_t block) {
  const int64_t dv = in.values.dim(2);
  const View out = ctx.output("output", LOOM_DTYPE_F32, in.one_step ? Shape{in.n, dv} : Shape{in.n, in.t, dv});
  View weights;
  if (ctx.want_attention()) {
    const View w = ctx.output("attention", LOOM_DTYPE_F32, in.one_step ? Shape{in.n, in.s} : Shape{in.n, in.t, in.s});
    weights = in.one_step ? unsqueeze(w, 1) : w;
  }
  AttendArgs a;
  a.queries = in.t;
  a.keys = in.s;
  a.batch = {in.n};
  a.score = score;
  a.values = in.values;
  a.masks = in.masks;
  a.block = block;
  a.out = in.one_step ? unsqueeze(out, 1) : out;
  a.weights = ctx.want_attention() ? &weights : nullptr;
  attend(ctx.ops(), a);
}

void additive_scores(const sdk::Ops& ops, const View& qa, const View& ka, const View& v, int64_t i0, int64_t i1,
                     int64_t kend, const View& dst) {
  const int64_t n = qa.dim(0), lb = i1 - i0, a = qa.dim(2);
  sdk::Buffer hidden = ops.empty(LOOM_DTYPE_F32, {n, lb, kend, a});
  ops.binary(LOOM_BINARY_ADD, unsqueeze(qa.slice(1, i0, i1), 2), unsqueeze(ka.slice(1, 0, kend), 1), hidden.view());
  ops.unary(LOOM_UNARY_TANH, hidden.view(), hidden.view());
  sdk::MatmulArgs m;
  m.transpose_b = true;
  ops.matmul(hidden.view(), v, nullptr, dst.reshape({n, lb, kend, 1}), m);
}

}  // namespace loom::attention
