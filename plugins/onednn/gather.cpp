// gather (embedding lookup). oneDNN 2.x has no gather primitive; this is a
// row copy, so a parallel memcpy loop is all it takes. Every index is
// checked before anything is written: a bad one leaves dst untouched.
#include <omp.h>

#include <cstring>
#include <vector>

#include "checks.hpp"
#include "loom/sdk/dtype.hpp"
#include "onednn_backend.hpp"
#include "strided.hpp"

namespace loom::onednn {

namespace {

std::string position_string(const Shape& shape, int64_t flat) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return sdk::shape_string(idx);
}

}  // namespace

void OnednnBackend::gather(const View& table, const View& indices, const View& dst) {
  const char* name = "gather";
  check_view(name, "table", table);
  check_view(name, "indices", indices);
  check_view(name, "dst", dst);
  check_output(name, "dst", dst);
  if (table.ndim() != 2) throw sdk::invalid_argument("gather: table is " + table.shape_str() + "; it must be 2-D [V, D]");
  if (indices.dtype() != LOOM_DTYPE_I32 && indices.dtype() != LOOM_DTYPE_I64)
    throw sdk::unsupported("gather: indices are " + describe(indices) + "; expected i32 or i64");
  if (indices.ndim() + 1 > LOOM_MAX_DIMS)
    throw sdk::invalid_argument("gather: indices " + indices.shape_str() + " leave no room for the row dim in dst");
  check_same_dtype(name, "dst", dst, "table", table);
  Shape expected = indices.shape();
  expected.push_back(table.dim(1));
  check_shape(name, "dst", dst, expected);

  const int64_t vocab = table.dim(0), width = table.dim(1), count = indices.numel();
  if (count == 0) return;
  std::vector<int64_t> rows(static_cast<size_t>(count));
  {
    int64_t i = 0;
    const bool wide = indices.dtype() == LOOM_DTYPE_I64;
    const char* base = static_cast<const char*>(indices.data());
    for_each_offset(indices.shape(), strides_of(indices), [&](int64_t off) {
      int64_t r;
      if (wide) std::memcpy(&r, base + off * 8, 8);
      else {
        int32_t r32;
        std::memcpy(&r32, base + off * 4, 4);
        r = r32;
      }
      if (r < 0 || r >= vocab)
        throw sdk::invalid_argument("gather: index " + std::to_string(r) + " at position " +
                                    position_string(indices.shape(), i) + " is out of range for a vocabulary of " +
                                    std::to_string(vocab) + " rows (table " + table.shape_str() + ")");
      rows[static_cast<size_t>(i++)] = r;
    });
  }
  if (width == 0) return;

  // Where each output row starts, in dst elements.
  std::vector<int64_t> out(static_cast<size_t>(count));
  {
    std::vector<int64_t> lead_strides = strides_of(dst);
    lead_strides.pop_back();
    int64_t i = 0;
    for_each_offset(indices.shape(), lead_strides, [&](int64_t off) { out[static_cast<size_t>(i++)] = off; });
  }
  ThreadScope threads(rt_.threads);
  const size_t esize = table.element_size();
  const int64_t ts = table.stride(0), tc = table.stride(1), dc = dst.stride(-1);
  const char* src = static_cast<const char*>(table.data());
  char* d = static_cast<char*>(dst.data());
  const bool rows_contiguous = (tc == 1 || width == 1) && (dc == 1 || width == 1);
#pragma omp parallel for if (count * width > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    const char* from = src + rows[static_cast<size_t>(i)] * ts * static_cast<int64_t>(esize);
    char* to = d + out[static_cast<size_t>(i)] * static_cast<int64_t>(esize);
    if (rows_contiguous) {
      std::memcpy(to, from, static_cast<size_t>(width) * esize);
    } else {
      for (int64_t j = 0; j < width; ++j)
        std::memcpy(to + j * dc * static_cast<int64_t>(esize), from + j * tc * static_cast<int64_t>(esize), esize);
    }
  }
}

}  // namespace loom::onednn
