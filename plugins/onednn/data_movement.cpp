// copy and concat on reorder / concat primitives; fill as a plain loop
// (oneDNN has no fill primitive, and eltwise linear(0, v) would turn NaN or
// inf garbage already in dst into NaN).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "checks.hpp"
#include "loom/sdk/dtype.hpp"
#include "onednn_backend.hpp"
#include "strided.hpp"

namespace loom::onednn {

void OnednnBackend::copy(const View& src, const View& dst) {
  const char* name = "copy";
  check_view(name, "src", src);
  check_view(name, "dst", dst);
  check_output(name, "dst", dst);
  check_shape(name, "dst", dst, src.shape());
  const bool converts = src.dtype() != dst.dtype();
  if (converts && !(sdk::is_floating(src.dtype()) && sdk::is_floating(dst.dtype())))
    throw sdk::unsupported("copy: src is " + describe(src) + " and dst is " + describe(dst) +
                           "; the onednn backend converts only between f32, f16 and bf16");
  if (!movement_supported(src.dtype()))
    throw sdk::unsupported("copy: src is " + describe(src) + "; this dtype cannot be copied by the onednn backend");
  if (dst.numel() == 0) return;
  const Layout sl = layout_of(src), dl = layout_of(dst);
  if (!converts && src.data() == dst.data() && sl == dl) return;
  run_op(name, [&] {
    OpContext ctx(rt_, name);
    const auto smd = movement_md(sl, src.dtype()), dmd = movement_md(dl, dst.dtype());
    if (converts && src.dtype() != LOOM_DTYPE_F32 && dst.dtype() != LOOM_DTYPE_F32) {
      // oneDNN 2.x has no f16 <-> bf16 reorder; f32 holds both exactly.
      const auto mid = make_md(dense_layout(sl.dims), dt::f32);
      void* tmp = ctx.temp(mid.get_size());
      ctx.reorder(smd, src.data(), mid, tmp);
      ctx.reorder(mid, tmp, dmd, dst.data());
      return;
    }
    ctx.reorder(smd, src.data(), dmd, dst.data());
  });
}

void OnednnBackend::concat(const std::vector<View>& srcs, int32_t axis, const View& dst) {
  const char* name = "concat";
  check_view(name, "dst", dst);
  check_output(name, "dst", dst);
  if (srcs.empty()) throw sdk::invalid_argument("concat: no sources");
  if (dst.ndim() < 1) throw sdk::invalid_argument("concat: dst is " + dst.shape_str() + "; it needs at least 1 dim");
  const int ax = normalize_axis(name, axis, dst.ndim());
  if (!movement_supported(dst.dtype()))
    throw sdk::unsupported("concat: dst is " + describe(dst) + "; this dtype cannot be copied by the onednn backend");
  int64_t total = 0;
  for (size_t i = 0; i < srcs.size(); ++i) {
    const std::string label = "srcs[" + std::to_string(i) + "]";
    const View& s = srcs[i];
    check_view(name, label.c_str(), s);
    check_same_dtype(name, label.c_str(), s, "dst", dst);
    Shape expected = dst.shape();
    expected[static_cast<size_t>(ax)] = s.ndim() == dst.ndim() ? s.dim(ax) : 0;
    if (s.shape() != expected)
      throw sdk::invalid_argument("concat: " + label + " is " + s.shape_str() + " but dst is " + dst.shape_str() +
                                  ": every dim except axis " + std::to_string(ax) + " must match");
    total += s.dim(ax);
  }
  if (total != dst.dim(ax))
    throw sdk::invalid_argument("concat: the sources add up to " + std::to_string(total) + " along axis " +
                                std::to_string(ax) + " but dst " + dst.shape_str() + " has " +
                                std::to_string(dst.dim(ax)));
  if (dst.numel() == 0) return;

  run_op(name, [&] {
    OpContext ctx(rt_, name);
    // oneDNN's concat rejects empty sources; they contribute nothing anyway.
    std::vector<const View*> parts;
    for (const auto& s : srcs)
      if (s.numel() > 0) parts.push_back(&s);
    const auto dmd = movement_md(dst);
    if (parts.size() == 1) {
      ctx.reorder(movement_md(*parts[0]), parts[0]->data(), dmd, dst.data());
      return;
    }
    std::vector<dnnl::memory::desc> mds;
    Key key = ctx.key("concat");
    key.add(static_cast<int64_t>(dst.dtype())).add(static_cast<int64_t>(ax)).add(layout_of(dst));
    for (const View* s : parts) {
      mds.push_back(movement_md(*s));
      key.add(layout_of(*s));
    }
    auto prim = rt_.cache.get(key, [&] {
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::concat::primitive_desc pd(dmd, ax, mds, ctx.engine(), attr);
      return make_primitive<dnnl::concat>(pd);
    });
    Args args{{DNNL_ARG_DST, ctx.mem(dmd, dst.data())}};
    for (size_t i = 0; i < parts.size(); ++i)
      args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), ctx.mem(mds[i], parts[i]->data()));
    ctx.execute(*prim, std::move(args));
  });
}

