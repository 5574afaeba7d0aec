// unary: the eltwise primitive. oneDNN 2.x eltwise takes one descriptor for
// src and dst, so when their layouts differ src is first copied into dst
// (a reorder) and the eltwise then runs in place there.
#include "checks.hpp"
#include "eltwise_alg.hpp"
#include "onednn_backend.hpp"

namespace loom::onednn {

void OnednnBackend::unary(int32_t op, float alpha, float beta, const View& src, const View& dst) {
  const char* name = "unary";
  check_unary_op(name, op);
  check_f32(name, "src", src);
  check_f32(name, "dst", dst);
  check_output(name, "dst", dst);
  check_shape(name, "dst", dst, src.shape());
  if (dst.numel() == 0) return;
  run_op(name, [&] {
    OpContext ctx(rt_, name);
    const Layout sl = layout_of(src), dl = layout_of(dst);
    const auto d_md = make_md(dl, dt::f32);
    const void* in = src.data();
    if (sl != dl || op == LOOM_UNARY_IDENTITY) {
      if (in != dst.data() || sl != dl) ctx.reorder(make_md(sl, dt::f32), in, d_md, dst.data());
      in = dst.data();
      if (op == LOOM_UNARY_IDENTITY) return;
    }
    const EltwiseAlg e = eltwise_alg(op, alpha, beta);
    Key key = ctx.key("eltwise");
    key.add(dl).add(static_cast<int64_t>(op)).add(e.alpha).add(e.beta);
    auto prim = rt_.cache.get(key, [&] {
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, e.alg, d_md, e.alpha, e.beta);
      return make_primitive<dnnl::eltwise_forward>(dnnl::eltwise_forward::primitive_desc(desc, attr, ctx.engine()));
    });
    ctx.execute(*prim, {{DNNL_ARG_SRC, ctx.mem(d_md, in)}, {DNNL_ARG_DST, ctx.mem(d_md, dst.data())}});
  });
}

}  // namespace loom::onednn
