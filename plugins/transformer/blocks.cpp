#include "blocks.hpp"

#include <cmath>
#include <limits>

namespace loom::transformer {

namespace {

sdk::Buffer like(const sdk::Ops& ops, const View& x) { return ops.empty(LOOM_DTYPE_F32, x.shape()); }

// [N, T, E] -> [N, H, T, head_dim] as a view.
View heads(const View& x, int64_t h) { return split_dim(x, 2, h, x.dim(2) / h).transpose(1, 2); }

// Incremental self-attention: new query i sits at position P + i and sees
// keys j <= P + i. [T, P + T] additive, 0 or -inf.
sdk::Buffer offset_causal(const sdk::Ops& ops, int64_t t, int64_t p) {
  std::vector<float> host(static_cast<size_t>(t * (p + t)), 0.0f);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = p + i + 1; j < p + t; ++j) host[static_cast<size_t>(i * (p + t) + j)] = ninf;
  sdk::Buffer b = ops.empty(LOOM_DTYPE_F32, {t, p + t});
  ops.copy_from_host(b.view(), host.data(), host.size() * sizeof(float));
  return b;
}

}  // namespace

Norm::Norm(const sdk::LayerInit& init, const std::string& prefix, int64_t d, float eps)
    : gamma_(require_weight(init, prefix + "weight", {d})), beta_(require_weight(init, prefix + "bias", {d})),
      eps_(eps) {}

void Norm::apply(const sdk::Ops& ops, const View& x, const View& y) const {
  ops.layer_norm(x, &gamma_.view(), &beta_.view(), eps_, y);
}

MhaBlock::MhaBlock(const sdk::LayerInit& init, const std::string& p, const LayerConfig& c) : c_(c) {
  const int64_t e = c.d_model;
  const sdk::Ops& ops = init.ops();
  sdk::Buffer w = require_weight(init, p + "in_proj_weight", {3 * e, e});
  sdk::Buffer b = require_weight(init, p + "in_proj_bias", {3 * e});
  sdk::Buffer wo = require_weight(init, p + "out_proj.weight", {e, e});
  sdk::Buffer bo = require_weight(init, p + "out_proj.bias", {e});
  const View bq = b.view().slice(0, 0, e), bk = b.view().slice(0, e, 2 * e), bv = b.view().slice(0, 2 * e, 3 * e);
  q_ = attention::Projection(ops, w.view().slice(0, 0, e), &bq);
  k_ = attention::Projection(ops, w.view().slice(0, e, 2 * e), &bk);
  v_ = attention::Projection(ops, w.view().slice(0, 2 * e, 3 * e), &bv);
  out_ = attention::Projection(ops, wo.view(), &bo.view());
}

void MhaBlock::project_kv(const sdk::Ops& ops, const View& x, const View& k, const View& v) const {
  k_.apply(ops, x, k);
  v_.apply(ops, x, v);
}

void MhaBlock::attend(const sdk::Ops& ops, const View& xq, const View& k, const View& v,
                      std::vector<attention::MaskTerm> masks, bool causal, const View& dst,
                      const View* weights) const {
  const int64_t n = xq.dim(0), L = xq.dim(1), S = k.dim(1), h = c_.nhead;
  sdk::Buffer q = like(ops, xq);
  q_.apply(ops, xq, q.view());
  sdk::Buffer context = like(ops, xq);
  const View qh = heads(q.view(), h), kh = heads(k, h);
  const float scale = 1.0f / std::sqrt(static_cast<float>(c_.head_dim()));

  attention::AttendArgs a;
  a.queries = L;
  a.keys = S;
  a.batch = {n, h};
  a.score = [&](int64_t i0, int64_t i1, int64_t kend, const View& out) {
    sdk::MatmulArgs m;
    m.transpose_b = true;
    m.alpha = scale;
    ops.matmul(qh.slice(2, i0, i1), kh.slice(2, 0, kend), nullptr, out, m);
  };
  a.values = heads(v, h);
  a.masks = std::move(masks);
  a.causal = causal;
  a.block = c_.block_size;
  a.out = heads(context.view(), h);
  a.weights = weights;
  attention::attend(ops, a);

  sdk::MatmulArgs acc;
  acc.beta = 1.0f;
  out_.apply(ops, context.view(), dst, acc);
}

FeedForward::FeedForward(const sdk::LayerInit& init, const std::string& p, const LayerConfig& c) : c_(c) {
  const int64_t e = c.d_model, f = c.dim_feedforward;
  sdk::Buffer w1 = require_weight(init, p + "linear1.weight", {f, e});
  sdk::Buffer b1 = require_weight(init, p + "linear1.bias", {f});
  sdk::Buffer w2 = require_weight(init, p + "linear2.weight", {e, f});
  sdk::Buffer b2 = require_weight(init, p + "linear2.bias", {e});
  linear1_ = attention::Projection(init.ops(), w1.view(), &b1.view());
  linear2_ = attention::Projection(init.ops(), w2.view(), &b2.view());
}

void FeedForward::apply(const sdk::Ops& ops, const View& x, const View& dst) const {
  Shape hs = x.shape();
  hs.back() = c_.dim_feedforward;
  sdk::Buffer hidden = ops.empty(LOOM_DTYPE_F32, hs);
  sdk::MatmulArgs act;
  act.activation = c_.activation;
  linear1_.apply(ops, x, hidden.view(), act);
  sdk::MatmulArgs acc;
  acc.beta = 1.0f;
  linear2_.apply(ops, hidden.view(), dst, acc);
}

