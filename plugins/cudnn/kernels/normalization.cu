// softmax and layer_norm: one block per row (grid-stride over rows), the
// row's threads striding along it and combining with block reductions. Rows
// are re-read from memory on each pass instead of being staged, so any row
// length works with the same 32 floats of shared memory.
#include <cstdint>

#include "device_tensor.cuh"
#include "kernels.hpp"

namespace loom::cudnn {

namespace {

enum MaskKind : int32_t { kNoMask = 0, kAdditiveMask = 1, kBooleanMask = 2 };

struct SoftmaxArgs {
  RowPlan<3> plan;  // operands [0] src, [1] dst, [2] mask (zero strides when there is none)
  const void* src;
  int32_t src_dtype;
  void* dst;
  int32_t dst_dtype;
  const void* mask;
  int32_t mask_dtype;
  int32_t mask_kind;
};

// Score j of the row starting at `base`: src plus the additive mask, or -inf
// where a boolean mask is set.
__device__ __forceinline__ float score(const SoftmaxArgs& a, const int64_t (&base)[3], int64_t j) {
  float s = load_float(a.src, a.src_dtype, base[0] + j * a.plan.step[0]);
  const int64_t m = base[2] + j * a.plan.step[2];
  if (a.mask_kind == kAdditiveMask)
    s += load_float(a.mask, a.mask_dtype, m);
  else if (a.mask_kind == kBooleanMask && static_cast<const uint8_t*>(a.mask)[m] != 0)
    s = -INFINITY;
  return s;
}

// Three passes per row: max (NaN propagates, as torch), sum of exp(s - max),
// then the quotients. A row with every score -inf (fully masked) gets zeros
// instead of 0/0.
__global__ void softmax_kernel(SoftmaxArgs a) {
  __shared__ float shared[32];
  const int64_t rows = a.plan.rows.numel(), len = a.plan.len;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {  // the same rows for the whole block
    int64_t base[3];
    a.plan.rows.offsets(r, base);
    float top = -INFINITY;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) top = nan_max(top, score(a, base, j));
    top = block_reduce(top, NanMaxOp{}, -INFINITY, shared);
    if (top == -INFINITY) {
      for (int64_t j = threadIdx.x; j < len; j += blockDim.x) store_float(a.dst, a.dst_dtype, base[1] + j * a.plan.step[1], 0.0f);
      continue;  // block-uniform: top is the block's result
    }
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) sum += expf(score(a, base, j) - top);
    sum = block_reduce(sum, SumOp{}, 0.0f, shared);
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x)
      store_float(a.dst, a.dst_dtype, base[1] + j * a.plan.step[1], expf(score(a, base, j) - top) / sum);
  }
}

struct LayerNormArgs {
  RowPlan<2> plan;  // operands [0] src, [1] dst; rows along the last dim
  const void* src;
  void* dst;
  int32_t dtype;  // src, dst, gamma and beta share it
  const void* gamma;  // null: no scale
  int64_t gamma_stride;
  const void* beta;  // null: no shift
  int64_t beta_stride;
  float eps;
};

// Two passes for the statistics (mean, then the biased variance around it:
// no cancellation when the mean is large), one to write.
__global__ void layer_norm_kernel(LayerNormArgs a) {
  __shared__ float shared[32];
  const int64_t rows = a.plan.rows.numel(), len = a.plan.len;
  const float count = static_cast<float>(len);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    int64_t base[2];
    a.plan.rows.offsets(r, base);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) sum += load_float(a.src, a.dtype, base[0] + j * a.plan.step[0]);
    const float mean = block_reduce(sum, SumOp{}, 0.0f, shared) / count;
    float squares = 0.0f;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      const float d = load_float(a.src, a.dtype, base[0] + j * a.plan.step[0]) - mean;
      squares += d * d;
    }
    const float var = block_reduce(squares, SumOp{}, 0.0f, shared) / count;
    const float inv = 1.0f / sqrtf(var + a.eps);
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      float y = (load_float(a.src, a.dtype, base[0] + j * a.plan.step[0]) - mean) * inv;
      if (a.gamma) y *= load_float(a.gamma, a.dtype, j * a.gamma_stride);
      if (a.beta) y += load_float(a.beta, a.dtype, j * a.beta_stride);
      store_float(a.dst, a.dtype, base[1] + j * a.plan.step[1], y);
    }
  }
}

}  // namespace

cudaError_t launch_softmax(const TensorDesc& src, const TensorDesc* mask, int32_t axis, const TensorDesc& dst,
                           cudaStream_t stream) {
  TensorDesc none;  // no mask: zero strides, never read
  none.ndim = src.ndim;
  const TensorDesc descs[3] = {src, dst, mask ? *mask : none};
  SoftmaxArgs a;
  a.plan = plan_rows<3>(descs, axis);
  a.src = src.data;
  a.src_dtype = src.dtype;
  a.dst = dst.data;
  a.dst_dtype = dst.dtype;
  a.mask = mask ? mask->data : nullptr;
  a.mask_dtype = mask ? mask->dtype : LOOM_DTYPE_F32;
  a.mask_kind = !mask                                                                  ? kNoMask
                : mask->dtype == LOOM_DTYPE_BOOL || mask->dtype == LOOM_DTYPE_U8 ? kBooleanMask
                                                                                  : kAdditiveMask;
  const int threads = row_threads(a.plan.len);
  softmax_kernel<<<blocks_for(a.plan.rows.numel(), 1), threads, 0, stream>>>(a);
  return cudaGetLastError();
}

cudaError_t launch_layer_norm(const TensorDesc& src, const TensorDesc* gamma, const TensorDesc* beta, float eps,
                              const TensorDesc& dst, cudaStream_t stream) {
  const TensorDesc descs[2] = {src, dst};
  LayerNormArgs a;
  a.plan = plan_rows<2>(descs, src.ndim - 1);
  a.src = src.data;
  a.dst = dst.data;
  a.dtype = src.dtype;
  a.gamma = gamma ? gamma->data : nullptr;
  a.gamma_stride = gamma ? gamma->strides[0] : 0;
  a.beta = beta ? beta->data : nullptr;
  a.beta_stride = beta ? beta->strides[0] : 0;
  a.eps = eps;
  const int threads = row_threads(a.plan.len);
  layer_norm_kernel<<<blocks_for(a.plan.rows.numel(), 1), threads, 0, stream>>>(a);
  return cudaGetLastError();
}

}  // namespace loom::cudnn
