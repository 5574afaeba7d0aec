// Argument validation. Every failure names the op, the operand and its
// shape: sdk::invalid_argument for the caller's mistakes, sdk::unsupported
// for what this backend does not do (a dtype, negative strides).
#pragma once

#include <cstdint>
#include <string>

#include "loom/sdk/view.hpp"

namespace loom::onednn {

using sdk::Shape;
using sdk::View;

// "f32[2, 3]"
std::string describe(const View& v);

// Rank, non-negative dims and strides, a known dtype, CPU memory and a data
// pointer whenever the view has elements.
void check_view(const char* op, const char* name, const View& v);
// check_view plus dtype F32.
void check_f32(const char* op, const char* name, const View& v);
// An output must not overlap itself: no zero stride on a dim longer than 1.
void check_output(const char* op, const char* name, const View& v);
void check_shape(const char* op, const char* name, const View& v, const Shape& expected);
void check_same_dtype(const char* op, const char* name, const View& v, const char* ref_name, const View& ref);
int normalize_axis(const char* op, int32_t axis, int ndim);
// NumPy broadcast of two shapes, or an error naming both operands.
Shape broadcast_shapes(const char* op, const char* name_a, const Shape& a, const char* name_b, const Shape& b);
bool broadcasts_to(const Shape& from, const Shape& to);
void check_unary_op(const char* op, int32_t unary);

}  // namespace loom::onednn
