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
  if (srcs.empty()) throw sdk::invalid_argument("concat: no sources for dst " + describe(dst));
  const int axis = normalize_axis(op, axis_in, dst.ndim());
  int64_t total = 0;
  for (size_t s = 0; s < srcs.size(); ++s) {
    const View& src = srcs[s];
    const std::string name = "source " + std::to_string(s);
    check_view(op, name.c_str(), src);
    check_same_dtype(op, name.c_str(), src, "dst", dst);
    bool fits = src.ndim() == dst.ndim();
    for (int d = 0; fits && d < dst.ndim(); ++d) fits = d == axis || src.dim(d) == dst.dim(d);
    if (!fits)
      throw sdk::invalid_argument("concat: " + name + " is " + src.shape_str() + " but dst is " + dst.shape_str() +
                                  ": all dims except axis " + std::to_string(axis) + " must match");
    total += src.dim(axis);
  }
  if (total != dst.dim(axis))
    throw sdk::invalid_argument("concat: the sources add up to " + std::to_string(total) + " along axis " +
                                std::to_string(axis) + " but dst is " + dst.shape_str());
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
  if (table.ndim() != 2)
    throw sdk::invalid_argument("gather: table is " + table.shape_str() + "; it must be 2-D [V, D]");
  if (indices.dtype() != LOOM_DTYPE_I32 && indices.dtype() != LOOM_DTYPE_I64)
    throw sdk::unsupported("gather: indices are " + describe(indices) + "; expected i32 or i64");
  if (indices.ndim() + 1 > LOOM_MAX_DIMS)
    throw sdk::invalid_argument("gather: indices " + indices.shape_str() + " leave no room for the row dim in dst");
  check_same_dtype(op, "dst", dst, "table", table);
  Shape expected = indices.shape();
  expected.push_back(table.dim(1));
  check_shape(op, "dst", dst, expected);

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
