// binary: the binary primitive with NumPy broadcasting. oneDNN 2.x lets only
// src1 broadcast, so:
//   a has dst's shape          -> binary(a, b)
//   b has it, op commutes      -> binary(b, a)
//   b has it, op is sub        -> binary(b, a) with an eltwise linear(-1)
//                                 post-op: -(b - a) is a - b exactly
//   otherwise                  -> a is expanded into dst first (a reorder
//                                 from zero strides), then binary(dst, b)
//                                 runs in place.
// Zero-stride dims (expanded views) are treated as the size-1 dims they are.
#include "binary_exec.hpp"
#include "checks.hpp"
#include "onednn_backend.hpp"

namespace loom::onednn {

namespace {

dnnl::algorithm binary_alg(int32_t op) {
  using A = dnnl::algorithm;
  switch (op) {
    case LOOM_BINARY_ADD: return A::binary_add;
    case LOOM_BINARY_SUB: return A::binary_sub;
    case LOOM_BINARY_MUL: return A::binary_mul;
    case LOOM_BINARY_DIV: return A::binary_div;
    case LOOM_BINARY_MAX: return A::binary_max;
    case LOOM_BINARY_MIN: return A::binary_min;
    default: throw sdk::invalid_argument("binary: unknown binary op code " + std::to_string(op));
  }
}

bool commutes(int32_t op) {
  return op == LOOM_BINARY_ADD || op == LOOM_BINARY_MUL || op == LOOM_BINARY_MAX || op == LOOM_BINARY_MIN;
}

}  // namespace

void run_binary(OpContext& ctx, dnnl::algorithm alg, bool negate, const Layout& l0, const void* src0,
                const Layout& l1, const void* src1, const Layout& ld, void* dst) {
  Key key = ctx.key("binary");
  key.add(static_cast<int64_t>(alg)).add(static_cast<int64_t>(negate)).add(l0).add(l1).add(ld);
  const auto md0 = make_md(l0, dt::f32), md1 = make_md(l1, dt::f32), mdd = make_md(ld, dt::f32);
  auto prim = ctx.runtime().cache.get(key, [&] {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (negate) {
      dnnl::post_ops po;
      po.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, -1.0f, 0.0f);
      attr.set_post_ops(po);
    }
    dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, md0, md1, mdd), attr, ctx.engine());
    return make_primitive<dnnl::binary>(pd);
  });
  ctx.execute(*prim, {{DNNL_ARG_SRC_0, ctx.mem(md0, src0)}, {DNNL_ARG_SRC_1, ctx.mem(md1, src1)},
                      {DNNL_ARG_DST, ctx.mem(mdd, dst)}});
}

void OnednnBackend::binary(int32_t op, const View& a, const View& b, const View& dst) {
  const char* name = "binary";
  const dnnl::algorithm alg = binary_alg(op);
  check_f32(name, "a", a);
  check_f32(name, "b", b);
  check_f32(name, "dst", dst);
  check_output(name, "dst", dst);
  check_shape(name, "dst", dst, broadcast_shapes(name, "a", a.shape(), "b", b.shape()));
  if (dst.numel() == 0) return;
  run_op(name, [&] {
    OpContext ctx(rt_, name);
    const int rank = dst.ndim() == 0 ? 1 : dst.ndim();
    const Layout al = squeeze_broadcast(layout_of(a, rank)), bl = squeeze_broadcast(layout_of(b, rank));
    const Layout dl = layout_of(dst, rank);
    if (al.dims == dl.dims) {
      run_binary(ctx, alg, false, al, a.data(), bl, b.data(), dl, dst.data());
    } else if (bl.dims == dl.dims && (commutes(op) || op == LOOM_BINARY_SUB)) {
      run_binary(ctx, alg, op == LOOM_BINARY_SUB, bl, b.data(), al, a.data(), dl, dst.data());
    } else {
      Layout expanded = al;
      for (size_t i = 0; i < expanded.dims.size(); ++i) {
        if (expanded.dims[i] != dl.dims[i]) {
          expanded.dims[i] = dl.dims[i];
          expanded.strides[i] = 0;
        }
      }
      ctx.reorder(make_md(expanded, dt::f32), a.data(), make_md(dl, dt::f32), dst.data());
      run_binary(ctx, alg, false, dl, dst.data(), bl, b.data(), dl, dst.data());
    }
  });
}

}  // namespace loom::onednn
