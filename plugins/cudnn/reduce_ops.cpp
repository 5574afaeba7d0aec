// reduce: sum, mean or max over the dims where dst has size 1, on the GPU
// (kernels/reduce.cu), with the reference backend's argument checks.
#include <string>

#include "cudnn_backend.hpp"
#include "kernel_op_checks.hpp"
#include "kernels/kernels.hpp"
#include "loom/abi/backend.h"

namespace loom::cudnn {

void CudnnBackend::reduce(int32_t op, const View& src, const View& dst) {
  const char* name = "reduce";
  const int device = state_->device();
  check_float(name, "src", src, device);
  check_float(name, "dst", dst, device);
  check_same_dtype(name, "dst", dst, "src", src);
  sdk::checks::check_reduce_shapes(op, src, dst);
  check_output(name, "dst", dst);
  check_aligned(name, "src", src);
  check_aligned(name, "dst", dst);
  // dst may have elements when src has none (a reduced dim of 0): they get
  // the empty sum 0, mean NaN, max -inf.
  if (dst.numel() == 0) return;
  state_->activate();
  check_kernel(launch_reduce(op, desc_of(src), desc_of(dst), state_->stream()), name);
}

}  // namespace loom::cudnn
