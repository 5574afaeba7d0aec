// bench_gpu: Loom on the cudnn backend (an NVIDIA GPU) against cuBLAS called
// directly, LSTM over a whole sequence against a per-step loop, and the
// transformer encoder layer and attention at n = 512 .. 16384.
//
// How to run (plugins are found next to libloom-core; scripts/gpu-check.sh
// runs it on the GPU machine, see docs/gpu.md):
//
//   build/bin/bench_gpu --rounds 9 --json gpu.json
//   build/bin/bench_gpu --part gemm --tf32
//   build/bin/bench_gpu --part attention --max-seq 4096
//
// Without a usable GPU it prints "bench_gpu: skipped: <why>" and exits 0.
//
// Timing: GPU work is asynchronous, so each timed call enqueues `inner`
// operations and then waits once (the stream's synchronize), as a model
// enqueues many ops and waits at the end. `inner` is chosen per case so that
// one timed call does about --inner-ms of work of the first variant; the
// case's name says it ("[x20]") and its time/call and GFLOP/s are per timed
// call; the summary gives time per operation. Variants are interleaved, the
// median of --rounds rounds is reported (bench_harness.hpp).
//
// Parts:
//  gemm       y = x W^T on [tokens, d] x [d, 4d], d = 512 and 1024, tokens
//             128 .. 8192, f32 and bf16:
//               A direct cuBLAS   cublasGemmEx (weights [4d, d] as nn.Linear)
//               B loom matmul     Backend::matmul, transpose_b
//               C loom packed     Backend::matmul_packed (weights packed once)
//             f32 also: D direct cuBLASLt with the bias fused (epilogue) and
//               E loom linear     the basic-layers `linear` layer with bias.
//             Target (issue 10): B, C >= 0.95 x A and E >= 0.95 x D.
//  lstm       T = 128, N = 1 and 32, H = 512 and 1024 (input size H), f32:
//               A loom sequence   Backend::rnn_forward over all T steps (cuDNN)
//               B loom step loop  T calls of rnn_forward with T = 1, h/c carried
//               C lstm layer      the recurrent plugin's lstm, whole sequence
//               D layer steps     the lstm layer in step mode, T calls
//             Target: A >= 5 x B (and C >= 5 x D).
//  attention  batch 1, d_model 512, 8 heads, n = 512 .. 16384 (--max-seq):
//             transformer_encoder_layer (ff 2048) and multihead_attention in
//             f32, each with block_size 128 (the default) and = n; and the
//             attention core softmax(Q K^T / sqrt(64)) V per head in bf16 and
//             f32: A loom core (matmul, softmax, matmul through the backend),
//             B loom matmuls only (Q K^T and S V), C direct cuBLAS
//             (strided-batched GEMMs for the same two products).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_gpu_common.hpp"

