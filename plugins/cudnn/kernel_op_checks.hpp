// Checks the ops on Loom's own kernels need beyond the reference backend's
// (op_checks.hpp): element alignment, and the kernel launch status.
#pragma once

#include <cstdint>
#include <string>

#include "cuda_errors.hpp"
#include "op_checks.hpp"

namespace loom::cudnn {

// The kernels read each element as one aligned load. A data pointer that is
// not a multiple of the element size (a view made at an odd byte offset
// through the C ABI) would fault on the GPU with a sticky error that ends the
// context for every later op, so it is an argument error here.
inline void check_aligned(const char* op, const char* name, const View& v) {
  const auto address = reinterpret_cast<std::uintptr_t>(v.data());
  if (v.numel() != 0 && address % v.element_size() != 0)
    throw sdk::invalid_argument(std::string(op) + ": " + name + " " + describe(v) + " starts at address " +
                                std::to_string(address) + ", which is not aligned to its " +
                                std::to_string(v.element_size()) + "-byte elements");
}

// A launcher's status (kernels/kernels.hpp) as a Loom error naming the op.
inline void check_kernel(cudaError_t status, const char* op) {
  check_cuda(status, std::string(op) + ": launching the kernel");
}

}  // namespace loom::cudnn
