// Launchers of Loom's own CUDA kernels (kernels/*.cu), callable from the host
// code (g++). Each enqueues its work on `stream` and returns the first CUDA
// error of doing so (cudaSuccess when all went in); the caller turns it into
// a Loom error. Arguments are checked by the caller (the op functions, as the
// reference backend): shapes agree, dtypes are the ones named, every operand
// has at least one element, data pointers are aligned to their element size.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "tensor_desc.hpp"

namespace loom::cudnn {

// elementwise.cu. src, dst (and a, b) are F32/F16/BF16 of one dtype and the
// same shape (a, b broadcast to dst's shape by broadcast_desc). dst may be the
// same view as src (unary) or a (binary).
cudaError_t launch_unary(int32_t op, float alpha, float beta, const TensorDesc& src, const TensorDesc& dst,
                         cudaStream_t stream);
cudaError_t launch_binary(int32_t op, const TensorDesc& a, const TensorDesc& b, const TensorDesc& dst,
                          cudaStream_t stream);
// Writes the low dtype_bytes(dst.dtype) bytes of `bits` (the element's bit
// pattern, little-endian) into every element of dst.
cudaError_t launch_fill(uint64_t bits, const TensorDesc& dst, cudaStream_t stream);

// data_movement.cu. copy: same shape; same dtype (any) or both floating.
cudaError_t launch_copy(const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream);
// gather, in two launches on one stream. gather_check sets *first_bad (set to
// ~0 beforehand) to the smallest row-major position of an index outside
// [0, vocab); launch_gather then copies table rows into dst, unless *first_bad
// was set (dst stays untouched). table [V, D], indices I32/I64, dst
// indices.shape + [D] of table's dtype.
cudaError_t launch_gather_check(const TensorDesc& indices, int64_t vocab, unsigned long long* first_bad,
                                cudaStream_t stream);
cudaError_t launch_gather(const TensorDesc& table, const TensorDesc& indices, const TensorDesc& dst,
                          const unsigned long long* first_bad, cudaStream_t stream);

// normalization.cu. softmax along `axis` (in [0, ndim)); mask, when given, is
// broadcast to src's shape (broadcast_desc): F32/F16/BF16 added to the scores,
// BOOL/U8 nonzero = masked out. A row whose scores are all -inf gives zeros.
cudaError_t launch_softmax(const TensorDesc& src, const TensorDesc* mask, int32_t axis, const TensorDesc& dst,
                           cudaStream_t stream);
// layer_norm over the last dim; gamma and beta (optional) are 1-D [C].
cudaError_t launch_layer_norm(const TensorDesc& src, const TensorDesc* gamma, const TensorDesc* beta, float eps,
                              const TensorDesc& dst, cudaStream_t stream);

// reduce.cu. op is a loom_reduce_op; dst has src's rank, each dim src's or 1.
// dst may have elements while src has none (a reduced dim is 0).
cudaError_t launch_reduce(int32_t op, const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream);

}  // namespace loom::cudnn