namespace {

constexpr const char* kHelp =
    "GPU options:\n"
    "  --part P        gemm, lstm or attention; repeatable; default all three\n"
    "  --max-seq N     longest attention sequence (default 16384; 512, 1024, ... up to N)\n"
    "  --tf32          let f32 GEMMs use TF32 (the backend's tf32 option and the direct calls alike)\n"
    "  --device N      CUDA device index (default 0)\n"
    "  --inner-ms MS   GPU work per timed call, in ms of the first variant (default 2)\n"
    "  --plugin-dir D  search D for plugins before the default folders\n";

using loom::DType;
using loom::bench::gpu::Bench;
using loom::bench::gpu::Direct;
using loom::bench::gpu::core_case;
using loom::bench::gpu::gemm_case;
using loom::bench::gpu::layer_case;
using loom::bench::gpu::lstm_case;
using loom::bench::gpu::num;

// The fp32 CUDA-core peak (SMs x FP32 lanes x 2 x clock): what the harness's
// "peak" column is against. bf16 GEMMs on tensor cores go far beyond it.
double fp32_peak_gflops(const cudaDeviceProp& prop, int device) {
  int khz = 0;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) != cudaSuccess || khz <= 0) return 0;
  const int lanes = prop.major == 8 && prop.minor == 0 ? 64 : 128;  // A100: 64 per SM; sm_86+, Hopper: 128
  return static_cast<double>(prop.multiProcessorCount) * lanes * 2.0 * khz * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  loom::bench::Options opt = loom::bench::parse_options(argc, argv, "bench_gpu", kHelp);
  std::vector<std::string> parts;
  int64_t max_seq = 16384;
  int device = 0;
  bool tf32 = false;
  double inner_ms = 2.0;
  std::vector<std::filesystem::path> plugin_dirs;
  try {
    using loom::bench::detail::take_value;
    for (size_t i = 0; i < opt.rest.size(); ++i) {
      std::string v;
      if (take_value(opt.rest, i, "--part", v)) {
        if (v != "gemm" && v != "lstm" && v != "attention")
          throw std::invalid_argument("--part: expected gemm, lstm or attention, got '" + v + "'");
        parts.push_back(v);
      } else if (take_value(opt.rest, i, "--max-seq", v)) {
        max_seq = loom::bench::detail::to_long("--max-seq", v, 512, 1L << 20);
      } else if (take_value(opt.rest, i, "--device", v)) {
        device = static_cast<int>(loom::bench::detail::to_long("--device", v, 0, 1024));
      } else if (take_value(opt.rest, i, "--inner-ms", v)) {
        inner_ms = loom::bench::detail::to_double("--inner-ms", v, 0.0);
      } else if (take_value(opt.rest, i, "--plugin-dir", v)) {
        plugin_dirs.emplace_back(v);
      } else if (opt.rest[i] == "--tf32") {
        tf32 = true;
      } else {
        throw std::invalid_argument("unknown option '" + opt.rest[i] + "'");
      }
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_gpu: %s (see --help)\n", e.what());
    return 2;
  }
  if (parts.empty()) parts = {"gemm", "lstm", "attention"};
  auto wants = [&](const char* p) { return std::find(parts.begin(), parts.end(), p) != parts.end(); };

  loom::PluginManager plugins;  // first: outlives every backend, layer and tensor below
  std::shared_ptr<loom::Backend> backend;
  try {
    plugins.load_search_path(loom::PluginManager::search_path(plugin_dirs));
    const auto names = plugins.backend_names();
    if (std::find(names.begin(), names.end(), "cudnn") == names.end())
      throw loom::NotFound("no 'cudnn' backend: the cudnn plugin was not loaded");
    std::string why;
    if (!plugins.backend_available("cudnn", &why)) {
      std::printf("bench_gpu: skipped: %s\n", why.c_str());
      return 0;
    }
    backend = plugins.create_backend("cudnn", {{"device", std::to_string(device)}, {"tf32", tf32 ? "true" : "false"}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu: cannot set up the cudnn backend: %s\n", e.what());
    for (const auto& s : plugins.skipped())
      std::fprintf(stderr, "  skipped %s: %s\n", s.file.string().c_str(), s.reason.c_str());
    std::fprintf(stderr, "  (build the plugins: cmake --build <build> --target loom-all-plugins)\n");
    return 1;
  }

  int failures = 0;
  try {
    Direct direct(device, tf32);
    cudaDeviceProp prop{};
    loom::bench::gpu::check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    int runtime = 0, driver = 0, cublas = 0;
    (void)cudaRuntimeGetVersion(&runtime);
    (void)cudaDriverGetVersion(&driver);
    (void)cublasGetProperty(MAJOR_VERSION, &cublas);
    int cublas_minor = 0, cublas_patch = 0;
    (void)cublasGetProperty(MINOR_VERSION, &cublas_minor);
    (void)cublasGetProperty(PATCH_LEVEL, &cublas_patch);

    // One host thread issues the GPU work; the peak column is the GPU's fp32
    // CUDA-core peak unless --peak-gflops-per-core says otherwise.
    opt.threads = 1;
    if (opt.peak_source.rfind("default", 0) == 0) {
      const double peak = fp32_peak_gflops(prop, device);
      if (peak > 0) {
        opt.peak_gflops_per_core = peak;
        opt.peak_source = "the GPU's fp32 CUDA-core peak (SMs x FP32 lanes x 2 x clock); bf16 and TF32 use tensor "
                          "cores, which go beyond it";
      }
    }
    loom::bench::Harness harness("Loom on the cudnn backend vs cuBLAS called directly (GPU)", opt);
    const loom::FactoryInfo* info = plugins.find_backend_info("cudnn");
    harness.add_info("gpu", std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
                                ", " + std::to_string(prop.multiProcessorCount) + " SMs, " +
                                std::to_string(prop.totalGlobalMem >> 20) + " MiB, cuda:" + std::to_string(device) + ")");
    harness.add_info("cuda", "runtime " + std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10) +
                                 ", driver " + std::to_string(driver / 1000) + "." +
                                 std::to_string(driver % 1000 / 10) + ", cuBLAS " + std::to_string(cublas) + "." +
                                 std::to_string(cublas_minor) + "." + std::to_string(cublas_patch));
    harness.add_info("backend", "cudnn, tf32=" + std::string(tf32 ? "true" : "false") +
                                    (info ? ": " + info->description : std::string()));
    harness.add_info("direct calls", std::string("own stream; cuBLAS ") +
                                         (tf32 ? "TF32 tensor-op math" : "default math (no TF32)") +
                                         ", fp32 accumulation, 32 MiB workspaces (as the backend's handles)");
    harness.add_info("timing", "each timed call enqueues [xN] operations and waits once; time/call and GFLOP/s are "
                               "per timed call, the summary per operation; target work per timed call " +
                                   num("%.3g", inner_ms) + " ms");
    harness.begin();

    Bench b{plugins, backend, direct, harness, inner_ms, tf32, {}, 0};
    auto guarded = [&](const std::string& what, const std::function<void()>& fn) {
      try {
        fn();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_gpu: %s: %s\n", what.c_str(), e.what());
        ++b.failures;
      }
      b.release();
    };
    if (wants("gemm"))
      for (DType dt : {DType::f32, DType::bf16})
        for (int64_t d : {512, 1024})
          for (int64_t tokens : {128, 512, 2048, 8192})
            guarded("gemm", [&] { gemm_case(b, tokens, d, dt); });
    if (wants("lstm"))
      for (int64_t n : {1, 32})
        for (int64_t h : {512, 1024}) guarded("lstm", [&] { lstm_case(b, 128, n, h); });
    if (wants("attention"))
      for (int64_t n = 512; n <= max_seq; n *= 2) {
        guarded("transformer_encoder_layer", [&] { layer_case(b, "transformer_encoder_layer", n); });
        guarded("multihead_attention", [&] { layer_case(b, "multihead_attention", n); });
        for (DType dt : {DType::bf16, DType::f32}) guarded("attention core", [&] { core_case(b, n, dt); });
      }
    std::printf("Summary against the targets:\n");
    for (const auto& v : b.verdicts) std::printf("  %s\n", v.c_str());
    if (b.failures) std::printf("  %d case(s) failed or were not timed (see above)\n", b.failures);
    failures = b.failures;
    const int rc = harness.finish();
    if (rc != 0) return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu: %s\n", e.what());
    return 1;
  }
  return failures ? 1 : 0;
}
