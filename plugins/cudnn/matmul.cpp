// matmul, matmul_pack, matmul_packed: cuBLAS strided-batched GEMMs planned by
// gemm_plan.hpp (alpha and beta in the GEMM), bias and activation in the
// epilogue kernel (kernels/epilogue.cu). Float accumulation for every dtype;
// f32 uses TF32 tensor cores only with the backend's tf32 option.
#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cublas_library.hpp"
#include "cuda_errors.hpp"
#include "cudnn_backend.hpp"
#include "gemm_plan.hpp"
#include "kernel_op_checks.hpp"
#include "kernels/epilogue.hpp"

namespace loom::cudnn {

namespace {

// A weight copied at pack time into memory the packed object owns: op(b)^T
// as a contiguous [N, K] (PyTorch's Linear layout), which the swapped GEMM
// reads as cuBLAS's "TN" case.
class PackedMatrix final : public Packed {
 public:
  PackedMatrix(const DeviceState& state, int32_t dtype, const Shape& shape) : device_(state.device()) {
    const View probe(nullptr, dtype, shape);
    const size_t bytes = static_cast<size_t>(probe.numel()) * probe.element_size();
    if (bytes) check_cuda(cudaMalloc(&data_, bytes), "matmul_pack: allocating " + std::to_string(bytes) + " bytes");
    view = View(data_, dtype, shape, {LOOM_DEVICE_CUDA, device_});
  }
  ~PackedMatrix() override {
    if (!data_) return;
    // cudaFree waits for the device, so no queued GEMM still reads the weight.
    (void)cudaSetDevice(device_);
    if (cudaFree(data_) != cudaSuccess) (void)cudaGetLastError();
  }
  PackedMatrix(const PackedMatrix&) = delete;
  PackedMatrix& operator=(const PackedMatrix&) = delete;

  View view;  // [N, K]: b^T, used with transpose_b = true

