#include "multihead.hpp"

#include <cmath>
#include <string>

#include "attend.hpp"

namespace loom::attention {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// The input's last dim must be `expected` (named by `option`).
void require_features(const View& x, const char* name, int64_t expected, const char* option) {
  if (x.dim(-1) != expected)
    throw sdk::invalid_argument("input '" + std::string(name) + "' has " + str(x.dim(-1)) + " features in its last dim " +
                                x.shape_str() + ", expected " + option + " = " + str(expected));
}

// [A, B, E] in the input's own layout -> [N, H, T, head_dim] per head, as a
// view: batch_first has (A, B) = (N, T), otherwise (T, N).
View heads_view(const View& x3, int64_t heads, bool batch_first) {
  const int64_t e = x3.dim(2);
  View v = split_dim(x3, 2, heads, e / heads);  // [A, B, H, hd]
  if (!batch_first) v = v.transpose(0, 1);      // [N, T, H, hd]
  return v.transpose(1, 2);                     // [N, H, T, hd]
}

}  // namespace

sdk::LayerSpec MultiheadAttention::spec() {
  sdk::LayerSpec s;
  s.type = "multihead_attention";
  s.description =
      "torch.nn.MultiheadAttention (inference): self attention (key/value default to query) or cross attention; "
      "weights in_proj_weight/in_proj_bias, or q_proj_weight/k_proj_weight/v_proj_weight, or "
      "q_proj.weight/k_proj.weight/v_proj.weight (+ .bias); out_proj.weight/out_proj.bias";
  s.options = {
      {"embed_dim", LOOM_OPTION_INT, std::nullopt, "model dim E (query features and output features)", ""},
      {"num_heads", LOOM_OPTION_INT, std::nullopt, "number of heads; must divide embed_dim", ""},
      {"bias", LOOM_OPTION_BOOL, std::string("true"), "projections have biases (in_proj_bias, out_proj.bias)", ""},
      {"kdim", LOOM_OPTION_INT, std::string("0"), "key features (0: embed_dim)", ""},
      {"vdim", LOOM_OPTION_INT, std::string("0"), "value features (0: embed_dim)", ""},
      {"batch_first", LOOM_OPTION_BOOL, std::string("false"), "inputs are [N, L, E] instead of [L, N, E]", ""},
      {"causal", LOOM_OPTION_BOOL, std::string("false"),
       "query i attends to keys j <= i only (top-left aligned, as torch's is_causal); never materialised as [L, S]",
       ""},
      {"average_attention_weights", LOOM_OPTION_BOOL, std::string("false"),
       "the 'attention' output is averaged over heads [N, L, S] instead of per head [N, H, L, S]", ""},
      {"block_size", LOOM_OPTION_INT, std::string("128"),
       "queries per block: scratch is O(block_size x S) per batch item and head", ""},
  };
  s.inputs = {"query", "key", "value", "key_padding_mask", "attn_mask"};
  s.outputs = {"output", "attention"};
  // Sample uses for `loom check-plugin`: torch's packed and per-projection weights.
  const std::vector<sdk::ExampleTensor> out_proj = {{"out_proj.weight", LOOM_DTYPE_F32, {8, 8}},
                                                    {"out_proj.bias", LOOM_DTYPE_F32, {8}}};
  std::vector<sdk::ExampleTensor> packed = {{"in_proj_weight", LOOM_DTYPE_F32, {24, 8}},
                                            {"in_proj_bias", LOOM_DTYPE_F32, {24}}};
  packed.insert(packed.end(), out_proj.begin(), out_proj.end());
  std::vector<sdk::ExampleTensor> split = {{"q_proj_weight", LOOM_DTYPE_F32, {8, 8}},
                                           {"k_proj_weight", LOOM_DTYPE_F32, {8, 6}},
                                           {"v_proj_weight", LOOM_DTYPE_F32, {8, 4}},
                                           {"in_proj_bias", LOOM_DTYPE_F32, {24}}};
  split.insert(split.end(), out_proj.begin(), out_proj.end());
  s.examples = {
      {"self attention, batch first, key padding mask, weights returned",
       {{"embed_dim", "8"}, {"num_heads", "2"}, {"batch_first", "true"}, {"block_size", "2"}},
       packed,
       {{"query", LOOM_DTYPE_F32, {2, 5, 8}}, {"key_padding_mask", LOOM_DTYPE_BOOL, {2, 5}}},
       true},
      {"causal cross attention, kdim and vdim",
       {{"embed_dim", "8"}, {"num_heads", "2"}, {"kdim", "6"}, {"vdim", "4"}, {"causal", "true"}},
       split,
       {{"query", LOOM_DTYPE_F32, {5, 2, 8}}, {"key", LOOM_DTYPE_F32, {7, 2, 6}}, {"value", LOOM_DTYPE_F32, {7, 2, 4}}}},
      {"query's last dim is not embed_dim", {{"embed_dim", "8"}, {"num_heads", "2"}}, packed,
       {{"query", LOOM_DTYPE_F32, {5, 2, 6}}}, false, true},
  };
  return s;
}

