// bench_gpu_direct.hpp: the direct baselines of bench_gpu, cuBLAS and
// cuBLASLt called by hand on device memory that Loom tensors own, on a stream
// of their own. Row-major Loom shapes are mapped onto column-major cuBLAS as
// the transposed problem (row-major Y[M, N] is column-major Y^T [N, M]).
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace loom::bench::gpu {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

inline void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": " + cublasGetStatusString(status));
}

// cuBLAS's name for a Loom float dtype the benchmark uses (f32 or bf16).
inline cudaDataType_t cuda_type(bool bf16) { return bf16 ? CUDA_R_16BF : CUDA_R_32F; }

// The compute type of a direct call: fp32 accumulation; TF32 tensor cores for
// f32 inputs only when asked (as the cudnn backend's `tf32` option).
inline cublasComputeType_t compute_type(bool bf16, bool tf32) {
  return !bf16 && tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
}

// A stream, a cuBLAS handle and a cuBLASLt handle on one device, each with a
// 32 MiB workspace (what the cudnn backend gives its own handles).
class Direct {
 public:
  static constexpr size_t kWorkspaceBytes = size_t{32} << 20;

  Direct(int device, bool tf32) : tf32_(tf32) {
    try {
      check(cudaSetDevice(device), "cudaSetDevice");
      check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
      check(cudaMalloc(&blas_workspace_, kWorkspaceBytes), "cudaMalloc (cuBLAS workspace)");
      check(cudaMalloc(&lt_workspace_, kWorkspaceBytes), "cudaMalloc (cuBLASLt workspace)");
      check(cublasCreate(&blas_), "cublasCreate");
      check(cublasSetStream(blas_, stream_), "cublasSetStream");
      check(cublasSetWorkspace(blas_, blas_workspace_, kWorkspaceBytes), "cublasSetWorkspace");
      check(cublasSetMathMode(blas_, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
      check(cublasLtCreate(&lt_), "cublasLtCreate");
    } catch (...) {
      release();
      throw;
    }
  }
  ~Direct() { release(); }
  Direct(const Direct&) = delete;
  Direct& operator=(const Direct&) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasLtHandle_t lt() const { return lt_; }
  void* lt_workspace() const { return lt_workspace_; }
  bool tf32() const { return tf32_; }
  void sync() const { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (direct)"); }

  // Row-major y[M, N] = x[M, K] w[N, K]^T (nn.Linear's weight layout), as
  // column-major y^T [N, M] = op_T(w as [K, N]) x^T [K, M].
  void gemm_nt(int64_t m, int64_t k, int64_t n, const void* x, const void* w, void* y, bool bf16) const {
    const float one = 1.0f, zero = 0.0f;
    check(cublasGemmEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, to_int(n), to_int(m), to_int(k), &one, w, cuda_type(bf16),
                       to_int(k), x, cuda_type(bf16), to_int(k), &zero, y, cuda_type(bf16), to_int(n),
                       compute_type(bf16, tf32_), CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx (x w^T)");
  }

  // Per head h of `batch`, row-major s[h][L, L] = alpha q[h][L, D] k[h][L, D]^T:
  // column-major s^T = alpha op_T(k as [D, L]) (q as [D, L]).
  void scores(int64_t batch, int64_t len, int64_t dim, float alpha, const void* q, const void* k, void* s,
              bool bf16) const {
    const float zero = 0.0f;
    check(cublasGemmStridedBatchedEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, to_int(len), to_int(len), to_int(dim), &alpha, k,
                                     cuda_type(bf16), to_int(dim), len * dim, q, cuda_type(bf16), to_int(dim),
                                     len * dim, &zero, s, cuda_type(bf16), to_int(len), len * len, to_int(batch),
                                     compute_type(bf16, tf32_), CUBLAS_GEMM_DEFAULT),
          "cublasGemmStridedBatchedEx (q k^T)");
  }

  // Per head h, row-major o[h][L, D] = p[h][L, L] v[h][L, D]: column-major
  // o^T [D, L] = (v as [D, L]) (p as [L, L] column-major, i.e. p^T).
  void context(int64_t batch, int64_t len, int64_t dim, const void* p, const void* v, void* o, bool bf16) const {
    const float one = 1.0f, zero = 0.0f;
    check(cublasGemmStridedBatchedEx(blas_, CUBLAS_OP_N, CUBLAS_OP_N, to_int(dim), to_int(len), to_int(len), &one, v,
                                     cuda_type(bf16), to_int(dim), len * dim, p, cuda_type(bf16), to_int(len),
                                     len * len, &zero, o, cuda_type(bf16), to_int(dim), len * dim, to_int(batch),
                                     compute_type(bf16, tf32_), CUBLAS_GEMM_DEFAULT),
          "cublasGemmStridedBatchedEx (p v)");
  }

  static int to_int(int64_t v) {
    if (v < 0 || v > INT32_MAX) throw std::runtime_error("dimension " + std::to_string(v) + " does not fit cuBLAS's int");
    return static_cast<int>(v);
  }

 private:
  void release() noexcept {
    if (lt_) cublasLtDestroy(lt_);
    if (blas_) cublasDestroy(blas_);
    if (lt_workspace_) cudaFree(lt_workspace_);
    if (blas_workspace_) cudaFree(blas_workspace_);
    if (stream_) cudaStreamDestroy(stream_);
    lt_ = nullptr;
    blas_ = nullptr;
    lt_workspace_ = blas_workspace_ = nullptr;
    stream_ = nullptr;
  }

  bool tf32_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  void* blas_workspace_ = nullptr;
  void* lt_workspace_ = nullptr;
};

// nn.Linear in one cuBLASLt call, f32: row-major y[M, N] = x[M, K] w[N, K]^T
// + bias[N], the bias fused as the BIAS epilogue (a vector along the rows of
// the column-major result y^T [N, M]). Descriptors and the algorithm are
// chosen once; run() only enqueues.
class LtLinear {
 public:
  LtLinear(const Direct& direct, int64_t m, int64_t k, int64_t n, const void* x, const void* w, const float* bias,
           void* y)
      : direct_(direct), x_(x), w_(w), y_(y) {
    try {
      check(cublasLtMatmulDescCreate(&desc_, compute_type(false, direct.tf32()), CUDA_R_32F),
            "cublasLtMatmulDescCreate");
      const cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
      const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
      check(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t), "TRANSA");
      check(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof op_n), "TRANSB");
      check(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof epilogue),
            "EPILOGUE");
      check(cublasLtMatmulDescSetAttribute(desc_, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias),
            "BIAS_POINTER");
      // A = w as column-major [K, N] (transposed by TRANSA), B = x as [K, M], D = y^T [N, M].
      check(cublasLtMatrixLayoutCreate(&a_, CUDA_R_32F, static_cast<uint64_t>(k), static_cast<uint64_t>(n), k),
            "layout w");
      check(cublasLtMatrixLayoutCreate(&b_, CUDA_R_32F, static_cast<uint64_t>(k), static_cast<uint64_t>(m), k),
            "layout x");
      check(cublasLtMatrixLayoutCreate(&d_, CUDA_R_32F, static_cast<uint64_t>(n), static_cast<uint64_t>(m), n),
            "layout y");
      check(cublasLtMatmulPreferenceCreate(&pref_), "cublasLtMatmulPreferenceCreate");
      const size_t ws = Direct::kWorkspaceBytes;
      check(cublasLtMatmulPreferenceSetAttribute(pref_, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws),
            "MAX_WORKSPACE_BYTES");
      int found = 0;
      check(cublasLtMatmulAlgoGetHeuristic(direct.lt(), desc_, a_, b_, d_, d_, pref_, 1, &heuristic_, &found),
            "cublasLtMatmulAlgoGetHeuristic");
      if (found < 1) throw std::runtime_error("cuBLASLt has no algorithm for this linear layer");
    } catch (...) {
      release();
      throw;
    }
  }
  ~LtLinear() { release(); }
  LtLinear(const LtLinear&) = delete;
  LtLinear& operator=(const LtLinear&) = delete;

  void run() const {
    const float one = 1.0f, zero = 0.0f;
    check(cublasLtMatmul(direct_.lt(), desc_, &one, w_, a_, x_, b_, &zero, y_, d_, y_, d_, &heuristic_.algo,
                         direct_.lt_workspace(), Direct::kWorkspaceBytes, direct_.stream()),
          "cublasLtMatmul (linear + bias)");
  }

 private:
  void release() noexcept {
    if (pref_) cublasLtMatmulPreferenceDestroy(pref_);
    if (d_) cublasLtMatrixLayoutDestroy(d_);
    if (b_) cublasLtMatrixLayoutDestroy(b_);
    if (a_) cublasLtMatrixLayoutDestroy(a_);
    if (desc_) cublasLtMatmulDescDestroy(desc_);
    pref_ = nullptr;
    a_ = b_ = d_ = nullptr;
    desc_ = nullptr;
  }

  const Direct& direct_;
  const void* x_;
  const void* w_;
  void* y_;
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, d_ = nullptr;
  cublasLtMatmulPreference_t pref_ = nullptr;
  cublasLtMatmulHeuristicResult_t heuristic_{};
};

}  // namespace loom::bench::gpu