 private:
  int device_;
  void* data_ = nullptr;
};

cudaDataType cuda_type(int32_t dtype) {
  switch (dtype) {
    case LOOM_DTYPE_F16: return CUDA_R_16F;
    case LOOM_DTYPE_BF16: return CUDA_R_16BF;
    default: return CUDA_R_32F;
  }
}

MatrixLayout layout_of(const View& v) {
  MatrixLayout l;
  for (int32_t i = 0; i < v.ndim(); ++i) {
    l.shape.push_back(v.dim(i));
    l.strides.push_back(v.stride(i));
  }
  return l;
}

// A contiguous copy of `v` in scratch memory that `holder` keeps alive.
View contiguous_copy(const DeviceState& state, const View& v, std::unique_ptr<Scratch>& holder, const char* what) {
  holder = std::make_unique<Scratch>(state, static_cast<size_t>(v.numel()) * v.element_size(), what);
  const View copy(holder->data(), v.dtype(), v.shape(), v.device());
  launch_operand_copy(desc_of(v), desc_of(copy), state.stream());
  check_launch(std::string(what) + ": copying to contiguous memory");
  return copy;
}

// The GEMM's pointers and types; dst's dtype may differ from a's (f32 temporary).
struct GemmCall {
  const void* a;
  const void* b;
  void* dst;
  int32_t ab_dtype;
  int32_t dst_dtype;
  float alpha;
  float beta;
};

// Runs `plan`: the outer batch dims on the host, the inner batch in
// cublasGemmStridedBatchedEx calls of at most INT_MAX matrices.
void run_plan(DeviceState& state, const GemmPlan& p, const GemmCall& c) {
  const int64_t ab_size = static_cast<int64_t>(sdk::dtype_size(c.ab_dtype));
  const int64_t dst_size = static_cast<int64_t>(sdk::dtype_size(c.dst_dtype));
  const cublasComputeType_t compute = c.ab_dtype == LOOM_DTYPE_F32 && state.allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                                          : CUBLAS_COMPUTE_32F;
  const auto op_of = [](const GemmOperand& o) { return o.transpose ? CUBLAS_OP_T : CUBLAS_OP_N; };
  const int64_t max_count = std::numeric_limits<int32_t>::max();
  std::vector<int64_t> index(p.outer_shape.size(), 0);

  std::lock_guard<std::mutex> lock(state.library_mutex());
  for (;;) {
    int64_t oa = 0, ob = 0, od = 0;
    for (size_t i = 0; i < index.size(); ++i) {
      oa += index[i] * p.outer_a[i];
      ob += index[i] * p.outer_b[i];
      od += index[i] * p.outer_dst[i];
    }
    for (int64_t start = 0; start < p.count; start += max_count) {
      const int64_t chunk = std::min(max_count, p.count - start);
      const char* a = static_cast<const char*>(c.a) + (oa + start * p.stride_a) * ab_size;
      const char* b = static_cast<const char*>(c.b) + (ob + start * p.stride_b) * ab_size;
      char* d = static_cast<char*>(c.dst) + (od + start * p.stride_dst) * dst_size;
      const void* first = p.swapped ? static_cast<const void*>(b) : a;
      const void* second = p.swapped ? static_cast<const void*>(a) : b;
      const long long stride_first = p.swapped ? p.stride_b : p.stride_a;
      const long long stride_second = p.swapped ? p.stride_a : p.stride_b;
      check_cublas(cublas_library().gemm_strided_batched_ex(
                       state.cublas(), op_of(p.first), op_of(p.second), static_cast<int>(p.m), static_cast<int>(p.n),
                       static_cast<int>(p.k), &c.alpha, first, cuda_type(c.ab_dtype), static_cast<int>(p.first.ld),
                       stride_first, second, cuda_type(c.ab_dtype), static_cast<int>(p.second.ld), stride_second,
                       &c.beta, d, cuda_type(c.dst_dtype), static_cast<int>(p.ldc), p.stride_dst,
                       static_cast<int>(chunk), compute, CUBLAS_GEMM_DEFAULT),
                   "matmul: cublasGemmStridedBatchedEx (m " + std::to_string(p.m) + ", n " + std::to_string(p.n) +
                       ", k " + std::to_string(p.k) + ", batch " + std::to_string(chunk) + ")");
    }
    // Next outer index, last dim fastest.
    size_t i = index.size();
    while (i > 0 && ++index[i - 1] == p.outer_shape[i - 1]) index[--i] = 0;
    if (i == 0) break;
  }
}

// The matmul behind both entry points; `op` names the one the caller used.
void run_matmul(DeviceState& state, const char* op, const MatmulArgs& args, const View& a, const View& b,
                const View* bias, const View& dst) {
  const int device = state.device();
  check_float(op, "a", a, device);
  check_float(op, "b", b, device);
  check_float(op, "dst", dst, device);
  check_same_dtype(op, "b", b, "a", a);
  check_same_dtype(op, "dst", dst, "a", a);
  if (bias) check_float(op, "bias", *bias, device);
  const sdk::checks::MatmulSizes sizes =
      sdk::checks::check_matmul_shapes(op, args.transpose_a, args.transpose_b, args.activation, a, b, bias, dst);
  const int64_t ka = sizes.k;
  check_output(op, "dst", dst);
  // cuBLAS and the epilogue / copy kernels read whole elements.
  check_aligned(op, "a", a);
  check_aligned(op, "b", b);
  if (bias) check_aligned(op, "bias", *bias);
  check_aligned(op, "dst", dst);
  if (dst.numel() == 0) return;

  state.activate();
  const cudaStream_t stream = state.stream();
  const bool epilogue = bias != nullptr || args.activation != LOOM_UNARY_IDENTITY;
  EpilogueArgs e;
  e.dst = desc_of(dst);
  e.bias = bias ? bias->data() : nullptr;
  e.bias_stride = bias ? bias->stride(0) : 0;
  e.activation = args.activation;
  e.beta = args.beta;
  const std::string epilogue_what = std::string(op) + ": epilogue kernel";

  if (ka == 0) {  // an empty sum: dst = act(bias) + beta * dst, no GEMM
    e.product = e.dst;
    e.product.data = nullptr;
    launch_matmul_epilogue(e, stream);
    check_launch(epilogue_what);
    return;
  }

  // The GEMM writes dst itself, or a contiguous f32 temporary that the
  // epilogue reads: when beta must scale the old dst after the activation,
  // when a 16-bit dst would round before bias and activation, or when
  // cuBLAS cannot write dst's layout.
  bool to_temp = epilogue && (args.beta != 0.0f || dst.dtype() != LOOM_DTYPE_F32);
  const MatrixLayout temp_layout = contiguous_layout(dst.shape());
  View av = a, bv = b;
  std::unique_ptr<Scratch> a_copy, b_copy, temp_mem;
  GemmPlan plan =
      plan_gemm(layout_of(av), args.transpose_a, layout_of(bv), args.transpose_b, to_temp ? temp_layout : layout_of(dst));
  if (plan.copy_a || plan.copy_b || plan.copy_dst) {
    if (plan.copy_a) av = contiguous_copy(state, a, a_copy, op);
    if (plan.copy_b) bv = contiguous_copy(state, b, b_copy, op);
    to_temp = to_temp || plan.copy_dst;
    plan = plan_gemm(layout_of(av), args.transpose_a, layout_of(bv), args.transpose_b,
                     to_temp ? temp_layout : layout_of(dst));
    if (plan.copy_a || plan.copy_b || plan.copy_dst)
      throw sdk::Error(LOOM_ERR_INTERNAL, std::string(op) + ": no cuBLAS layout for contiguous operands");
  }

  GemmCall call{av.data(), bv.data(), dst.data(), a.dtype(), dst.dtype(), args.alpha, epilogue ? 0.0f : args.beta};
  if (to_temp) {
    temp_mem = std::make_unique<Scratch>(state, static_cast<size_t>(dst.numel()) * sizeof(float), op);
    call.dst = temp_mem->data();
    call.dst_dtype = LOOM_DTYPE_F32;
    call.beta = 0.0f;
  }
  run_plan(state, plan, call);

  if (to_temp) {
    e.product = desc_of(View(temp_mem->data(), LOOM_DTYPE_F32, dst.shape(), dst.device()));
  } else if (epilogue) {
    e.product = e.dst;  // in place: dst holds alpha * AB (beta is 0 here)
  } else {
    return;  // alpha and beta were the GEMM's
  }
  launch_matmul_epilogue(e, stream);
  check_launch(epilogue_what);
}

}  // namespace

void CudnnBackend::matmul(const MatmulArgs& args, const View& a, const View& b, const View* bias, const View& dst) {
  run_matmul(*state_, "matmul", args, a, b, bias, dst);
}

std::unique_ptr<Packed> CudnnBackend::matmul_pack(const View& b, bool transpose_b) {
  const char* op = "matmul_pack";
  check_float(op, "b", b, state_->device());
  if (b.ndim() != 2)
    throw sdk::invalid_argument(std::string(op) + ": b is " + b.shape_str() + "; a packed weight must be 2-D (" +
                                (transpose_b ? "[N, K]" : "[K, N]") + ")");
  check_aligned(op, "b", b);
  state_->activate();
  const View bt = transpose_b ? b : b.transpose(0, 1);  // op(b)^T, [N, K]
  auto packed = std::make_unique<PackedMatrix>(*state_, b.dtype(), bt.shape());
  launch_operand_copy(desc_of(bt), desc_of(packed->view), state_->stream());
  check_launch("matmul_pack: copying the weight");
  // The caller may free or overwrite b once this returns.
  check_cuda(cudaStreamSynchronize(state_->stream()), "matmul_pack: copying the weight");
  return packed;
}

void CudnnBackend::matmul_packed(const MatmulArgs& args, const View& a, const Packed& b, const View* bias,
                                 const View& dst) {
  const auto* packed = dynamic_cast<const PackedMatrix*>(&b);
  if (!packed) throw sdk::invalid_argument("matmul_packed: b was not made by the cudnn backend's matmul_pack");
  MatmulArgs with_b = args;
  with_b.transpose_b = true;  // the packed [N, K] is op(b)^T; desc->transpose_b is ignored, as documented
  run_matmul(*state_, "matmul_packed", with_b, a, packed->view, bias, dst);
}

}  // namespace loom::cudnn
