// reduce: one block per dst element (grid-stride over them), the block's
// threads striding over the src elements it reduces. Sums accumulate in
// double, max in float with NaN propagation.
#include <cmath>
#include <cstdint>

#include "device_tensor.cuh"
#include "kernels.hpp"
#include "loom/abi/backend.h"

namespace loom::cudnn {

namespace {

struct ReduceArgs {
  ReducePlan plan;
  const void* src;
  void* dst;
  int32_t dtype;  // src and dst share it
};

// Over zero elements a sum is 0, a mean 0 / 0 = NaN (as torch) and a max -inf.
template <bool Mean>
__global__ void sum_kernel(ReduceArgs a) {
  __shared__ double shared[32];
  for (int64_t o = blockIdx.x; o < a.plan.outer_count; o += gridDim.x) {  // the same outputs for the whole block
    int64_t out[2];
    a.plan.outer.offsets(o, out);
    double acc = 0.0;
    for (int64_t i = threadIdx.x; i < a.plan.inner_count; i += blockDim.x) {
      int64_t in[1];
      a.plan.inner.offsets(i, in);
      acc += static_cast<double>(load_float(a.src, a.dtype, out[0] + in[0]));
    }
    acc = block_reduce(acc, SumOp{}, 0.0, shared);
    if (threadIdx.x == 0) {
      if constexpr (Mean) acc /= static_cast<double>(a.plan.inner_count);
      store_float(a.dst, a.dtype, out[1], static_cast<float>(acc));
    }
  }
}

__global__ void max_kernel(ReduceArgs a) {
  __shared__ float shared[32];
  for (int64_t o = blockIdx.x; o < a.plan.outer_count; o += gridDim.x) {
    int64_t out[2];
    a.plan.outer.offsets(o, out);
    float acc = -INFINITY;
    for (int64_t i = threadIdx.x; i < a.plan.inner_count; i += blockDim.x) {
      int64_t in[1];
      a.plan.inner.offsets(i, in);
      acc = nan_max(acc, load_float(a.src, a.dtype, out[0] + in[0]));
    }
    acc = block_reduce(acc, NanMaxOp{}, -INFINITY, shared);
    if (threadIdx.x == 0) store_float(a.dst, a.dtype, out[1], acc);
  }
}

}  // namespace

cudaError_t launch_reduce(int32_t op, const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream) {
  ReduceArgs a;
  a.plan = plan_reduce(src, dst);
  a.src = src.data;
  a.dst = dst.data;
  a.dtype = dst.dtype;
  const unsigned int blocks = blocks_for(a.plan.outer_count, 1);
  const int threads = row_threads(a.plan.inner_count);
  switch (op) {
    case LOOM_REDUCE_SUM: sum_kernel<false><<<blocks, threads, 0, stream>>>(a); break;
    case LOOM_REDUCE_MEAN: sum_kernel<true><<<blocks, threads, 0, stream>>>(a); break;
    case LOOM_REDUCE_MAX: max_kernel<<<blocks, threads, 0, stream>>>(a); break;
    default: return cudaErrorInvalidValue;  // unknown op: checked on the host
  }
  return cudaGetLastError();
}

}  // namespace loom::cudnn
