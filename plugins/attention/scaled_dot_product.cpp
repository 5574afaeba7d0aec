#include "scaled_dot_product.hpp"

#include <cmath>
#include <string>

#include "attend.hpp"

namespace loom::attention {

namespace {

Shape batch_of(const View& v) {
  Shape s = v.shape();
  s.resize(s.size() - 2);
  return s;
}

// NumPy broadcast of two equal-rank shapes; false when they do not broadcast.
bool broadcast(const Shape& a, const Shape& b, Shape& out) {
  out = a;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i] || b[i] == 1) continue;
    if (a[i] != 1) return false;
    out[i] = b[i];
  }
  return true;
}

}  // namespace

sdk::LayerSpec ScaledDotProduct::spec() {
  sdk::LayerSpec s;
  s.type = "scaled_dot_product";
  s.description =
      "softmax(Q K^T * scale + mask) V (torch.nn.functional.scaled_dot_product_attention); query [..., L, E], key "
      "[..., S, E], value [..., S, Ev] -> output [..., L, Ev]; no weights";
  s.options = {
      {"causal", LOOM_OPTION_BOOL, std::string("false"),
       "query i attends to keys j <= i only (top-left aligned, as torch's is_causal); never materialised as [L, S]",
       ""},
      {"scale", LOOM_OPTION_FLOAT, std::string("0"), "score scale; 0: 1 / sqrt(E)", ""},
      {"block_size", LOOM_OPTION_INT, std::string("128"),
       "queries per block: scratch is O(block_size x S) per batch entry", ""},
  };
  s.inputs = {"query", "key", "value", "attn_mask", "key_padding_mask"};
  s.outputs = {"output", "attention"};
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"causal, weights returned", {{"causal", "true"}, {"block_size", "2"}}, {},
       {{"query", LOOM_DTYPE_F32, {2, 3, 5, 4}}, {"key", LOOM_DTYPE_F32, {2, 3, 6, 4}},
        {"value", LOOM_DTYPE_F32, {2, 3, 6, 3}}},
       true},
      {"additive mask and a scale", {{"scale", "0.3"}}, {},
       {{"query", LOOM_DTYPE_F32, {2, 5, 4}}, {"key", LOOM_DTYPE_F32, {2, 6, 4}}, {"value", LOOM_DTYPE_F32, {2, 6, 3}},
        {"attn_mask", LOOM_DTYPE_F32, {5, 6}, -2, 0}}},
      {"query and key features differ", {}, {},
       {{"query", LOOM_DTYPE_F32, {2, 5, 4}}, {"key", LOOM_DTYPE_F32, {2, 6, 3}}, {"value", LOOM_DTYPE_F32, {2, 6, 3}}},
       false, true},
  };
  return s;
}

ScaledDotProduct::ScaledDotProduct(sdk::LayerInit& init)
    : causal_(init.options().get_bool("causal")),
      scale_(init.options().get_float("scale")),
      block_size_(int_at_least(init.options(), "block_size", 1)) {
  if (!std::isfinite(scale_) || scale_ < 0)
    throw sdk::invalid_argument("option 'scale' must be a finite number >= 0 (0: 1 / sqrt(E)), got " +
                                init.options().get_string("scale"));
}

void ScaledDotProduct::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  const View q = ctx.input("query"), k = ctx.input("key"), v = ctx.input("value");
  require_f32(q, "query");
  require_f32(k, "key");
  require_f32(v, "value");
  const std::string shapes = "query " + q.shape_str() + ", key " + k.shape_str() + ", value " + v.shape_str();
  if (q.ndim() < 2 || k.ndim() != q.ndim() || v.ndim() != q.ndim())
    throw sdk::invalid_argument("inputs must have one rank >= 2 ([..., L, E], [..., S, E], [..., S, Ev]); got " +
                                shapes);
  const int64_t L = q.dim(-2), S = k.dim(-2), E = q.dim(-1);
  if (k.dim(-1) != E)
    throw sdk::invalid_argument("query and key have different feature sizes " + std::to_string(E) + " and " +
                                std::to_string(k.dim(-1)) + ": " + shapes);
  if (v.dim(-2) != S)
    throw sdk::invalid_argument("key and value have different sequence lengths " + std::to_string(S) + " and " +
                                std::to_string(v.dim(-2)) + ": " + shapes);
  Shape batch, with_v;
  if (!broadcast(batch_of(q), batch_of(k), batch) || !broadcast(batch, batch_of(v), with_v) || with_v != batch)
    throw sdk::invalid_argument("batch dims do not broadcast: " + shapes);

  std::vector<MaskTerm> masks;
  const Shape full = [&] {
    Shape s = batch;
    s.push_back(L);
    s.push_back(S);
    return s;
  }();
  if (const View* m = ctx.find_input("attn_mask"))
    masks.push_back(mask_term(*m, "attn_mask", batch, L, S,
                              "a shape that broadcasts to [..., L, S] = " + sdk::shape_string(full)));
  if (const View* m = ctx.find_input("key_padding_mask")) {
    require_mask_dtype(*m, "key_padding_mask");
    if (batch.empty() || m->shape() != Shape{batch[0], S})
      throw sdk::invalid_argument("input 'key_padding_mask' has shape " + m->shape_str() +
                                  ", expected [N, S] for inputs [N, ..., L, E] (" + shapes + ")");
    Shape ms(full.size(), 1), st(full.size(), 0);
    ms[0] = batch[0], ms.back() = S;
    st[0] = m->stride(0), st.back() = m->stride(1);
    masks.push_back({restride(*m, ms, st), "key_padding_mask"});
  }

  Shape out_shape = batch;
  out_shape.push_back(L);
  out_shape.push_back(v.dim(-1));
  const View out = ctx.output("output", LOOM_DTYPE_F32, out_shape);
  View weights;
  if (ctx.want_attention()) weights = ctx.output("attention", LOOM_DTYPE_F32, full);

  const float scale = scale_ > 0 ? static_cast<float>(scale_) : E > 0 ? 1.0f / std::sqrt(static_cast<float>(E)) : 1.0f;
  AttendArgs a;
  a.queries = L;
  a.keys = S;
  a.batch = batch;
  a.score = [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
    sdk::MatmulArgs m;
    m.transpose_b = true;
    m.alpha = scale;
    ops.matmul(q.slice(-2, i0, i1), k.slice(-2, 0, kend), nullptr, dst, m);
  };
  a.values = v;
  a.masks = std::move(masks);
  a.causal = causal_;
  a.block = block_size_;
  a.out = out;
  a.weights = ctx.want_attention() ? &weights : nullptr;
  attend(ops, a);
}

}  // namespace loom::attention
