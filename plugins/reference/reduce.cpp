// reduce: sum, mean or max over the dims where dst has size 1.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "checks.hpp"
#include "reference_backend.hpp"
#include "strided.hpp"

namespace loom::reference {

void ReferenceBackend::reduce(int32_t op, const View& src, const View& dst) {
  const char* name = "reduce";
  check_float(name, "src", src);
  check_float(name, "dst", dst);
  check_same_dtype(name, "dst", dst, "src", src);
  sdk::checks::check_reduce_shapes(op, src, dst);

  const Shape out = dst.shape();
  const int64_t out_count = dst.numel();
  if (out_count == 0) return;
  // Accumulators in dst's row-major order. Over zero elements a sum is 0, a
  // mean 0/0 = NaN (as torch) and a max -inf (the identity of max).
  std::vector<double> acc(static_cast<size_t>(out_count),
                          op == LOOM_REDUCE_MAX ? -std::numeric_limits<double>::infinity() : 0.0);
  for_each_index(src.shape(), [&](const Index& i) {
    int64_t flat = 0;  // the dst element this one reduces into
    for (size_t d = 0; d < out.size(); ++d) flat = flat * out[d] + (out[d] == 1 ? 0 : i[d]);
    const double x = load(src, offset_at(src, i));
    double& a = acc[static_cast<size_t>(flat)];
    if (op == LOOM_REDUCE_MAX)
      a = (std::isnan(a) || std::isnan(x)) ? std::nan("") : (x > a ? x : a);  // NaN propagates, as torch
    else
      a += x;
  });
  const double count = static_cast<double>(src.numel()) / static_cast<double>(out_count);
  int64_t flat = 0;
  for_each_index(out, [&](const Index& i) {
    double v = acc[static_cast<size_t>(flat++)];
    if (op == LOOM_REDUCE_MEAN) v /= count;
    store(dst, offset_at(dst, i), v);
  });
}

}  // namespace loom::reference
