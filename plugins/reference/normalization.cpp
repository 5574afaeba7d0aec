// softmax (with optional additive or boolean mask) and layer_norm: both work
// row by row along one axis, in double.
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "checks.hpp"
#include "loom/sdk/dtype.hpp"
#include "reference_backend.hpp"
#include "strided.hpp"

namespace loom::reference {

namespace {

// Calls fn(index) once per row along `axis`, with index[axis] == 0.
template <class Fn>
void for_each_row(const Shape& shape, int axis, Fn&& fn) {
  Shape outer = shape;
  outer[static_cast<size_t>(axis)] = 1;
  if (has_zero_dim(shape)) return;
  for_each_index(outer, fn);
}

bool is_masked(const View& mask, int64_t offset) { return read_raw<uint8_t>(element_ptr(mask, offset)) != 0; }

}  // namespace

void ReferenceBackend::softmax(const View& src, const View* mask, int32_t axis_in, const View& dst) {
  const char* op = "softmax";
  check_float(op, "src", src);
  check_float(op, "dst", dst);
  check_same_dtype(op, "dst", dst, "src", src);
  check_shape(op, "dst", dst, src.shape());
  const int nd = src.ndim();
  const int axis = normalize_axis(op, axis_in, nd);
  bool boolean_mask = false;
  if (mask) {
    check_view(op, "mask", *mask);
    boolean_mask = mask->dtype() == LOOM_DTYPE_BOOL || mask->dtype() == LOOM_DTYPE_U8;
    if (!boolean_mask && !sdk::is_floating(mask->dtype()))
      throw sdk::unsupported("softmax: mask is " + describe(*mask) +
                             "; expected an additive float mask or a bool/u8 mask");
    if (!broadcasts_to(mask->shape(), src.shape()))
      throw sdk::invalid_argument("softmax: mask is " + mask->shape_str() + " and does not broadcast to src " +
                                  src.shape_str());
  }

  const int64_t len = src.dim(axis);
  const double neg_inf = -std::numeric_limits<double>::infinity();
  std::vector<double> row(static_cast<size_t>(len));
  for_each_row(src.shape(), axis, [&](const Index& first) {
    Index i = first;
    double top = neg_inf;
    for (int64_t j = 0; j < len; ++j) {
      i[static_cast<size_t>(axis)] = j;
      double s = load(src, offset_at(src, i));
      if (mask) {
        const int64_t mo = offset_at(*mask, i, nd);
        if (boolean_mask)
          s = is_masked(*mask, mo) ? neg_inf : s;
        else
          s += load(*mask, mo);
      }
      row[static_cast<size_t>(j)] = s;
      if (s > top || std::isnan(s)) top = s;  // a NaN score makes the row NaN, as torch
    }
    // Every score -inf (fully masked): zeros, never 0/0.
    const bool all_masked = top == neg_inf;
    double sum = 0;
    if (!all_masked)
      for (double& s : row) sum += (s = std::exp(s - top));
    for (int64_t j = 0; j < len; ++j) {
      i[static_cast<size_t>(axis)] = j;
      store(dst, offset_at(dst, i), all_masked ? 0.0 : row[static_cast<size_t>(j)] / sum);
    }
  });
}

void ReferenceBackend::layer_norm(const View& src, const View* gamma, const View* beta, float eps, const View& dst) {
  const char* op = "layer_norm";
  check_float(op, "src", src);
  check_float(op, "dst", dst);
  check_same_dtype(op, "dst", dst, "src", src);
  check_shape(op, "dst", dst, src.shape());
  if (src.ndim() < 1) throw sdk::invalid_argument("layer_norm: src is a scalar; it needs a last dim to normalize");
  const int64_t c = src.dim(-1);
  for (const auto& [name, v] : {std::pair<const char*, const View*>{"gamma", gamma}, {"beta", beta}}) {
    if (!v) continue;
    check_float(op, name, *v);
    check_same_dtype(op, name, *v, "src", src);
    check_shape(op, name, *v, {c});
  }

  const int last = src.ndim() - 1;
  std::vector<double> row(static_cast<size_t>(c));
  for_each_row(src.shape(), last, [&](const Index& first) {
    Index i = first;
    double mean = 0;
    for (int64_t j = 0; j < c; ++j) {
      i[static_cast<size_t>(last)] = j;
      mean += (row[static_cast<size_t>(j)] = load(src, offset_at(src, i)));
    }
    mean /= static_cast<double>(c);
    double var = 0;  // biased (divides by C), as torch.nn.LayerNorm
    for (double x : row) var += (x - mean) * (x - mean);
    var /= static_cast<double>(c);
    const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps));
    for (int64_t j = 0; j < c; ++j) {
      i[static_cast<size_t>(last)] = j;
      double y = (row[static_cast<size_t>(j)] - mean) * inv;
      if (gamma) y *= load(*gamma, j * gamma->stride(0));
      if (beta) y += load(*beta, j * beta->stride(0));
      store(dst, offset_at(dst, i), y);
    }
  });
}

}  // namespace loom::reference
