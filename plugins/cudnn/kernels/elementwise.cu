// unary, binary and fill: one grid-stride loop over the elements, offsets
// from an Indexer, and a branch-free path when every operand is dense. Math in
// float (torch's formulas; no fast-math intrinsics).
#include <cstdint>

#include "device_tensor.cuh"
#include "kernels.hpp"
#include "loom/abi/backend.h"

namespace loom::cudnn {

namespace {

__device__ __forceinline__ float apply_unary(int32_t op, float x, float alpha, float beta) {
  switch (op) {
    case LOOM_UNARY_RELU: return x < 0.0f ? 0.0f : x;  // NaN stays NaN, as torch
    case LOOM_UNARY_GELU: return 0.5f * x * (1.0f + erff(x * 0.707106781186547524f));  // x * Phi(x)
    case LOOM_UNARY_GELU_TANH: {
      const float sqrt_2_over_pi = 0.797884560802865356f;
      return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
    }
    case LOOM_UNARY_TANH: return tanhf(x);
    case LOOM_UNARY_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case LOOM_UNARY_EXP: return expf(x);
    case LOOM_UNARY_LOG: return logf(x);
    case LOOM_UNARY_SQRT: return sqrtf(x);
    case LOOM_UNARY_ABS: return fabsf(x);
    case LOOM_UNARY_SQUARE: return x * x;
    case LOOM_UNARY_LINEAR: return fmaf(alpha, x, beta);  // one rounding of alpha * x + beta
    default: return x;                                    // IDENTITY (the host rejects unknown ops)
  }
}

__device__ __forceinline__ float apply_binary(int32_t op, float x, float y) {
  switch (op) {
    case LOOM_BINARY_ADD: return x + y;
    case LOOM_BINARY_SUB: return x - y;
    case LOOM_BINARY_MUL: return x * y;
    case LOOM_BINARY_DIV: return x / y;
    // NaN propagates, as torch.maximum / torch.minimum (fmaxf would drop it).
    case LOOM_BINARY_MAX: return isnan(x) || isnan(y) ? __int_as_float(0x7fc00000) : (x > y ? x : y);
    default: return isnan(x) || isnan(y) ? __int_as_float(0x7fc00000) : (x < y ? x : y);  // MIN
  }
}

// Operands: [0] src, [1] dst. dst may be src itself: each element is read
// before it is written, by the same thread.
template <bool Dense>
__global__ void unary_kernel(Indexer<2> it, int64_t n, int32_t op, float alpha, float beta, const void* src,
                             void* dst, int32_t dtype) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    int64_t off[2] = {i, i};
    if constexpr (!Dense) it.offsets(i, off);
    store_float(dst, dtype, off[1], apply_unary(op, load_float(src, dtype, off[0]), alpha, beta));
  }
}

// Operands: [0] a, [1] b (both broadcast to dst's shape), [2] dst.
template <bool Dense>
__global__ void binary_kernel(Indexer<3> it, int64_t n, int32_t op, const void* a, const void* b, void* dst,
                              int32_t dtype) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    int64_t off[3] = {i, i, i};
    if constexpr (!Dense) it.offsets(i, off);
    store_float(dst, dtype, off[2], apply_binary(op, load_float(a, dtype, off[0]), load_float(b, dtype, off[1])));
  }
}

template <class T, bool Dense>
__global__ void fill_kernel(Indexer<1> it, int64_t n, T value, T* dst) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    int64_t off[1] = {i};
    if constexpr (!Dense) it.offsets(i, off);
    dst[off[0]] = value;
  }
}

template <class T>
void fill_as(const Indexer<1>& it, uint64_t bits, void* dst, cudaStream_t stream) {
  const int64_t n = it.numel();
  const T value = static_cast<T>(bits);  // the low sizeof(T) bytes
  if (it.contiguous())
    fill_kernel<T, true><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, value, static_cast<T*>(dst));
  else
    fill_kernel<T, false><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, value, static_cast<T*>(dst));
}

}  // namespace

cudaError_t launch_unary(int32_t op, float alpha, float beta, const TensorDesc& src, const TensorDesc& dst,
                         cudaStream_t stream) {
  const TensorDesc descs[2] = {src, dst};
  const Indexer<2> it = make_indexer<2>(descs);
  const int64_t n = it.numel();
  if (it.contiguous())
    unary_kernel<true><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, op, alpha, beta, src.data, dst.data,
                                                                        dst.dtype);
  else
    unary_kernel<false><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, op, alpha, beta, src.data,
                                                                         dst.data, dst.dtype);
  return cudaGetLastError();
}

cudaError_t launch_binary(int32_t op, const TensorDesc& a, const TensorDesc& b, const TensorDesc& dst,
                          cudaStream_t stream) {
  const TensorDesc descs[3] = {a, b, dst};
  const Indexer<3> it = make_indexer<3>(descs);
  const int64_t n = it.numel();
  if (it.contiguous())
    binary_kernel<true><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, op, a.data, b.data, dst.data,
                                                                         dst.dtype);
  else
    binary_kernel<false><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, op, a.data, b.data, dst.data,
                                                                          dst.dtype);
  return cudaGetLastError();
}

cudaError_t launch_fill(uint64_t bits, const TensorDesc& dst, cudaStream_t stream) {
  const TensorDesc descs[1] = {dst};
  const Indexer<1> it = make_indexer<1>(descs);
  switch (dtype_bytes(dst.dtype)) {
    case 1: fill_as<uint8_t>(it, bits, dst.data, stream); break;
    case 2: fill_as<uint16_t>(it, bits, dst.data, stream); break;
    case 4: fill_as<uint32_t>(it, bits, dst.data, stream); break;
    case 8: fill_as<unsigned long long>(it, bits, dst.data, stream); break;
    default: return cudaErrorInvalidValue;  // unknown dtype: checked on the host
  }
  return cudaGetLastError();
}

}  // namespace loom::cudnn
