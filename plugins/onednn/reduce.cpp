// reduce: the reduction primitive (sum, mean, max) from src to dst's shape.
#include <limits>

#include "checks.hpp"
#include "onednn_backend.hpp"

namespace loom::onednn {

void OnednnBackend::reduce(int32_t op, const View& src, const View& dst) {
  const char* name = "reduce";
  if (op != LOOM_REDUCE_SUM && op != LOOM_REDUCE_MEAN && op != LOOM_REDUCE_MAX)
    throw sdk::invalid_argument("reduce: unknown reduce op " + std::to_string(op));
  check_f32(name, "src", src);
  check_f32(name, "dst", dst);
  check_output(name, "dst", dst);
  bool fits = src.ndim() == dst.ndim();
  for (int d = 0; fits && d < src.ndim(); ++d) fits = dst.dim(d) == src.dim(d) || dst.dim(d) == 1;
  if (!fits)
    throw sdk::invalid_argument("reduce: src is " + src.shape_str() + " and dst is " + dst.shape_str() +
                                ": dst needs src's rank, each dim equal to src's or 1 (reduced)");
  if (dst.numel() == 0) return;
  if (src.numel() == 0) {
    // Over zero elements: a sum is 0, a mean 0/0 = NaN (as torch), a max -inf (its identity).
    const float v = op == LOOM_REDUCE_SUM ? 0.0f
                    : op == LOOM_REDUCE_MEAN ? std::numeric_limits<float>::quiet_NaN()
                                             : -std::numeric_limits<float>::infinity();
    return fill(v, dst);
  }
  if (src.shape() == dst.shape()) return copy(src, dst);

  run_op(name, [&] {
    OpContext ctx(rt_, name);
    Layout sl = layout_of(src);
    const Layout dl = layout_of(dst);
    const void* in = src.data();
    if (has_zero_stride(sl)) {  // an expanded view: give the reduction real memory
      const Layout dense = dense_layout(sl.dims);
      void* tmp = ctx.temp(static_cast<size_t>(src.numel()) * sizeof(float));
      ctx.reorder(make_md(sl, dt::f32), in, make_md(dense, dt::f32), tmp);
      sl = dense;
      in = tmp;
    }
    const auto smd = make_md(sl, dt::f32), dmd = make_md(dl, dt::f32);
    const dnnl::algorithm alg = op == LOOM_REDUCE_SUM    ? dnnl::algorithm::reduction_sum
                                : op == LOOM_REDUCE_MEAN ? dnnl::algorithm::reduction_mean
                                                         : dnnl::algorithm::reduction_max;
    Key key = ctx.key("reduce");
    key.add(static_cast<int64_t>(op)).add(sl).add(dl);
    auto prim = rt_.cache.get(key, [&] {
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::reduction::primitive_desc pd(dnnl::reduction::desc(alg, smd, dmd, 0.0f, 0.0f), attr, ctx.engine());
      return make_primitive<dnnl::reduction>(pd);
    });
    ctx.execute(*prim, {{DNNL_ARG_SRC, ctx.mem(smd, in)}, {DNNL_ARG_DST, ctx.mem(dmd, dst.data())}});
  });
}

}  // namespace loom::onednn
