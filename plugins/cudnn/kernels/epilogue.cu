// The matmul epilogue, the strided copy and the int32 fill (epilogue.hpp).
// One thread per element with grid-stride loops over int64 counts; the math
// is in float whatever the storage dtype, as the reference rounds once at the
// store.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/epilogue.hpp"
#include "loom/abi/backend.h"

namespace loom::cudnn {

namespace {

constexpr int kThreads = 256;

// Enough blocks for one element per thread, capped: the loops stride over the rest.
unsigned int blocks_for(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < 65535 ? blocks : 65535);
}

int64_t numel(const TensorDesc& d) {
  int64_t n = 1;
  for (int32_t i = 0; i < d.ndim; ++i) n *= d.shape[i];
  return n;
}

__device__ inline float load(const void* p, int32_t dtype, int64_t i) {
  switch (dtype) {
    case LOOM_DTYPE_F16: return __half2float(static_cast<const __half*>(p)[i]);
    case LOOM_DTYPE_BF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

__device__ inline void store(void* p, int32_t dtype, int64_t i, float v) {
  switch (dtype) {
    case LOOM_DTYPE_F16: static_cast<__half*>(p)[i] = __float2half_rn(v); break;
    case LOOM_DTYPE_BF16: static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v); break;
    default: static_cast<float*>(p)[i] = v; break;
  }
}

// The element offsets of linear (row-major) index `idx` in two views of the
// same shape; `last` gets the index along the last dim.
__device__ inline void offsets_of(const TensorDesc& a, const TensorDesc& b, int64_t idx, int64_t& oa, int64_t& ob,
                                  int64_t& last) {
  oa = 0;
  ob = 0;
  last = 0;
  for (int32_t d = a.ndim - 1; d >= 0; --d) {
    const int64_t size = a.shape[d];
    const int64_t i = idx % size;
    idx /= size;
    if (d == a.ndim - 1) last = i;
    oa += i * a.strides[d];
    ob += i * b.strides[d];
  }
}

// The fused activation: every loom_unary_op but LINEAR, as the reference
// backend (and the conformance suite) accept them, with torch's formulas.
__device__ inline float activate(int32_t op, float x) {
  switch (op) {
    case LOOM_UNARY_RELU: return x < 0.0f ? 0.0f : x;  // NaN stays NaN
    case LOOM_UNARY_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));  // x / sqrt(2)
    case LOOM_UNARY_GELU_TANH: {
      const float k = 0.79788456080286536f;  // sqrt(2 / pi)
      return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
    }
    case LOOM_UNARY_TANH: return tanhf(x);
    case LOOM_UNARY_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case LOOM_UNARY_EXP: return expf(x);
    case LOOM_UNARY_LOG: return logf(x);
    case LOOM_UNARY_SQRT: return sqrtf(x);
    case LOOM_UNARY_ABS: return fabsf(x);
    case LOOM_UNARY_SQUARE: return x * x;
    default: return x;  // IDENTITY; the host rejects LINEAR and unknown codes
  }
}

__global__ void matmul_epilogue_kernel(EpilogueArgs a, int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < count; idx += step) {
    int64_t od = 0, op = 0, col = 0;
    offsets_of(a.dst, a.product, idx, od, op, col);
    float v = a.product.data ? load(a.product.data, a.product.dtype, op) : 0.0f;
    if (a.bias) v += load(a.bias, a.dst.dtype, col * a.bias_stride);
    v = activate(a.activation, v);
    // beta == 0 overwrites: whatever dst held (even NaN) is not read.
    if (a.beta != 0.0f) v += a.beta * load(a.dst.data, a.dst.dtype, od);
    store(a.dst.data, a.dst.dtype, od, v);
  }
}

template <class T>
__global__ void operand_copy_kernel(TensorDesc src, TensorDesc dst, int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < count; idx += step) {
    int64_t os = 0, od = 0, col = 0;
    offsets_of(src, dst, idx, os, od, col);
    static_cast<T*>(dst.data)[od] = static_cast<const T*>(src.data)[os];
  }
}

__global__ void fill_int32_kernel(int32_t* data, int64_t count, int32_t value) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < count; idx += step)
    data[idx] = value;
}

}  // namespace

void launch_matmul_epilogue(const EpilogueArgs& args, cudaStream_t stream) {
  const int64_t count = numel(args.dst);
  if (count == 0) return;
  matmul_epilogue_kernel<<<blocks_for(count), kThreads, 0, stream>>>(args, count);
}

void launch_operand_copy(const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream) {
  const int64_t count = numel(dst);
  if (count == 0) return;
  const unsigned int blocks = blocks_for(count);
  switch (src.dtype) {
    case LOOM_DTYPE_F16:
    case LOOM_DTYPE_BF16: operand_copy_kernel<uint16_t><<<blocks, kThreads, 0, stream>>>(src, dst, count); break;
    case LOOM_DTYPE_I64: operand_copy_kernel<uint64_t><<<blocks, kThreads, 0, stream>>>(src, dst, count); break;
    case LOOM_DTYPE_U8:
    case LOOM_DTYPE_BOOL: operand_copy_kernel<uint8_t><<<blocks, kThreads, 0, stream>>>(src, dst, count); break;
    default: operand_copy_kernel<uint32_t><<<blocks, kThreads, 0, stream>>>(src, dst, count); break;  // F32, I32
  }
}

void launch_fill_int32(int32_t* data, int64_t count, int32_t value, cudaStream_t stream) {
  if (count <= 0) return;
  fill_int32_kernel<<<blocks_for(count), kThreads, 0, stream>>>(data, count, value);
}

}  // namespace loom::cudnn
