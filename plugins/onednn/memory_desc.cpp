#include "memory_desc.hpp"

#include <algorithm>
#include <utility>

#include "loom/sdk/dtype.hpp"
#include "loom/sdk/error.hpp"

namespace loom::onednn {

Layout normalized(Layout l) {
  // A size-1 dim's stride is the extent of the dims inside it (the largest
  // stride x size): a dense tensor's own stride, and for a permuted view (the
  // heads of [N, T, H, d] as [N, H, T, d]) a stride outside every other dim,
  // so oneDNN sees the batch as outermost and takes its brgemm kernels.
  int64_t extent = 1;
  for (size_t i = l.dims.size(); i-- > 0;) {
    if (l.dims[i] == 1) l.strides[i] = extent;
    extent = std::max(extent, l.strides[i] * l.dims[i]);
  }
  return l;
}

Layout layout_of(const View& v, int rank) {
  const int nd = v.ndim();
  if (rank < 0) rank = nd == 0 ? 1 : nd;
  Layout l;
  l.dims.assign(static_cast<size_t>(rank), 1);
  l.strides.assign(static_cast<size_t>(rank), 0);
  const int lead = rank - nd;
  for (int i = 0; i < nd; ++i) {
    l.dims[static_cast<size_t>(lead + i)] = v.dim(i);
    l.strides[static_cast<size_t>(lead + i)] = v.stride(i);
  }
  return normalized(std::move(l));
}

Layout dense_layout(const Dims& dims) {
  Layout l{dims, Dims(dims.size(), 1)};
  for (size_t i = dims.size(); i-- > 1;) l.strides[i - 1] = l.strides[i] * (dims[i] > 0 ? dims[i] : 1);
  return l;
}

Layout squeeze_broadcast(Layout l) {
  for (size_t i = 0; i < l.dims.size(); ++i)
    if (l.strides[i] == 0) l.dims[i] = 1;
  return normalized(std::move(l));
}

bool has_zero_stride(const Layout& l) {
  for (size_t i = 0; i < l.dims.size(); ++i)
    if (l.dims[i] > 1 && l.strides[i] == 0) return true;
  return false;
}

bool is_dense(const Layout& l) { return l == dense_layout(l.dims); }

dnnl::memory::desc make_md(const Layout& l, dt type) { return dnnl::memory::desc(l.dims, type, l.strides); }

dt float_type(int32_t dtype) {
  switch (dtype) {
    case LOOM_DTYPE_F32: return dt::f32;
    case LOOM_DTYPE_F16: return dt::f16;
    case LOOM_DTYPE_BF16: return dt::bf16;
    default:
      throw sdk::unsupported(std::string("dtype ") + sdk::dtype_name(dtype) + " has no floating-point oneDNN type");
  }
}

bool movement_supported(int32_t dtype) {
  switch (dtype) {
    case LOOM_DTYPE_F32: case LOOM_DTYPE_F16: case LOOM_DTYPE_BF16: case LOOM_DTYPE_I32:
    case LOOM_DTYPE_I64: case LOOM_DTYPE_U8: case LOOM_DTYPE_BOOL:
      return true;
    default:
      return false;
  }
}

dnnl::memory::desc movement_md(const Layout& l, int32_t dtype) {
  switch (dtype) {
    case LOOM_DTYPE_F32: case LOOM_DTYPE_F16: case LOOM_DTYPE_BF16: return make_md(l, float_type(dtype));
    case LOOM_DTYPE_I32: return make_md(l, dt::s32);
    case LOOM_DTYPE_U8: case LOOM_DTYPE_BOOL: return make_md(l, dt::u8);
    case LOOM_DTYPE_I64: {
      Layout pairs = l;
      for (auto& s : pairs.strides) s *= 2;
      pairs.dims.push_back(2);
      pairs.strides.push_back(1);
      return make_md(pairs, dt::s32);
    }
    default:
      throw sdk::unsupported(std::string("dtype ") + sdk::dtype_name(dtype) + " cannot be copied by oneDNN");
  }
}

dnnl::memory::desc movement_md(const View& v) { return movement_md(layout_of(v), v.dtype()); }

bool merge_leading(const View& v, int last, int64_t& rows, int64_t& row_stride) {
  rows = 1;
  row_stride = 1;
  bool have = false;
  int64_t expect = 0;
  // Walk from the innermost merged dim outwards.
  for (int i = last; i >= 0; --i) {
    const int64_t d = v.dim(i), s = v.stride(i);
    rows *= d;
    if (d == 1) continue;
    if (!have) {
      row_stride = s;
      have = true;
    } else if (s != expect) {
      return false;
    }
    expect = s * d;
  }
  return true;
}

}  // namespace loom::onednn
