// Tensor: a typed, shaped, strided view over shared storage. Storage comes
// from a backend's allocator (or host memory); views share it without copies.
#pragma once

#include "loom/export.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loom/abi/types.h"

namespace loom {

enum class DType : int32_t {
  f32 = LOOM_DTYPE_F32,
  f16 = LOOM_DTYPE_F16,
  bf16 = LOOM_DTYPE_BF16,
  i32 = LOOM_DTYPE_I32,
  i64 = LOOM_DTYPE_I64,
  u8 = LOOM_DTYPE_U8,
  boolean = LOOM_DTYPE_BOOL,
};

LOOM_API size_t dtype_size(DType dtype);
LOOM_API const char* dtype_name(DType dtype);
// Parses "f32", "float32", ... ; throws InvalidArgument naming the text.
LOOM_API DType parse_dtype(const std::string& text);

struct Device {
  loom_device_type type = LOOM_DEVICE_CPU;
  int index = 0;
  bool is_cpu() const { return type == LOOM_DEVICE_CPU; }
  LOOM_API std::string str() const;  // "cpu", "cuda:0"
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

using Shape = std::vector<int64_t>;
LOOM_API std::string shape_str(const Shape& shape);
// Product of dims; throws InvalidArgument on a negative dim or overflow.
LOOM_API int64_t checked_numel(const Shape& shape);

// A block of memory and how to give it back.
class LOOM_API Storage {
 public:
  using Release = std::function<void(void*, size_t)>;
  Storage(void* data, size_t bytes, Device device, Release release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_;
  size_t bytes_;
  Device device_;
  Release release_;
};

class LOOM_API Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape);  // contiguous from offset 0

  // A contiguous host tensor (64-byte aligned, zero-filled).
  static Tensor host(DType dtype, const Shape& shape);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const std::vector<int64_t>& strides() const { return strides_; }
  int64_t dim(int i) const { return shape_.at(static_cast<size_t>(i < 0 ? i + ndim() : i)); }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  Device device() const { return storage_ ? storage_->device() : Device{}; }
  bool is_contiguous() const;
  void* data() const;
  template <class T>
  T* data_as() const { return static_cast<T*>(data()); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Views: no copy, shared storage.
  Tensor slice(int axis, int64_t begin, int64_t end) const;
  Tensor transpose(int a, int b) const;
  Tensor reshape(const Shape& shape) const;  // contiguous tensors only
  Tensor squeeze_front() const;              // drops dim 0 when it is 1

  loom_tensor_view view() const;
  std::string describe() const;  // "f32[2, 3] on cpu"

 private:
  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in elements
  DType dtype_ = DType::f32;
  Shape shape_;
  std::vector<int64_t> strides_;
};

LOOM_API std::vector<int64_t> contiguous_strides(const Shape& shape);

}  // namespace loom
