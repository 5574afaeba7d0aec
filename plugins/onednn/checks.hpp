// Argument validation for the onednn ops: the SDK's shared checks, plus what
// is particular to this backend (CPU memory, non-negative strides, f32).
#pragma once

#include <cstdint>
#include <string>

#include "loom/sdk/op_checks.hpp"

namespace loom::onednn {

using sdk::Shape;
using sdk::View;
using sdk::checks::broadcast_shapes;
using sdk::checks::broadcasts_to;
using sdk::checks::check_output;
using sdk::checks::check_same_dtype;
using sdk::checks::check_shape;
using sdk::checks::describe;
using sdk::checks::normalize_axis;

// The shared view checks for CPU memory, plus non-negative strides (oneDNN
// memory descriptors cannot express negative ones).
void check_view(const char* op, const char* name, const View& v);
// check_view plus dtype F32.
void check_f32(const char* op, const char* name, const View& v);
using sdk::checks::check_unary_op;

}  // namespace loom::onednn
