// copy (strided, with f32/f16/bf16 conversions), concat (one copy per source
// into its slice of dst) and gather (embedding lookup) on the GPU, with the
// reference backend's argument checks (kernels/data_movement.cu).
#include <cstdint>
#include <string>
#include <vector>

#include "cudnn_backend.hpp"
#include "kernel_op_checks.hpp"
#include "kernels/index_math.hpp"
#include "kernels/kernels.hpp"
#include "loom/sdk/dtype.hpp"

namespace loom::cudnn {

void CudnnBackend::copy(const View& src, const View& dst) {
  const char* op = "copy";
  const int device = state_->device();
  check_view(op, "src", src, device);
  check_view(op, "dst", dst, device);
  check_shape(op, "dst", dst, src.shape());
  if (src.dtype() != dst.dtype() && !(sdk::is_floating(src.dtype()) && sdk::is_floating(dst.dtype())))
    throw sdk::unsupported(std::string(op) + ": cannot convert src " + describe(src) + " to dst " + describe(dst) +
                           "; conversions are among f32, f16 and bf16 only");
  check_output(op, "dst", dst);
  check_aligned(op, "src", src);
  check_aligned(op, "dst", dst);
  if (dst.numel() == 0) return;
  state_->activate();
  check_kernel(launch_copy(desc_of(src), desc_of(dst), state_->stream()), op);
}

void CudnnBackend::concat(const std::vector<View>& srcs, int32_t axis_in, const View& dst) {
  const char* op = "concat";
  const int device = state_->device();
  check_view(op, "dst", dst, device);
  const int axis = sdk::checks::check_concat_shapes(srcs, axis_in, dst, [&](const char* name, const View& src) {
    check_view(op, name, src, device);
    check_aligned(op, name, src);
  });
  check_output(op, "dst", dst);
  check_aligned(op, "dst", dst);
  if (dst.numel() == 0) return;
  state_->activate();
  int64_t begin = 0;
  for (const View& src : srcs) {
    const int64_t end = begin + src.dim(axis);
    if (src.numel() != 0) check_kernel(launch_copy(desc_of(src), desc_of(dst.slice(axis, begin, end)), state_->stream()), op);
    begin = end;
  }
}

void CudnnBackend::gather(const View& table, const View& indices, const View& dst) {
  const char* op = "gather";
  const int device = state_->device();
  check_view(op, "table", table, device);
  check_view(op, "indices", indices, device);
  check_view(op, "dst", dst, device);
  sdk::checks::check_gather_shapes(table, indices, dst);
  check_output(op, "dst", dst);
  check_aligned(op, "table", table);
  check_aligned(op, "indices", indices);
  check_aligned(op, "dst", dst);
  // Every index is checked, even when the rows are empty (D = 0), as the reference.
  if (indices.numel() == 0) return;
  state_->activate();
  cudaStream_t stream = state_->stream();

  // The check kernel records the first bad position; the gather kernel does
  // nothing when there is one, so a bad index leaves dst untouched.
  Scratch first_bad(*state_, sizeof(unsigned long long), op);
  check_cuda(cudaMemsetAsync(first_bad.data(), 0xff, sizeof(unsigned long long), stream), "gather: clearing the error flag");
  const TensorDesc indices_desc = desc_of(indices);
  const int64_t vocab = table.dim(0);
  check_kernel(launch_gather_check(indices_desc, vocab, first_bad.as<unsigned long long>(), stream), op);
  if (dst.numel() != 0)
    check_kernel(launch_gather(desc_of(table), indices_desc, desc_of(dst), first_bad.as<unsigned long long>(), stream), op);
  unsigned long long bad = 0;
  check_cuda(cudaMemcpyAsync(&bad, first_bad.data(), sizeof bad, cudaMemcpyDeviceToHost, stream),
             "gather: reading the index check");
  check_cuda(cudaStreamSynchronize(stream), "gather: waiting for the index check");
  if (bad == ~0ull) return;

  // Name the index as the reference does: its value and its position.
  const int32_t ni = indices.ndim();
  std::vector<int64_t> position(static_cast<size_t>(ni) + 1, 0);  // + 1: never a zero-sized array
  const Shape shape = indices.shape();
  unravel(static_cast<int64_t>(bad), ni, shape.data(), position.data());
  int64_t offset = 0;
  for (int32_t d = 0; d < ni; ++d) offset += position[static_cast<size_t>(d)] * indices.stride(d);
  const char* at = static_cast<const char*>(indices.data()) + offset * static_cast<int64_t>(indices.element_size());
  int64_t row = 0;
  if (indices.dtype() == LOOM_DTYPE_I32) {
    int32_t r32 = 0;
    check_cuda(cudaMemcpyAsync(&r32, at, sizeof r32, cudaMemcpyDeviceToHost, stream), "gather: reading a bad index");
    check_cuda(cudaStreamSynchronize(stream), "gather: reading a bad index");
    row = r32;
  } else {
    check_cuda(cudaMemcpyAsync(&row, at, sizeof row, cudaMemcpyDeviceToHost, stream), "gather: reading a bad index");
    check_cuda(cudaStreamSynchronize(stream), "gather: reading a bad index");
  }
  position.resize(static_cast<size_t>(ni));
  throw sdk::invalid_argument("gather: index " + std::to_string(row) + " at position " + sdk::shape_string(position) +
                              " is out of range for a vocabulary of " + std::to_string(vocab) + " rows (table " +
                              table.shape_str() + ")");
}

}  // namespace loom::cudnn