EncoderBlock::EncoderBlock(const sdk::LayerInit& init, const std::string& p, const LayerConfig& c,
                           const EncoderAttentionConfig& a, const EncoderBlock* first)
    : c_(c),
      self_attn_(init, p + "self_attn.", c, a, first ? &first->self_attn_ : nullptr),
      ff_(init, p + "", c),
      norm1_(init, p + "norm1.", c.d_model, c.layer_norm_eps),
      norm2_(init, p + "norm2.", c.d_model, c.layer_norm_eps) {}

void EncoderBlock::run(const sdk::Ops& ops, const View& x, const EncoderPass& pass) const {
  sdk::Buffer hb = like(ops, x);
  const View h = hb.view();
  if (c_.norm_first) {
    // x += sa(norm1(x)); x += ff(norm2(x))
    norm1_.apply(ops, x, h);
    self_attn_.apply(ops, h, x, pass);
    norm2_.apply(ops, x, h);
    ff_.apply(ops, h, x);
  } else {
    // x = norm1(x + sa(x)); x = norm2(x + ff(x))
    ops.copy(x, h);
    self_attn_.apply(ops, x, h, pass);
    norm1_.apply(ops, h, x);
    ff_.apply(ops, x, x);
    norm2_.apply(ops, x, h);
    ops.copy(h, x);
  }
}

DecoderBlock::DecoderBlock(const sdk::LayerInit& init, const std::string& p, const LayerConfig& c)
    : c_(c),
      self_attn_(init, p + "self_attn.", c),
      cross_attn_(init, p + "multihead_attn.", c),
      ff_(init, p + "", c),
      norm1_(init, p + "norm1.", c.d_model, c.layer_norm_eps),
      norm2_(init, p + "norm2.", c.d_model, c.layer_norm_eps),
      norm3_(init, p + "norm3.", c.d_model, c.layer_norm_eps) {}

void DecoderBlock::self_attention(const sdk::Ops& ops, const View& h, const View& dst, const DecoderPass& pass) const {
  if (!pass.incremental) {
    sdk::Buffer kb = like(ops, h), vb = like(ops, h);
    self_attn_.project_kv(ops, h, kb.view(), vb.view());
    self_attn_.attend(ops, h, kb.view(), vb.view(), pass.self_masks, pass.causal, dst, pass.self_weights);
    return;
  }
  // The new positions' keys and values go straight after the cached ones;
  // queries attend to all P + T of them: O(P + T) work per new token.
  const int64_t p = pass.past_key.dim(1), t = h.dim(1);
  if (p > 0) {
    ops.copy(pass.past_key, pass.key_out.slice(1, 0, p));
    ops.copy(pass.past_value, pass.value_out.slice(1, 0, p));
  }
  const View k_new = pass.key_out.slice(1, p, p + t), v_new = pass.value_out.slice(1, p, p + t);
  self_attn_.project_kv(ops, h, k_new, v_new);
  std::vector<attention::MaskTerm> masks = pass.self_masks;
  sdk::Buffer causal;
  if (pass.causal && t > 1) {
    causal = offset_causal(ops, t, p);
    masks.push_back({attention::pad_to_rank(causal.view(), 4), "causal"});
  }
  self_attn_.attend(ops, h, pass.key_out, pass.value_out, masks, false, dst, pass.self_weights);
}

void DecoderBlock::run(const sdk::Ops& ops, const View& x, const DecoderPass& pass) const {
  sdk::Buffer hb = like(ops, x);
  const View h = hb.view();
  // Cross-attention keys and values depend on the memory only: an
  // incremental caller computes them once and passes them back.
  sdk::Buffer mk_buf, mv_buf;
  View mk, mv;
  if (pass.have_memory_kv) {
    mk = pass.memory_key, mv = pass.memory_value;
  } else {
    if (pass.memory_key_out.data()) {
      mk = pass.memory_key_out, mv = pass.memory_value_out;
    } else {
      mk_buf = ops.empty(LOOM_DTYPE_F32, pass.memory.shape());
      mv_buf = ops.empty(LOOM_DTYPE_F32, pass.memory.shape());
      mk = mk_buf.view(), mv = mv_buf.view();
    }
    cross_attn_.project_kv(ops, pass.memory, mk, mv);
  }
  if (c_.norm_first) {
    norm1_.apply(ops, x, h);
    self_attention(ops, h, x, pass);
    norm2_.apply(ops, x, h);
    cross_attn_.attend(ops, h, mk, mv, pass.memory_masks, false, x, pass.cross_weights);
    norm3_.apply(ops, x, h);
    ff_.apply(ops, h, x);
  } else {
    ops.copy(x, h);
    self_attention(ops, x, h, pass);
    norm1_.apply(ops, h, x);
    ops.copy(x, h);
    cross_attn_.attend(ops, x, mk, mv, pass.memory_masks, false, h, pass.cross_weights);
    norm2_.apply(ops, h, x);
    ff_.apply(ops, x, x);
    norm3_.apply(ops, x, h);
    ops.copy(h, x);
  }
}

}  // namespace loom::transformer
