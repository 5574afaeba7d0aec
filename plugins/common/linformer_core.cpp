#include "linformer_core.hpp"

#include <cmath>

#include "attend.hpp"

namespace loom::attention {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// [N, T, heads * d] -> [N, heads, T, d] as a view.
View split_heads(const View& x, int64_t heads) {
  return split_dim(x, 2, heads, x.dim(2) / heads).transpose(1, 2);
}

void check_sequence(const View& v, const char* name, int64_t features) {
  require_f32(v, name);
  if (v.ndim() != 3 || v.dim(2) != features)
    throw sdk::invalid_argument("input '" + std::string(name) + "' has shape " + v.shape_str() +
                                ", expected [N, T, dim] with dim = " + str(features));
}

}  // namespace

LinformerSharing parse_linformer_sharing(const std::string& text) {
  if (text == "none") return LinformerSharing::none;
  if (text == "headwise") return LinformerSharing::headwise;
  if (text == "kv") return LinformerSharing::kv;
  if (text == "layerwise") return LinformerSharing::layerwise;
  throw sdk::invalid_argument("linformer sharing '" + text + "' is not one of " + linformer_sharing_choices());
}

const char* linformer_sharing_choices() { return "none|headwise|kv|layerwise"; }

const char* linformer_sharing_name(LinformerSharing s) {
  switch (s) {
    case LinformerSharing::none:
      return "none";
    case LinformerSharing::headwise:
      return "headwise";
    case LinformerSharing::kv:
      return "kv";
    case LinformerSharing::layerwise:
      return "layerwise";
  }
  return "?";
}

void LinformerConfig::validate() const {
  const auto at_least_1 = [](const char* name, int64_t v) {
    if (v < 1) throw sdk::invalid_argument(std::string("option '") + name + "' must be >= 1, got " + str(v));
  };
  at_least_1("dim", dim);
  at_least_1("seq_len", seq_len);
  at_least_1("k", k);
  at_least_1("heads", heads);
  at_least_1("dim_head", dim_head);
  at_least_1("block_size", block_size);
}

sdk::Buffer keep_factors(const sdk::Ops& ops, const View& mask) {
  // A softmax over a length-1 axis is 1, or 0 where the mask hides its only
  // entry (the op set's rule for fully masked rows): keep factors from ops only.
  const Shape shape = {mask.dim(0), mask.dim(1), 1};
  sdk::Buffer zeros = ops.empty(LOOM_DTYPE_F32, shape);
  ops.fill(0.0f, zeros.view());
  sdk::Buffer keep = ops.empty(LOOM_DTYPE_F32, shape);
  const View m = unsqueeze(mask, 2);
  ops.softmax(zeros.view(), &m, -1, keep.view());
  return keep;
}

LinformerAttention::LinformerAttention(const sdk::LayerInit& init, const std::string& p, const LinformerConfig& c,
                                       const LinformerAttention* share)
    : c_(c) {
  c_.validate();
  const sdk::Ops& ops = init.ops();
  const auto weight = [&](const std::string& name, const Shape& shape) {
    if (!init.has_weight(p + name))
      throw sdk::not_found("missing weight '" + p + name + "' " + sdk::shape_string(shape) + " (linformer, sharing " +
                           linformer_sharing_name(c_.sharing) + ")");
    return init.upload(p + name, shape);
  };
  const int64_t inner = c_.inner(), kvf = c_.kv_features();
  {
    sdk::Buffer w = weight("to_q.weight", {inner, c_.dim});
    to_q_ = Projection(ops, w.view(), nullptr);
  }
  {
    sdk::Buffer w = weight("to_k.weight", {kvf, c_.dim});
    to_k_ = Projection(ops, w.view(), nullptr);
  }
  if (!c_.values_are_keys()) {
    sdk::Buffer w = weight("to_v.weight", {kvf, c_.dim});
    to_v_ = Projection(ops, w.view(), nullptr);
  }
  {
    sdk::Buffer w = weight("to_out.weight", {c_.dim, inner});
    sdk::Buffer b = weight("to_out.bias", {c_.dim});
    to_out_ = Projection(ops, w.view(), &b.view());
  }
  if (c_.sharing == LinformerSharing::none) {
    const Shape proj = {c_.heads, c_.seq_len, c_.k};
    proj_k_ = weight("proj_k", proj);
    proj_v_ = weight("proj_v", proj);
    return;
  }
  if (share) {
    if (share->c_.seq_len != c_.seq_len || share->c_.k != c_.k || !share->ef_t_ ||
        share->ef_t_->view().dim(0) != c_.k)
      throw sdk::invalid_argument("layerwise sharing needs the same seq_len and k in every layer");
    ef_t_ = share->ef_t_;
    return;
  }
  const Shape proj = {c_.seq_len, c_.k};
  const int64_t rows = c_.values_are_keys() ? c_.k : 2 * c_.k;
  ef_t_ = std::make_shared<sdk::Buffer>(ops.empty(LOOM_DTYPE_F32, {rows, c_.seq_len}));
  {
    const sdk::Buffer e = weight("proj_k", proj);
    ops.copy(e.view().transpose(0, 1), ef_t_->view().slice(0, 0, c_.k));
  }
  if (!c_.values_are_keys()) {
    const sdk::Buffer f = weight("proj_v", proj);
    ops.copy(f.view().transpose(0, 1), ef_t_->view().slice(0, c_.k, rows));
  }
}