MultiheadAttention::MultiheadAttention(sdk::LayerInit& init)
    : embed_dim_(int_at_least(init.options(), "embed_dim", 1)),
      num_heads_(int_at_least(init.options(), "num_heads", 1)),
      head_dim_(0),
      kdim_(int_at_least(init.options(), "kdim", 0)),
      vdim_(int_at_least(init.options(), "vdim", 0)),
      batch_first_(init.options().get_bool("batch_first")),
      causal_(init.options().get_bool("causal")),
      average_weights_(init.options().get_bool("average_attention_weights")),
      block_size_(int_at_least(init.options(), "block_size", 1)) {
  const int64_t e = embed_dim_;
  if (e % num_heads_ != 0)
    throw sdk::invalid_argument("embed_dim " + str(e) + " is not divisible by num_heads " + str(num_heads_));
  head_dim_ = e / num_heads_;
  if (kdim_ == 0) kdim_ = e;
  if (vdim_ == 0) vdim_ = e;
  const bool bias = init.options().get_bool("bias");
  const sdk::Ops& ops = init.ops();

  if (init.has_weight("in_proj_weight")) {
    // torch's packed layout, used when kdim == vdim == embed_dim.
    if (kdim_ != e || vdim_ != e)
      throw sdk::invalid_argument("weight 'in_proj_weight' needs kdim = vdim = embed_dim = " + str(e) + " (got kdim " +
                                  str(kdim_) + ", vdim " + str(vdim_) +
                                  "); torch stores q_proj_weight, k_proj_weight and v_proj_weight otherwise");
    sdk::Buffer w = init.upload("in_proj_weight", {3 * e, e});
    sdk::Buffer b;
    if (bias) b = init.upload("in_proj_bias", {3 * e});
    View bq, bk, bv;
    if (bias) bq = b.view().slice(0, 0, e), bk = b.view().slice(0, e, 2 * e), bv = b.view().slice(0, 2 * e, 3 * e);
    // Three products rather than one [3E, E] product, also for
    // self-attention: q, k and v then sit in dense [.., E] buffers, which the
    // per-head products read faster than every third E-block of a fused
    // buffer (measured: docs/performance.md, Attention).
    q_proj_ = Projection(ops, w.view().slice(0, 0, e), bias ? &bq : nullptr);
    k_proj_ = Projection(ops, w.view().slice(0, e, 2 * e), bias ? &bk : nullptr);
    v_proj_ = Projection(ops, w.view().slice(0, 2 * e, 3 * e), bias ? &bv : nullptr);
  } else if (init.has_weight("q_proj_weight")) {
    // torch's layout when kdim or vdim differ from embed_dim.
    sdk::Buffer wq = init.upload("q_proj_weight", {e, e});
    sdk::Buffer wk = init.upload("k_proj_weight", {e, kdim_});
    sdk::Buffer wv = init.upload("v_proj_weight", {e, vdim_});
    sdk::Buffer b;
    View bq, bk, bv;
    if (bias) {
      b = init.upload("in_proj_bias", {3 * e});
      bq = b.view().slice(0, 0, e), bk = b.view().slice(0, e, 2 * e), bv = b.view().slice(0, 2 * e, 3 * e);
    }
    q_proj_ = Projection(ops, wq.view(), bias ? &bq : nullptr);
    k_proj_ = Projection(ops, wk.view(), bias ? &bk : nullptr);
    v_proj_ = Projection(ops, wv.view(), bias ? &bv : nullptr);
  } else if (init.has_weight("q_proj.weight")) {
    // One module per projection, as many checkpoints store them.
    const char* names[3] = {"q_proj", "k_proj", "v_proj"};
    const int64_t ins[3] = {e, kdim_, vdim_};
    Projection* dst[3] = {&q_proj_, &k_proj_, &v_proj_};
    for (int i = 0; i < 3; ++i) {
      sdk::Buffer w = init.upload(std::string(names[i]) + ".weight", {e, ins[i]});
      sdk::Buffer b;
      if (bias) b = init.upload(std::string(names[i]) + ".bias", {e});
      *dst[i] = Projection(ops, w.view(), bias ? &b.view() : nullptr);
    }
  } else {
    throw sdk::not_found(
        "no query/key/value projection weights: expected 'in_proj_weight' [3*E, E], or 'q_proj_weight' [E, E], "
        "'k_proj_weight' [E, kdim], 'v_proj_weight' [E, vdim], or 'q_proj.weight', 'k_proj.weight', 'v_proj.weight' "
        "(E = embed_dim = " + str(e) + ", kdim = " + str(kdim_) + ", vdim = " + str(vdim_) + ")");
  }
  sdk::Buffer wo = init.upload("out_proj.weight", {e, e});
  sdk::Buffer bo;
  if (bias) bo = init.upload("out_proj.bias", {e});
  out_proj_ = Projection(ops, wo.view(), bias ? &bo.view() : nullptr);
}

