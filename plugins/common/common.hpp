// View arithmetic and checks shared by the attention layers. Messages name
// what is wrong and the shapes involved; the host puts the layer's name and
// type in front ("layer 'attn' (multihead_attention): ...").
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "loom/sdk/layer.hpp"

namespace loom::attention {

using sdk::Shape;
using sdk::View;

// A view of `base`'s memory with another shape and strides (in elements).
inline View restride(const View& base, const Shape& shape, const Shape& strides) {
  if (shape.size() > LOOM_MAX_DIMS || shape.size() != strides.size())
    throw sdk::invalid_argument("internal: bad restride to rank " + std::to_string(shape.size()));
  loom_tensor_view raw = base.raw();
  raw.ndim = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    raw.shape[i] = shape[i];
    raw.strides[i] = strides[i];
  }
  return View(raw);
}

inline Shape strides_of(const View& v) {
  Shape s(static_cast<size_t>(v.ndim()));
  for (int32_t i = 0; i < v.ndim(); ++i) s[static_cast<size_t>(i)] = v.stride(i);
  return s;
}

// Inserts a size-1 dim at `axis` (0 .. ndim).
inline View unsqueeze(const View& v, int32_t axis) {
  Shape shape = v.shape(), strides = strides_of(v);
  shape.insert(shape.begin() + axis, 1);
  strides.insert(strides.begin() + axis, 0);
  return restride(v, shape, strides);
}

// Left-pads with size-1 dims up to `rank` (NumPy right alignment).
inline View pad_to_rank(const View& v, int32_t rank) {
  View out = v;
  while (out.ndim() < rank) out = unsqueeze(out, 0);
  return out;
}

// Splits dim `axis` of size a*b into two dims [a, b] (row-major order).
inline View split_dim(const View& v, int32_t axis, int64_t a, int64_t b) {
  Shape shape = v.shape(), strides = strides_of(v);
  const int64_t s = strides[static_cast<size_t>(axis)];
  shape[static_cast<size_t>(axis)] = b;
  strides[static_cast<size_t>(axis)] = s;
  shape.insert(shape.begin() + axis, a);
  strides.insert(strides.begin() + axis, s * b);
  return restride(v, shape, strides);
}

inline int64_t int_at_least(const sdk::Options& options, const std::string& key, int64_t min) {
  const int64_t v = options.get_int(key);
  if (v < min)
    throw sdk::invalid_argument("option '" + key + "' must be >= " + std::to_string(min) + ", got " +
                                std::to_string(v));
  return v;
}

inline void require_f32(const View& v, const std::string& what) {
  if (v.dtype() != LOOM_DTYPE_F32)
    throw sdk::invalid_argument("input '" + what + "' has dtype " + sdk::dtype_name(v.dtype()) + " " + v.shape_str() +
                                ", expected f32");
}

inline bool is_bool_mask(const View& v) { return v.dtype() == LOOM_DTYPE_BOOL || v.dtype() == LOOM_DTYPE_U8; }

// Masks are bool/u8 (nonzero = masked out) or f32 (added to the scores).
inline void require_mask_dtype(const View& v, const std::string& what) {
  if (!is_bool_mask(v) && v.dtype() != LOOM_DTYPE_F32)
    throw sdk::invalid_argument("input '" + what + "' has dtype " + sdk::dtype_name(v.dtype()) + " " + v.shape_str() +
                                ", expected bool or u8 (nonzero = masked out) or f32 (added to the scores)");
}

inline const View* optional_input(const sdk::ForwardContext& ctx, const char* name) { return ctx.find_input(name); }

}  // namespace loom::attention
