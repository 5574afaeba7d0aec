// copy (strided, with f32/f16/bf16 conversions) and gather (embedding
// lookup with a device-side index check).
#include <cstdint>

#include "device_tensor.cuh"
#include "kernels.hpp"

namespace loom::cudnn {

namespace {

constexpr unsigned long long kNoBadIndex = ~0ull;

// Same dtype: elements move as raw T of the dtype's size. Operands [0] src, [1] dst.
template <class T>
__global__ void copy_same_kernel(Indexer<2> it, int64_t n, const T* src, T* dst) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    int64_t off[2];
    it.offsets(i, off);
    dst[off[1]] = src[off[0]];
  }
}

// Between floating dtypes, through float (exact for f16/bf16, then rounded to
// nearest even: what the reference backend does).
__global__ void copy_convert_kernel(Indexer<2> it, int64_t n, const void* src, int32_t src_dtype, void* dst,
                                    int32_t dst_dtype) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    int64_t off[2];
    it.offsets(i, off);
    store_float(dst, dst_dtype, off[1], load_float(src, src_dtype, off[0]));
  }
}

template <class T>
void copy_same(const Indexer<2>& it, const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream) {
  const int64_t n = it.numel();
  copy_same_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, static_cast<const T*>(src.data),
                                                                        static_cast<T*>(dst.data));
}

// Sets *first_bad to the smallest flat position whose index is outside [0, vocab).
template <class I>
__global__ void gather_check_kernel(Indexer<1> it, int64_t n, const I* indices, int64_t vocab,
                                    unsigned long long* first_bad) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) {
    int64_t off[1];
    it.offsets(i, off);
    const int64_t row = static_cast<int64_t>(indices[off[0]]);
    if (row < 0 || row >= vocab) atomicMin(first_bad, static_cast<unsigned long long>(i));
  }
}

// One thread per dst element: position p = e / width of the indices, column
// j = e % width. Operands of `it` (over the indices' shape): [0] indices,
// [1] the start of dst's row for that position.
template <class T, class I>
__global__ void gather_kernel(Indexer<2> it, int64_t count, int64_t width, const I* indices, const T* table,
                              int64_t table_row_stride, int64_t table_col_stride, int64_t vocab, T* dst,
                              int64_t dst_col_stride, const unsigned long long* first_bad) {
  if (*first_bad != kNoBadIndex) return;  // a bad index: dst stays as it was
  const int64_t n = count * width;
  for (int64_t e = first_index(); e < n; e += grid_stride()) {
    const int64_t p = e / width, j = e - p * width;
    int64_t off[2];
    it.offsets(p, off);
    const int64_t row = static_cast<int64_t>(indices[off[0]]);
    if (row < 0 || row >= vocab) continue;  // unreachable after the check; never read outside the table
    dst[off[1] + j * dst_col_stride] = table[row * table_row_stride + j * table_col_stride];
  }
}

template <class T, class I>
void gather_as(const TensorDesc& table, const TensorDesc& indices, const TensorDesc& dst,
               const unsigned long long* first_bad, cudaStream_t stream) {
  const int64_t* strides[2] = {indices.strides, dst.strides};  // dst's leading dims are the indices' shape
  const Indexer<2> it = make_indexer<2>(indices.ndim, indices.shape, strides);
  const int64_t count = it.numel(), width = table.shape[1];
  gather_kernel<T, I><<<blocks_for(count * width, kThreads), kThreads, 0, stream>>>(
      it, count, width, static_cast<const I*>(indices.data), static_cast<const T*>(table.data), table.strides[0],
      table.strides[1], table.shape[0], static_cast<T*>(dst.data), dst.strides[indices.ndim], first_bad);
}

template <class T>
void gather_rows(const TensorDesc& table, const TensorDesc& indices, const TensorDesc& dst,
                 const unsigned long long* first_bad, cudaStream_t stream) {
  if (indices.dtype == LOOM_DTYPE_I32)
    gather_as<T, int32_t>(table, indices, dst, first_bad, stream);
  else
    gather_as<T, int64_t>(table, indices, dst, first_bad, stream);
}

}  // namespace

cudaError_t launch_copy(const TensorDesc& src, const TensorDesc& dst, cudaStream_t stream) {
  const TensorDesc descs[2] = {src, dst};
  const Indexer<2> it = make_indexer<2>(descs);
  const int64_t n = it.numel();
  if (src.dtype != dst.dtype) {
    copy_convert_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(it, n, src.data, src.dtype, dst.data,
                                                                          dst.dtype);
    return cudaGetLastError();
  }
  const int bytes = dtype_bytes(src.dtype);
  if (it.contiguous()) {
    if (src.data == dst.data) return cudaSuccess;  // the same dense memory: nothing to move
    return cudaMemcpyAsync(dst.data, src.data, static_cast<size_t>(n) * static_cast<size_t>(bytes),
                           cudaMemcpyDeviceToDevice, stream);
  }
  switch (bytes) {
    case 1: copy_same<uint8_t>(it, src, dst, stream); break;
    case 2: copy_same<uint16_t>(it, src, dst, stream); break;
    case 4: copy_same<uint32_t>(it, src, dst, stream); break;
    case 8: copy_same<unsigned long long>(it, src, dst, stream); break;
    default: return cudaErrorInvalidValue;  // unknown dtype: checked on the host
  }
  return cudaGetLastError();
}

cudaError_t launch_gather_check(const TensorDesc& indices, int64_t vocab, unsigned long long* first_bad,
                                cudaStream_t stream) {
  const TensorDesc descs[1] = {indices};
  const Indexer<1> it = make_indexer<1>(descs);
  const int64_t n = it.numel();
  const unsigned int blocks = blocks_for(n, kThreads);
  if (indices.dtype == LOOM_DTYPE_I32)
    gather_check_kernel<int32_t><<<blocks, kThreads, 0, stream>>>(it, n, static_cast<const int32_t*>(indices.data),
                                                                  vocab, first_bad);
  else
    gather_check_kernel<int64_t><<<blocks, kThreads, 0, stream>>>(it, n, static_cast<const int64_t*>(indices.data),
                                                                  vocab, first_bad);
  return cudaGetLastError();
}

cudaError_t launch_gather(const TensorDesc& table, const TensorDesc& indices, const TensorDesc& dst,
                          const unsigned long long* first_bad, cudaStream_t stream) {
  switch (dtype_bytes(table.dtype)) {
    case 1: gather_rows<uint8_t>(table, indices, dst, first_bad, stream); break;
    case 2: gather_rows<uint16_t>(table, indices, dst, first_bad, stream); break;
    case 4: gather_rows<uint32_t>(table, indices, dst, first_bad, stream); break;
    case 8: gather_rows<unsigned long long>(table, indices, dst, first_bad, stream); break;
    default: return cudaErrorInvalidValue;  // unknown dtype: checked on the host
  }
  return cudaGetLastError();
}

}  // namespace loom::cudnn
