// Argument validation shared by the ops. Every failure throws
// sdk::invalid_argument (the caller's mistake) or sdk::unsupported (a dtype
// this backend does not do), with a message naming the op, the operand and
// its shape.
#pragma once

#include <cstdint>
#include <string>

#include "loom/sdk/view.hpp"

namespace loom::reference {

using sdk::Shape;
using sdk::View;

// "f32[2, 3]"
std::string describe(const View& v);

// Rank within LOOM_MAX_DIMS, no negative dim, a known dtype, CPU memory, and
// a data pointer whenever the view has elements.
void check_view(const char* op, const char* name, const View& v);
// check_view plus a floating dtype (F32, F16, BF16).
void check_float(const char* op, const char* name, const View& v);
void check_same_dtype(const char* op, const char* name, const View& v, const char* ref_name, const View& ref);
void check_shape(const char* op, const char* name, const View& v, const Shape& expected);
// Maps axis in [-ndim, ndim) to [0, ndim).
int normalize_axis(const char* op, int32_t axis, int ndim);
// The NumPy broadcast of two shapes into `out`; false when they do not broadcast.
bool try_broadcast(const Shape& a, const Shape& b, Shape& out);
// The NumPy broadcast of two shapes, or an error naming both operands.
Shape broadcast_shapes(const char* op, const char* name_a, const Shape& a, const char* name_b, const Shape& b);
// True when `from` broadcasts to `to` (right-aligned, each dim equal or 1).
bool broadcasts_to(const Shape& from, const Shape& to);

}  // namespace loom::reference
