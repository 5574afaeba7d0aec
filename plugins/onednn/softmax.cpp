// softmax: the softmax_v2 primitive (separate src and dst descriptors).
//   mask F32      -> binary add of the (broadcast) mask into dst, then
//                    softmax in place on dst
//   mask BOOL/U8  -> first turned into an additive 0 / -inf mask of the
//                    mask's own (small) shape, then as F32
// A row whose every score is -inf (fully masked) has no softmax: oneDNN
// yields NaN or, in some kernels, a uniform row. Such rows are found before
// the softmax (a scan that usually stops at the first element of a row) and
// zeroed after it, as the ABI asks.
#include <cmath>
#include <limits>
#include <vector>

#include "binary_exec.hpp"
#include "checks.hpp"
#include "onednn_backend.hpp"
#include "strided.hpp"

namespace loom::onednn {

namespace {

// Row ordinals (in row-major order of the other dims) whose entries are all -inf.
std::vector<char> find_dead_rows(const float* data, const Layout& l, int axis, bool& any) {
  Dims outer = l.dims;
  outer[static_cast<size_t>(axis)] = 1;
  const int64_t len = l.dims[static_cast<size_t>(axis)], step = l.strides[static_cast<size_t>(axis)];
  const float ninf = -std::numeric_limits<float>::infinity();
  std::vector<char> dead;
  any = false;
  // A live row usually shows it at its first, middle or last entry (a
  // padding mask hides the end, a causal or banded one the start): look
  // there before the serial scan, which runs while the other threads wait.
  const int64_t probes[3] = {0, len / 2, len - 1};
  for_each_offset(outer, l.strides, [&](int64_t base) {
    bool all = true;
    if (len > 0)
      for (int64_t p : probes) all = all && data[base + p * step] == ninf;
    for (int64_t i = 0; i < len && all; ++i) all = data[base + i * step] == ninf;
    dead.push_back(all ? 1 : 0);
    any |= all;
  });
  return dead;
}

void zero_rows(float* data, const Layout& l, int axis, const std::vector<char>& dead) {
  Dims outer = l.dims;
  outer[static_cast<size_t>(axis)] = 1;
  const int64_t len = l.dims[static_cast<size_t>(axis)], step = l.strides[static_cast<size_t>(axis)];
  size_t row = 0;
  for_each_offset(outer, l.strides, [&](int64_t base) {
    if (dead[row++])
      for (int64_t i = 0; i < len; ++i) data[base + i * step] = 0.0f;
  });
}

}  // namespace

void OnednnBackend::softmax(const View& src, const View* mask, int32_t axis, const View& dst) {
  const char* name = "softmax";
  check_f32(name, "src", src);
  check_f32(name, "dst", dst);
  check_output(name, "dst", dst);
  check_shape(name, "dst", dst, src.shape());
  const int ax = normalize_axis(name, axis, src.ndim());
  const int rank = src.ndim();
  if (mask) {
    check_view(name, "mask", *mask);
    if (mask->dtype() != LOOM_DTYPE_F32 && mask->dtype() != LOOM_DTYPE_BOOL && mask->dtype() != LOOM_DTYPE_U8)
      throw sdk::unsupported(std::string(name) + ": mask is " + describe(*mask) + "; masks are f32 (added), bool or u8");
    if (!broadcasts_to(mask->shape(), src.shape()))
      throw sdk::invalid_argument(std::string(name) + ": mask " + mask->shape_str() + " does not broadcast to src " +
                                  src.shape_str());
  }
  if (dst.numel() == 0) return;

  run_op(name, [&] {
    OpContext ctx(rt_, name);
    // oneDNN's softmax on a non-dense destination falls back to a reference
    // kernel ~10x slower: work in a dense buffer and reorder into dst at the end.
    const Layout user_dl = layout_of(dst, rank);
    const bool dense_dst = is_dense(user_dl);
    const Layout dl = dense_dst ? user_dl : dense_layout(user_dl.dims);
    void* out = dense_dst ? dst.data() : ctx.temp(static_cast<size_t>(dst.numel()) * sizeof(float));
    Layout il = layout_of(src, rank);
    const void* in = src.data();
    if (mask) {
      Layout ml = squeeze_broadcast(layout_of(*mask, rank));
      const void* mdata = mask->data();
      if (mask->dtype() != LOOM_DTYPE_F32) {
        const Layout dense = dense_layout(ml.dims);
        float* add = static_cast<float*>(ctx.temp(static_cast<size_t>(mask->numel()) * sizeof(float)));
        const auto* flags = static_cast<const unsigned char*>(mdata);
        const float ninf = -std::numeric_limits<float>::infinity();
        int64_t i = 0;
        for_each_offset(ml.dims, ml.strides, [&](int64_t off) { add[i++] = flags[off] ? ninf : 0.0f; });
        ml = dense;
        mdata = add;
      }
      if (has_zero_stride(il)) {  // an expanded src cannot be src0: copy it into dst first
        ctx.reorder(make_md(il, dt::f32), in, make_md(dl, dt::f32), out);
        il = dl;
        in = out;
      }
      run_binary(ctx, dnnl::algorithm::binary_add, false, il, in, ml, mdata, dl, out);
      il = dl;
      in = out;
    }
    bool any_dead = false;
    const std::vector<char> dead = find_dead_rows(static_cast<const float*>(in), il, ax, any_dead);
    if (il != dl) {
      ctx.reorder(make_md(il, dt::f32), in, make_md(dl, dt::f32), out);
      in = out;
    }
    const auto md = make_md(dl, dt::f32);
    Key key = ctx.key("softmax");
    key.add(dl).add(static_cast<int64_t>(ax));
    auto prim = rt_.cache.get(key, [&] {
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::softmax_v2_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate, md,
                                          md, ax);
      return make_primitive<dnnl::softmax_v2_forward>(dnnl::softmax_v2_forward::primitive_desc(desc, attr, ctx.engine()));
    });
    ctx.execute(*prim, {{DNNL_ARG_SRC, ctx.mem(md, in)}, {DNNL_ARG_DST, ctx.mem(md, out)}});
    if (any_dead) zero_rows(static_cast<float*>(out), dl, ax, dead);
    if (!dense_dst) ctx.reorder(md, out, make_md(user_dl, dt::f32), dst.data());
  });
}

}  // namespace loom::onednn
