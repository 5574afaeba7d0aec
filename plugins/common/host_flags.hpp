// Per-token flags read on the host from a small mask input, for layers that
// plan their work from them (which tokens are global in Longformer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace loom::attention {

// mask [N, T] of dtype bool, u8, i32, i64 or f32 -> N * T flags (row-major),
// 1 where the entry is nonzero. Throws invalid_argument naming `name` for
// another shape or dtype, and unsupported when the mask is not in CPU memory
// (the layer needs the values to plan its work).
std::vector<uint8_t> read_flags(const View& mask, const std::string& name, int64_t n, int64_t t);

}  // namespace loom::attention
