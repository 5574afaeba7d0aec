// The small kernels behind matmul and the recurrent ops (kernels/epilogue.cu):
// the matmul epilogue (bias, activation, beta), a strided same-dtype copy and
// an int32 fill. Plain declarations, so g++ code can call them; each launch
// enqueues on `stream` and the caller checks it with check_launch().
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/tensor_desc.hpp"

namespace loom::cudnn {

// dst = act(product + bias[n]) + beta * dst, elementwise over dst's shape
// (n is the last index). `product` has dst's shape and F32 or dst's dtype; its
// data may be null for an all-zero product (K = 0), and it may be dst itself
// (the in-place epilogue after a GEMM into dst, with beta 0). dst is read only
// when beta != 0. `activation` is any loom_unary_op but LINEAR.
struct EpilogueArgs {
  TensorDesc dst;
  TensorDesc product;
  const void* bias = nullptr;  // [N] in dst's dtype, or null
  int64_t bias_stride = 0;     // in elements
  int32_t activation = 0;
  float beta = 0.0f;
};
void launch_matmul_epilogue(const EpilogueArgs& args, cudaStream_t stream);

// dst = src elementwise; same shape and dtype (2- or 4-byte elements), any
// strides on either side (dst must not overlap itself or src).
void launch_operand_copy(const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream);

// data[0, count) = value.
void launch_fill_int32(int32_t* data, int64_t count, int32_t value, cudaStream_t stream);

}  // namespace loom::cudnn
