// Loom views as oneDNN memory descriptors: plain layouts with explicit
// strides, so no op needs a contiguous copy just to describe its operands.
#pragma once

#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "loom/sdk/view.hpp"

namespace loom::onednn {

using sdk::Shape;
using sdk::View;
using Dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

// Dims and element strides of a view as oneDNN sees them.
struct Layout {
  Dims dims;
  Dims strides;
  bool operator==(const Layout& o) const { return dims == o.dims && strides == o.strides; }
  bool operator!=(const Layout& o) const { return !(*this == o); }
};

// The view's layout with its rank padded to `rank` by leading size-1 dims
// (rank -1: keep it; a 0-d view becomes [1]). Size-1 dims get the extent
// of the dims inside them as stride (what a dense tensor would have; for a
// permuted view, outside every other dim): their stride is meaningless, and
// normalizing it lets equal layouts compare equal and lets oneDNN pick its
// dense and brgemm kernels.
Layout layout_of(const View& v, int rank = -1);
// `l` with the dense stride rule above applied to its size-1 dims.
Layout normalized(Layout l);
// A dense row-major layout of the given dims.
Layout dense_layout(const Dims& dims);
// `l` with every zero-stride dim turned into a size-1 dim: a zero stride is
// a broadcast, and oneDNN understands broadcasts as size-1 dims.
Layout squeeze_broadcast(Layout l);
bool has_zero_stride(const Layout& l);
bool is_dense(const Layout& l);

dnnl::memory::desc make_md(const Layout& l, dt type);
// The oneDNN type that does arithmetic on a Loom dtype (F32, F16, BF16).
dt float_type(int32_t dtype);

// For ops that only move bytes (copy, concat): a descriptor that copies the
// view's elements bit for bit. I64 has no oneDNN type in 2.x, so it is
// described as pairs of s32 (an extra innermost dim of 2).
dnnl::memory::desc movement_md(const View& v);
dnnl::memory::desc movement_md(const Layout& l, int32_t dtype);
bool movement_supported(int32_t dtype);

// Merges dims [0, last] of the view into one dim when memory allows it
// (each dim's stride is the next one's stride times its size, size-1 dims
// ignored). On success sets rows (their product) and row_stride.
bool merge_leading(const View& v, int last, int64_t& rows, int64_t& row_stride);

}  // namespace loom::onednn