void LinformerAttention::project(const sdk::Ops& ops, const View& kv, sdk::Buffer& keys, sdk::Buffer& values) const {
  if (c_.sharing == LinformerSharing::none) {
    keys = project_per_head(ops, kv, proj_k_.view(), to_k_);
    if (!c_.values_are_keys()) values = project_per_head(ops, kv, proj_v_.view(), to_v_);
    return;
  }
  // [E^T; F^T] x: both sequence projections in one product, then the k-row
  // feature projections, (E^T x) W^T = E^T (x W^T).
  const int64_t n = kv.dim(0), m = kv.dim(1), k = c_.k, kvf = c_.kv_features();
  const View eft = ef_t_->view();
  sdk::Buffer ex = ops.empty(LOOM_DTYPE_F32, {n, eft.dim(0), c_.dim});
  ops.matmul(eft.slice(1, 0, m), kv, nullptr, ex.view());
  keys = ops.empty(LOOM_DTYPE_F32, {n, k, kvf});
  to_k_.apply(ops, ex.view().slice(1, 0, k), keys.view());
  if (c_.values_are_keys()) return;
  values = ops.empty(LOOM_DTYPE_F32, {n, k, kvf});
  to_v_.apply(ops, ex.view().slice(1, k, 2 * k), values.view());
}

sdk::Buffer LinformerAttention::project_per_head(const sdk::Ops& ops, const View& kv, const View& e,
                                                 const Projection& w) const {
  // A projection per head: features first, then E_h^T K_h for every head.
  const int64_t n = kv.dim(0), m = kv.dim(1), kvf = c_.kv_features();
  sdk::MatmulArgs ta;
  ta.transpose_a = true;
  sdk::Buffer full = ops.empty(LOOM_DTYPE_F32, {n, m, kvf});
  w.apply(ops, kv, full.view());
  const View heads = c_.one_kv_head ? unsqueeze(full.view(), 1) : split_heads(full.view(), c_.heads);
  sdk::Buffer out = ops.empty(LOOM_DTYPE_F32, {n, c_.heads, c_.k, c_.dim_head});
  ops.matmul(e.slice(1, 0, m), heads, nullptr, out.view(), ta);
  return out;
}

void LinformerAttention::run(const sdk::Ops& ops, const Io& io, const char* x_name, const char* kv_name) const {
  check_sequence(io.x, x_name, c_.dim);
  check_sequence(io.kv, kv_name, c_.dim);
  const int64_t n = io.x.dim(0), t = io.x.dim(1), m = io.kv.dim(1), h = c_.heads;
  if (io.kv.dim(0) != n)
    throw sdk::invalid_argument("inputs '" + std::string(x_name) + "' " + io.x.shape_str() + " and '" + kv_name +
                                "' " + io.kv.shape_str() + " have different batch sizes");
  if (m > c_.seq_len)
    throw sdk::invalid_argument("input '" + std::string(kv_name) + "' has " + str(m) +
                                " positions, more than seq_len = " + str(c_.seq_len) +
                                " (the length the projections proj_k/proj_v [seq_len, k] are built for)");
  if (t == 0) return;

  View kv = io.kv;
  sdk::Buffer masked;
  if (io.key_padding_mask) {
    const View& mask = *io.key_padding_mask;
    const std::string name = io.mask_name;
    if (!is_bool_mask(mask))
      throw sdk::invalid_argument("input '" + name + "' has dtype " + std::string(sdk::dtype_name(mask.dtype())) +
                                  " " + mask.shape_str() + ", expected bool or u8 (nonzero = padding): linformer " +
                                  "zeroes padded positions before the sequence projection");
    if (mask.shape() != Shape{n, m})
      throw sdk::invalid_argument("input '" + name + "' has shape " + mask.shape_str() + ", expected [N, T] = [" +
                                  str(n) + ", " + str(m) + "]");
    // Zeroed rows project to zero keys and values (to_k and to_v have no
    // bias), so they add nothing to E^T K: as if the sequence were shorter.
    const sdk::Buffer keep = keep_factors(ops, mask);
    masked = ops.empty(LOOM_DTYPE_F32, {n, m, c_.dim});
    ops.binary(LOOM_BINARY_MUL, kv, keep.view(), masked.view());
    kv = masked.view();
  }

  sdk::Buffer q = ops.empty(LOOM_DTYPE_F32, {n, t, c_.inner()});
  to_q_.apply(ops, io.x, q.view());
  sdk::Buffer keys, values_own;
  project(ops, kv, keys, values_own);
  const View kp = keys.view(), vp = c_.values_are_keys() ? kp : values_own.view();
  const auto as_heads = [&](const View& v) {
    if (c_.sharing == LinformerSharing::none) return v;  // already [N, H, k, d]
    return c_.one_kv_head ? unsqueeze(v, 1) : split_heads(v, h);
  };
  const View kh = as_heads(kp), qh = split_heads(q.view(), h);
  sdk::Buffer context = ops.empty(LOOM_DTYPE_F32, {n, t, c_.inner()});
  const float scale = 1.0f / std::sqrt(static_cast<float>(c_.dim_head));

  AttendArgs a;
  a.queries = t;
  a.keys = c_.k;
  a.batch = {n, h};
  a.score = [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
    sdk::MatmulArgs mm;
    mm.transpose_b = true;
    mm.alpha = scale;
    ops.matmul(qh.slice(2, i0, i1), kh.slice(2, 0, kend), nullptr, dst, mm);
  };
  a.values = as_heads(vp);
  a.block = c_.block_size;
  a.out = split_heads(context.view(), h);
  a.weights = io.weights;
  attend(ops, a);

  sdk::MatmulArgs acc;
  acc.beta = io.beta;
  to_out_.apply(ops, context.view(), io.dst, acc);
}

}  // namespace loom::attention