void MultiheadAttention::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  const View query = ctx.input("query");
  const View* key_in = ctx.find_input("key");
  const View key = key_in ? *key_in : query;
  const View* value_in = ctx.find_input("value");
  const View value = value_in ? *value_in : key;
  const char* key_name = key_in ? "key" : "query";
  const char* value_name = value_in ? "value" : key_name;

  require_f32(query, "query");
  require_f32(key, key_name);
  require_f32(value, value_name);
  if (query.ndim() != 2 && query.ndim() != 3)
    throw sdk::invalid_argument("input 'query' has shape " + query.shape_str() + ", expected " +
                                (batch_first_ ? "[N, L, E]" : "[L, N, E]") + " or unbatched [L, E]");
  const bool batched = query.ndim() == 3;
  const char* layout = !batched ? "unbatched [S, features]" : batch_first_ ? "[N, S, features]" : "[S, N, features]";
  for (const auto& [v, name] : {std::pair<const View&, const char*>{key, key_name}, {value, value_name}})
    if (v.ndim() != query.ndim())
      throw sdk::invalid_argument("input '" + std::string(name) + "' has shape " + v.shape_str() + ", expected " +
                                  layout + " like query " + query.shape_str());
  require_features(query, "query", embed_dim_, "embed_dim");
  require_features(key, key_name, kdim_, "kdim");
  require_features(value, value_name, vdim_, "vdim");

  // Everything below works on 3-D views in the inputs' own layout.
  const View q3 = batched ? query : unsqueeze(query, batch_first_ ? 0 : 1);
  const View k3 = batched ? key : unsqueeze(key, batch_first_ ? 0 : 1);
  const View v3 = batched ? value : unsqueeze(value, batch_first_ ? 0 : 1);
  const int nd = batch_first_ ? 0 : 1, sd = batch_first_ ? 1 : 0;
  const int64_t n = q3.dim(nd), L = q3.dim(sd), S = k3.dim(sd), e = embed_dim_, h = num_heads_;
  if (k3.dim(nd) != n || v3.dim(nd) != n)
    throw sdk::invalid_argument("inputs have different batch sizes: query " + query.shape_str() + ", " + key_name +
                                " " + key.shape_str() + ", " + value_name + " " + value.shape_str() + " (" + layout +
                                ")");
  if (v3.dim(sd) != S)
    throw sdk::invalid_argument("inputs '" + std::string(key_name) + "' " + key.shape_str() + " and '" + value_name +
                                "' " + value.shape_str() + " have different sequence lengths");

  std::vector<MaskTerm> masks;
  if (const View* m = ctx.find_input("key_padding_mask")) {
    require_mask_dtype(*m, "key_padding_mask");
    const Shape want = batched ? Shape{n, S} : Shape{S};
    if (m->shape() != want)
      throw sdk::invalid_argument("input 'key_padding_mask' has shape " + m->shape_str() + ", expected " +
                                  (batched ? "[N, S] = " : "[S] = ") + sdk::shape_string(want));
    const View kpm = batched ? *m : unsqueeze(*m, 0);
    masks.push_back({restride(kpm, {n, 1, 1, S}, {kpm.stride(0), 0, 0, kpm.stride(1)}), "key_padding_mask"});
  }
  if (const View* m = ctx.find_input("attn_mask")) {
    require_mask_dtype(*m, "attn_mask");
    const std::string expected = "[L, S] = [" + str(L) + ", " + str(S) + "] or " +
                                 (batched ? "[N * num_heads, L, S] = [" + str(n * h) : "[num_heads, L, S] = [" + str(h)) +
                                 ", " + str(L) + ", " + str(S) + "]";
    View term;
    if (m->shape() == Shape{L, S})
      term = pad_to_rank(*m, 4);
    else if (m->shape() == Shape{n * h, L, S})
      term = split_dim(*m, 0, n, h);
    else
      throw sdk::invalid_argument("input 'attn_mask' has shape " + m->shape_str() + ", expected " + expected);
    masks.push_back({term, "attn_mask"});
  }

  // Projections, each in the inputs' own layout ([N, T, E] or [T, N, E]).
  // Self-attention projects the same input three times (see the constructor).
  Shape sq = q3.shape(), sk = k3.shape(), sv = v3.shape();
  sq[2] = sk[2] = sv[2] = e;
  sdk::Buffer qb = ops.empty(LOOM_DTYPE_F32, sq), kb = ops.empty(LOOM_DTYPE_F32, sk),
              vb = ops.empty(LOOM_DTYPE_F32, sv);
  q_proj_.apply(ops, q3, qb.view());
  k_proj_.apply(ops, k3, kb.view());
  v_proj_.apply(ops, v3, vb.view());
  const View qp = qb.view(), kp = kb.view(), vp = vb.view();

  Shape out_shape = query.shape();
  const View output = ctx.output("output", LOOM_DTYPE_F32, out_shape);
  View weights;
  if (ctx.want_attention()) {
    Shape ws = average_weights_ ? Shape{L, S} : Shape{h, L, S};
    if (batched) ws.insert(ws.begin(), n);
    const View w = ctx.output("attention", LOOM_DTYPE_F32, ws);
    weights = average_weights_ ? restride(w, {n, 1, L, S}, {batched ? w.stride(0) : 0, 0, w.stride(-2), w.stride(-1)})
                               : (batched ? w : unsqueeze(w, 0));
  }

  // Heads write their context straight into [N, T, E] / [T, N, E] order.
  sdk::Buffer context = ops.empty(LOOM_DTYPE_F32, q3.shape());
  const View qh = heads_view(qp, h, batch_first_), kh = heads_view(kp, h, batch_first_);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));

  AttendArgs a;
  a.queries = L;
  a.keys = S;
  a.batch = {n, h};
  a.score = [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
    sdk::MatmulArgs m;
    m.transpose_b = true;
    m.alpha = scale;
    ops.matmul(qh.slice(2, i0, i1), kh.slice(2, 0, kend), nullptr, dst, m);
  };
  a.values = heads_view(vp, h, batch_first_);
  a.masks = std::move(masks);
  a.causal = causal_;
  a.block = block_size_;
  a.out = heads_view(context.view(), h, batch_first_);
  a.weights = ctx.want_attention() ? &weights : nullptr;
  attend(ops, a);

  out_proj_.apply(ops, context.view(), batched ? output : unsqueeze(output, batch_first_ ? 0 : 1));
}

}  // namespace loom::attention
