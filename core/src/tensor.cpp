#include "loom/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include <fmt/format.h>

#include "loom/error.hpp"
#include "loom/sdk/dtype.hpp"

namespace loom {

size_t dtype_size(DType dtype) { return sdk::dtype_size(static_cast<int32_t>(dtype)); }
const char* dtype_name(DType dtype) { return sdk::dtype_name(static_cast<int32_t>(dtype)); }

DType parse_dtype(const std::string& text) {
  if (text == "f32" || text == "float32") return DType::f32;
  if (text == "f16" || text == "float16") return DType::f16;
  if (text == "bf16" || text == "bfloat16") return DType::bf16;
  if (text == "i32" || text == "int32") return DType::i32;
  if (text == "i64" || text == "int64") return DType::i64;
  if (text == "u8" || text == "uint8") return DType::u8;
  if (text == "bool") return DType::boolean;
  throw InvalidArgument(fmt::format("unknown dtype '{}' (known: f32, f16, bf16, i32, i64, u8, bool)", text));
}

std::string Device::str() const { return is_cpu() ? "cpu" : fmt::format("cuda:{}", index); }

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

int64_t checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw InvalidArgument("negative dimension in shape " + shape_str(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw InvalidArgument("shape " + shape_str(shape) + " has too many elements");
    n *= d;
  }
  return n;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

Storage::Storage(void* data, size_t bytes, Device device, Release release)
    : data_(data), bytes_(bytes), device_(device), release_(std::move(release)) {}

Storage::~Storage() {
  if (release_) release_(data_, bytes_);
}

Tensor::Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape)
    : storage_(std::move(storage)), dtype_(dtype), shape_(std::move(shape)), strides_(contiguous_strides(shape_)) {
  if (shape_.size() > LOOM_MAX_DIMS)
    throw InvalidArgument(fmt::format("tensor rank {} exceeds the maximum of {}", shape_.size(), LOOM_MAX_DIMS));
}

Tensor Tensor::host(DType dtype, const Shape& shape) {
  size_t bytes = static_cast<size_t>(checked_numel(shape)) * dtype_size(dtype);
  size_t alloc = ((bytes + 63) / 64) * 64;
  void* p = alloc ? std::aligned_alloc(64, alloc) : nullptr;
  if (alloc && !p) throw OutOfMemory(fmt::format("cannot allocate {} bytes of host memory for {}[{}]", bytes,
                                                 dtype_name(dtype), fmt::join(shape, ", ")));
  if (p) std::memset(p, 0, alloc);
  auto storage = std::make_shared<Storage>(p, bytes, Device{}, [](void* q, size_t) { std::free(q); });
  return Tensor(std::move(storage), dtype, shape);
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] != 1 && strides_[i] != expect) return false;
    expect *= shape_[i];
  }
  return true;
}

void* Tensor::data() const {
  if (!storage_) return nullptr;
  return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
}

static int normalize_axis(int axis, int ndim, const char* what) {
  int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) throw InvalidArgument(fmt::format("{}: axis {} out of range for rank {}", what, axis, ndim));
  return a;
}

Tensor Tensor::slice(int axis, int64_t begin, int64_t end) const {
  int a = normalize_axis(axis, ndim(), "slice");
  if (begin < 0 || end < begin || end > shape_[static_cast<size_t>(a)])
    throw InvalidArgument(fmt::format("slice [{}, {}) out of range for dim {} of {}", begin, end, a, shape_str(shape_)));
  Tensor t = *this;
  t.offset_ += begin * strides_[static_cast<size_t>(a)];
  t.shape_[static_cast<size_t>(a)] = end - begin;
  return t;
}

Tensor Tensor::transpose(int a, int b) const {
  int x = normalize_axis(a, ndim(), "transpose"), y = normalize_axis(b, ndim(), "transpose");
  Tensor t = *this;
  std::swap(t.shape_[static_cast<size_t>(x)], t.shape_[static_cast<size_t>(y)]);
  std::swap(t.strides_[static_cast<size_t>(x)], t.strides_[static_cast<size_t>(y)]);
  return t;
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (!is_contiguous()) throw InvalidArgument("reshape of a non-contiguous tensor " + describe());
  if (checked_numel(shape) != numel())
    throw InvalidArgument(fmt::format("cannot reshape {} to {}", describe(), shape_str(shape)));
  if (shape.size() > LOOM_MAX_DIMS) throw InvalidArgument("reshape: rank exceeds the maximum");
  Tensor t = *this;
  t.shape_ = shape;
  t.strides_ = contiguous_strides(shape);
  return t;
}

Tensor Tensor::squeeze_front() const {
  if (shape_.empty() || shape_[0] != 1) return *this;
  Tensor t = *this;
  t.shape_.erase(t.shape_.begin());
  t.strides_.erase(t.strides_.begin());
  return t;
}

loom_tensor_view Tensor::view() const {
  loom_tensor_view v{};
  v.struct_size = sizeof(v);
  v.dtype = static_cast<int32_t>(dtype_);
  Device d = device();
  v.device = {d.type, d.index};
  v.data = data();
  v.ndim = ndim();
  for (size_t i = 0; i < shape_.size(); ++i) {
    v.shape[i] = shape_[i];
    v.strides[i] = strides_[i];
  }
  return v;
}

std::string Tensor::describe() const {
  return fmt::format("{}{} on {}", dtype_name(dtype_), shape_str(shape_), device().str());
}

}  // namespace loom
