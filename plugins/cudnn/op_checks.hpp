// Argument checks of the cudnn ops (the SDK's shared checks, for GPU memory)
// and the conversion of views into what the kernels take.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/tensor_desc.hpp"
#include "loom/sdk/op_checks.hpp"

namespace loom::cudnn {

using sdk::Shape;
using sdk::View;
using sdk::checks::broadcast_shapes;
using sdk::checks::check_output;
using sdk::checks::check_same_dtype;
using sdk::checks::check_shape;
using sdk::checks::describe;
using sdk::checks::normalize_axis;

// The shared view checks, for memory on this backend's GPU: a host pointer
// here is an error naming the operand, never a crash inside a kernel.
void check_view(const char* op, const char* name, const View& v, int device);
// check_view plus a floating dtype (F32, F16, BF16).
void check_float(const char* op, const char* name, const View& v, int device);

// The view as a kernel operand.
TensorDesc desc_of(const View& v);
// The view broadcast to `out` (right-aligned, NumPy rules; already checked):
// missing leading dims and size-1 dims that stretch get stride 0.
TensorDesc broadcast_desc(const View& v, const Shape& out);

}  // namespace loom::cudnn
