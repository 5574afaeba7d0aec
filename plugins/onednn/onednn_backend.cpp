// Identity, memory and the plugin entry point of the onednn backend.
#include "onednn_backend.hpp"

#include <cstdlib>
#include <cstring>

#include "loom/sdk/plugin.hpp"

namespace loom::onednn {

namespace {
// Enough for any vector unit; AVX-512 loads like 64-byte alignment.
constexpr size_t kMinAlign = 64;

std::string version_string() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}
}  // namespace

sdk::BackendSpec OnednnBackend::spec() {
  sdk::BackendSpec s;
  s.name = "onednn";
  s.description = "CPU ops on oneDNN " + version_string() + " primitives (OpenMP threading)";
  s.priority = 10;  // above the reference backend (0 or less): `auto` prefers it on the CPU
  s.options.push_back({"threads", LOOM_OPTION_INT, std::string("0"),
                       "OpenMP threads per op; 0 keeps the OpenMP default (OMP_NUM_THREADS or all cores)", ""});
  return s;
}

bool OnednnBackend::available(loom_device& device, std::string& why) {
  (void)why;
  device = {LOOM_DEVICE_CPU, 0};
  return true;
}

OnednnBackend::OnednnBackend(const sdk::Options& options) {
  if (options.has("threads")) {
    const int64_t t = options.get_int("threads");
    if (t < 0 || t > 4096)
      throw sdk::invalid_argument("onednn: option 'threads' must be in [0, 4096], got " + std::to_string(t));
    rt_.threads = static_cast<int>(t);
  }
  run_op("create", [&] { rt_.engine = dnnl::engine(dnnl::engine::kind::cpu, 0); });
}

void* OnednnBackend::allocate(size_t bytes, size_t align) {
  if (align == 0 || (align & (align - 1)) != 0)
    throw sdk::invalid_argument("onednn: allocate: alignment " + std::to_string(align) + " is not a power of two");
  void* p = nullptr;
  // posix_memalign memory is released by free() whatever its alignment.
  if (posix_memalign(&p, align > kMinAlign ? align : kMinAlign, bytes ? bytes : 1) != 0 || !p)
    throw sdk::Error(LOOM_ERR_OUT_OF_MEMORY, "onednn: cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  return p;
}

void OnednnBackend::deallocate(void* ptr, size_t bytes) {
  (void)bytes;
  std::free(ptr);
}

void OnednnBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}

void OnednnBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}

}  // namespace loom::onednn

LOOM_PLUGIN("onednn", "0.1.0", "Loom project", LOOM_BACKEND(loom::onednn::OnednnBackend))
