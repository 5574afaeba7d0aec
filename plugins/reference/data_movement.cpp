// Ops that move elements without arithmetic: copy (with float conversions),
// concat and gather.
#include <string>

#include "checks.hpp"
#include "loom/sdk/dtype.hpp"
#include "reference_backend.hpp"
#include "strided.hpp"

namespace loom::reference {

namespace {

// Same shape, any strides on both sides; dtypes equal or both floating.
void copy_elements(const View& src, const View& dst) {
  const Shape shape = src.shape();
  if (src.dtype() == dst.dtype()) {
    for_each_index(shape, [&](const Index& i) { copy_element(src, offset_at(src, i), dst, offset_at(dst, i)); });
  } else {
    for_each_index(shape, [&](const Index& i) { store(dst, offset_at(dst, i), load(src, offset_at(src, i))); });
  }
}

int64_t load_index(const View& indices, int64_t offset) {
  const char* p = element_ptr(indices, offset);
  return indices.dtype() == LOOM_DTYPE_I32 ? read_raw<int32_t>(p) : read_raw<int64_t>(p);
}

std::string index_string(const Index& i, int ndim) {
  std::string s = "[";
  for (int d = 0; d < ndim; ++d) s += (d ? ", " : "") + std::to_string(i[static_cast<size_t>(d)]);
  return s + "]";
}

}  // namespace

void ReferenceBackend::copy(const View& src, const View& dst) {
  const char* op = "copy";
  check_view(op, "src", src);
  check_view(op, "dst", dst);
  check_shape(op, "dst", dst, src.shape());
  if (src.dtype() != dst.dtype() && !(sdk::is_floating(src.dtype()) && sdk::is_floating(dst.dtype())))
    throw sdk::unsupported(std::string(op) + ": cannot convert src " + describe(src) + " to dst " + describe(dst) +
                           "; conversions are among f32, f16 and bf16 only");
  copy_elements(src, dst);
}

void ReferenceBackend::concat(const std::vector<View>& srcs, int32_t axis_in, const View& dst) {
  const char* op = "concat";
  check_view(op, "dst", dst);
  const int axis = sdk::checks::check_concat_shapes(srcs, axis_in, dst,
                                                     [&](const char* name, const View& src) { check_view(op, name, src); });
  int64_t begin = 0;
  for (const View& src : srcs) {
    copy_elements(src, dst.slice(axis, begin, begin + src.dim(axis)));
    begin += src.dim(axis);
  }
}

void ReferenceBackend::gather(const View& table, const View& indices, const View& dst) {
  const char* op = "gather";
  check_view(op, "table", table);
  check_view(op, "indices", indices);
  check_view(op, "dst", dst);
  sdk::checks::check_gather_shapes(table, indices, dst);

  // Every index is checked before anything is written: a bad one leaves dst untouched.
  const int64_t vocab = table.dim(0);
  const int ni = indices.ndim();
  for_each_index(indices.shape(), [&](const Index& i) {
    const int64_t row = load_index(indices, offset_at(indices, i));
    if (row < 0 || row >= vocab)
      throw sdk::invalid_argument("gather: index " + std::to_string(row) + " at position " + index_string(i, ni) +
                                  " is out of range for a vocabulary of " + std::to_string(vocab) + " rows (table " +
                                  table.shape_str() + ")");
  });
  const int64_t width = table.dim(1);
  for_each_index(indices.shape(), [&](const Index& i) {
    const int64_t row = load_index(indices, offset_at(indices, i));
    int64_t out = 0;
    for (int d = 0; d < ni; ++d) out += i[static_cast<size_t>(d)] * dst.stride(d);
    for (int64_t j = 0; j < width; ++j)
      copy_element(table, row * table.stride(0) + j * table.stride(1), dst, out + j * dst.stride(ni));
  });
}

}  // namespace loom::reference
