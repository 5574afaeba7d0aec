// layer_norm: the layer_normalization primitive over the last dim, with
// use_scale / use_shift for gamma / beta. Its one data descriptor serves src
// and dst, so a src laid out differently from dst is copied into dst first
// and normalized in place. Leading dims are folded into one so any rank
// works (oneDNN's layer norm takes 2-5 dims).
#include "checks.hpp"
#include "onednn_backend.hpp"

namespace loom::onednn {

namespace {

// The view as [rows, C], or false when its leading dims do not fold.
bool as_rows(const View& v, Layout& out) {
  const int64_t c = v.ndim() == 0 ? 1 : v.dim(-1);
  const int64_t cs = v.ndim() == 0 ? 1 : v.stride(-1);
  int64_t rows = 1, rs = c * cs;
  if (v.ndim() >= 2 && !merge_leading(v, v.ndim() - 2, rows, rs)) return false;
  out = normalized({{rows, c}, {rs, cs}});
  return true;
}

// gamma/beta as a contiguous [C] vector (copied only when strided).
const void* vector_data(OpContext& ctx, const View& v) {
  if (v.dim(0) <= 1 || v.stride(0) == 1) return v.data();
  const Layout dense = dense_layout({v.dim(0)});
  void* tmp = ctx.temp(static_cast<size_t>(v.dim(0)) * sizeof(float));
  ctx.reorder(make_md(layout_of(v), dt::f32), v.data(), make_md(dense, dt::f32), tmp);
  return tmp;
}

}  // namespace

void OnednnBackend::layer_norm(const View& src, const View* gamma, const View* beta, float eps, const View& dst) {
  const char* name = "layer_norm";
  check_f32(name, "src", src);
  check_f32(name, "dst", dst);
  check_output(name, "dst", dst);
  check_shape(name, "dst", dst, src.shape());
  if (src.ndim() < 1)
    throw sdk::invalid_argument(std::string(name) + ": src is " + src.shape_str() + "; it needs at least 1 dim");
  const int64_t c = src.dim(-1);
  if (gamma) {
    check_f32(name, "gamma", *gamma);
    check_shape(name, "gamma", *gamma, {c});
  }
  if (beta) {
    check_f32(name, "beta", *beta);
    check_shape(name, "beta", *beta, {c});
  }
  if (!(eps >= 0.0f))
    throw sdk::invalid_argument(std::string(name) + ": eps must be >= 0, got " + std::to_string(eps));
  if (dst.numel() == 0) return;

  run_op(name, [&] {
    OpContext ctx(rt_, name);
    const int64_t rows = dst.numel() / c;
    Layout sl, dl;
    const bool src_rows = as_rows(src, sl), dst_rows = as_rows(dst, dl);
    // Where the output is written: dst itself, or a dense [rows, C] temporary.
    void* out = dst.data();
    const auto dst_full = make_md(layout_of(dst), dt::f32);
    const auto dense_full = make_md(dense_layout(layout_of(dst).dims), dt::f32);
    if (!dst_rows) {
      dl = dense_layout({rows, c});
      out = ctx.temp(static_cast<size_t>(dst.numel()) * sizeof(float));
    }
    const void* in = src.data();
    if (!src_rows || sl != dl) {
      ctx.reorder(make_md(layout_of(src), dt::f32), src.data(), dst_rows ? dst_full : dense_full, out);
      in = out;
    }
    const auto md = make_md(dl, dt::f32);
    const auto cmd = make_md(dense_layout({c}), dt::f32);
    auto flags = dnnl::normalization_flags::none;
    if (gamma) flags |= dnnl::normalization_flags::use_scale;
    if (beta) flags |= dnnl::normalization_flags::use_shift;
    Key key = ctx.key("layer_norm");
    key.add(dl).add(eps).add(static_cast<int64_t>(flags));
    auto prim = rt_.cache.get(key, [&] {
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, md, eps, flags);
      return make_primitive<dnnl::layer_normalization_forward>(
          dnnl::layer_normalization_forward::primitive_desc(desc, attr, ctx.engine()));
    });
    Args args{{DNNL_ARG_SRC, ctx.mem(md, in)}, {DNNL_ARG_DST, ctx.mem(md, out)}};
    if (gamma) args.emplace_back(DNNL_ARG_SCALE, ctx.mem(cmd, vector_data(ctx, *gamma)));
    if (beta) args.emplace_back(DNNL_ARG_SHIFT, ctx.mem(cmd, vector_data(ctx, *beta)));
    ctx.execute(*prim, std::move(args));
    if (!dst_rows) ctx.reorder(dense_full, out, dst_full, dst.data());
  });
}

}  // namespace loom::onednn
