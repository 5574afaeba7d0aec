// A strided tensor as the kernels see it: plain data, passed to a kernel by
// value. Shared by the host code (g++) and the kernels (nvcc).
#pragma once

#include <cstdint>

namespace loom::cudnn {

constexpr int kMaxDims = 8;  // LOOM_MAX_DIMS

struct TensorDesc {
  void* data = nullptr;
  int32_t dtype = 0;  // loom_dtype
  int32_t ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};  // in elements; 0 on a broadcast dim
};

}  // namespace loom::cudnn
