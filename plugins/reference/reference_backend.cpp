// The reference backend's identity, memory and plugin entry point. The ops
// live in one file per family (see reference_backend.hpp).
#include "reference_backend.hpp"

#include <cstring>
#include <new>

#include "loom/sdk/plugin.hpp"

namespace loom::reference {

namespace {
// Enough for any vector unit; what a host tensor expects at least.
constexpr size_t kDefaultAlign = 64;
}  // namespace

sdk::BackendSpec ReferenceBackend::spec() {
  sdk::BackendSpec s;
  s.name = "reference";
  s.description = "plain C++ loops on the CPU: slow, obviously correct; the yardstick for other backends";
  // Lowest priority: `auto` must prefer any real backend.
  s.priority = -100;
  return s;
}

bool ReferenceBackend::available(loom_device& device, std::string& why) {
  (void)why;
  device = {LOOM_DEVICE_CPU, 0};
  return true;
}

ReferenceBackend::ReferenceBackend(const sdk::Options& options) { (void)options; }

void* ReferenceBackend::allocate(size_t bytes, size_t align) {
  if (align == 0 || (align & (align - 1)) != 0)
    throw sdk::invalid_argument("reference: allocate: alignment " + std::to_string(align) + " is not a power of two");
  const size_t use = align > kDefaultAlign ? align : kDefaultAlign;
  void* p = nullptr;
  try {
    p = ::operator new(bytes, std::align_val_t(use));
  } catch (const std::bad_alloc&) {
    throw sdk::Error(LOOM_ERR_OUT_OF_MEMORY,
                     "reference: cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  }
  if (use != kDefaultAlign) {
    try {
      std::lock_guard<std::mutex> lock(over_aligned_mutex_);
      over_aligned_.emplace(p, use);
    } catch (...) {
      ::operator delete(p, std::align_val_t(use));
      throw;
    }
  }
  return p;
}

void ReferenceBackend::deallocate(void* ptr, size_t bytes) {
  (void)bytes;
  if (!ptr) return;
  size_t align = kDefaultAlign;
  {
    std::lock_guard<std::mutex> lock(over_aligned_mutex_);
    auto it = over_aligned_.find(ptr);
    if (it != over_aligned_.end()) {
      align = it->second;
      over_aligned_.erase(it);
    }
  }
  ::operator delete(ptr, std::align_val_t(align));
}

// Device memory is host memory here. memcpy with a null pointer is undefined
// even for zero bytes, hence the guards.
namespace {
void checked_memcpy(const char* op, void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  if (!dst || !src)
    throw sdk::invalid_argument(std::string("reference: ") + op + ": null pointer for " + std::to_string(bytes) +
                                " bytes");
  std::memcpy(dst, src, bytes);
}
}  // namespace

void ReferenceBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  checked_memcpy("copy_from_host", dst, src, bytes);
}

void ReferenceBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  checked_memcpy("copy_to_host", dst, src, bytes);
}

}  // namespace loom::reference

LOOM_PLUGIN("reference", "0.1.0", "Loom project", LOOM_BACKEND(loom::reference::ReferenceBackend))
