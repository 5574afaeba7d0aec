// Device helpers shared by the cudnn kernels (nvcc only): grid-stride
// indices, reading and writing floating elements of any float dtype as float,
// and warp / block reductions.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "index_math.hpp"
#include "loom/abi/types.h"

namespace loom::cudnn {

// Grid-stride loops over int64 counts: for (i = first_index(); i < n; i += grid_stride()).
__device__ __forceinline__ int64_t first_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() { return static_cast<int64_t>(blockDim.x) * gridDim.x; }

// Element `offset` of a F32/F16/BF16 tensor (the dtype is checked on the host).
__device__ __forceinline__ float load_float(const void* base, int32_t dtype, int64_t offset) {
  switch (dtype) {
    case LOOM_DTYPE_F16: return __half2float(static_cast<const __half*>(base)[offset]);
    case LOOM_DTYPE_BF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[offset]);
    default: return static_cast<const float*>(base)[offset];
  }
}

// Writes x rounded to nearest even (overflow to inf, as the reference backend).
__device__ __forceinline__ void store_float(void* base, int32_t dtype, int64_t offset, float x) {
  switch (dtype) {
    case LOOM_DTYPE_F16: static_cast<__half*>(base)[offset] = __float2half_rn(x); break;
    case LOOM_DTYPE_BF16: static_cast<__nv_bfloat16*>(base)[offset] = __float2bfloat16_rn(x); break;
    default: static_cast<float*>(base)[offset] = x; break;
  }
}

// max with NaN propagation (torch.maximum, torch.amax): a NaN on either side wins.
template <class T>
__device__ __forceinline__ T nan_max(T a, T b) {
  return (a > b || a != a) ? a : b;
}

struct SumOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct NanMaxOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return nan_max(a, b); }
};

// Reduces v over the 32 lanes of a full warp; every lane gets the result.
template <class T, class Op>
__device__ __forceinline__ T warp_reduce(T v, Op op) {
  for (int delta = 16; delta > 0; delta /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, delta));
  return v;
}

// Reduces v over the block (blockDim.x a multiple of 32, at most 1024; every
// thread calls it); every thread gets the result. `shared` holds 32 values and
// may be reused by the next call: the first barrier keeps a new round from
// overwriting what a slow warp still reads.
template <class T, class Op>
__device__ __forceinline__ T block_reduce(T v, Op op, T identity, T* shared) {
  const unsigned int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_reduce(v, op);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_reduce(lane < warps ? shared[lane] : identity, op);
    if (lane == 0) shared[0] = v;
  }
  __syncthreads();
  return shared[0];
}

}  // namespace loom::cudnn
