// Argument validation for the reference ops: the SDK's shared checks, plus
// what is particular to this backend (CPU memory, floating dtypes).
#pragma once

#include <cstdint>
#include <string>

#include "loom/sdk/op_checks.hpp"

namespace loom::reference {

using sdk::Shape;
using sdk::View;
using sdk::checks::broadcast_shapes;
using sdk::checks::broadcasts_to;
using sdk::checks::check_same_dtype;
using sdk::checks::check_shape;
using sdk::checks::describe;
using sdk::checks::normalize_axis;
using sdk::checks::try_broadcast;

// The shared view checks, for CPU memory.
inline void check_view(const char* op, const char* name, const View& v) {
  sdk::checks::check_view(op, name, v, LOOM_DEVICE_CPU, "reference");
}
// check_view plus a floating dtype (F32, F16, BF16).
void check_float(const char* op, const char* name, const View& v);

}  // namespace loom::reference