namespace {

template <class T>
void fill_typed(const View& dst, T value) {
  T* d = dst.data_as<T>();
  const int64_t n = dst.numel();
  if (dst.is_contiguous()) {
    const int64_t chunk = 1 << 16;
    const int64_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for if (chunks > 1) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) std::fill_n(d + c * chunk, std::min(chunk, n - c * chunk), value);
    return;
  }
  // Strided: split the outermost dim between threads.
  std::vector<int64_t> inner_shape = dst.shape();
  inner_shape.erase(inner_shape.begin());
  std::vector<int64_t> inner_strides = strides_of(dst);
  inner_strides.erase(inner_strides.begin());
  const int64_t outer = dst.dim(0), os = dst.stride(0);
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < outer; ++i) for_each_offset(inner_shape, inner_strides, [&](int64_t off) { d[i * os + off] = value; });
}

// An integer fill value must be exactly representable: no silent rounding.
template <class T>
T exact_integer(float value, const View& dst) {
  const double v = value;
  // max + 1 is a power of two, so exact in double (int64's max is not).
  const double limit = 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
  if (!(std::trunc(v) == v && v >= static_cast<double>(std::numeric_limits<T>::lowest()) && v < limit))
    throw sdk::invalid_argument("fill: value " + std::to_string(value) + " is not representable in dst " +
                                describe(dst));
  return static_cast<T>(v);
}

}  // namespace

void OnednnBackend::fill(float value, const View& dst) {
  const char* name = "fill";
  check_view(name, "dst", dst);
  check_output(name, "dst", dst);
  if (dst.numel() == 0) return;
  ThreadScope threads(rt_.threads);
  switch (dst.dtype()) {
    case LOOM_DTYPE_F32: return fill_typed<float>(dst, value);
    case LOOM_DTYPE_F16: return fill_typed<uint16_t>(dst, sdk::f32_to_f16(value));
    case LOOM_DTYPE_BF16: return fill_typed<uint16_t>(dst, sdk::f32_to_bf16(value));
    case LOOM_DTYPE_I32: return fill_typed<int32_t>(dst, exact_integer<int32_t>(value, dst));
    case LOOM_DTYPE_I64: return fill_typed<int64_t>(dst, exact_integer<int64_t>(value, dst));
    case LOOM_DTYPE_U8: return fill_typed<uint8_t>(dst, exact_integer<uint8_t>(value, dst));
    case LOOM_DTYPE_BOOL:
      if (value != 0.0f && value != 1.0f)
        throw sdk::invalid_argument("fill: value " + std::to_string(value) + " is not 0 or 1 for dst " + describe(dst));
      return fill_typed<uint8_t>(dst, static_cast<uint8_t>(value));
    default: throw sdk::unsupported("fill: dst is " + describe(dst) + "; unsupported dtype");
  }
}

}  // namespace loom::onednn
