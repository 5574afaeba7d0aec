// Private helpers shared by the file readers and writers (safetensors, npy):
// checked arithmetic, UTF-8 validation, host copies of strided tensors and an
// atomic "write to a temporary name, then rename" file.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "loom/error.hpp"
#include "loom/tensor.hpp"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Loom's file formats are little-endian and are read in place: a big-endian host needs byte swapping here"
#endif

namespace loom::io {

inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }

inline std::string errno_text(int err) { return std::strerror(err); }

// "[2, 3]", "[]": formatted here so that messages do not depend on other code.
inline std::string dims_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Element count and byte size with overflow checks; false when either does not fit in int64.
inline bool checked_bytes(const Shape& shape, uint64_t item_size, uint64_t* numel, uint64_t* bytes) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || !checked_mul(n, static_cast<uint64_t>(d), &n)) return false;
  }
  uint64_t b = 0;
  if (!checked_mul(n, item_size, &b)) return false;
  if (n > static_cast<uint64_t>(INT64_MAX) || b > static_cast<uint64_t>(INT64_MAX)) return false;
  *numel = n;
  *bytes = b;
  return true;
}

// Index of the first byte that breaks UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF included), or npos when the text is valid.
inline size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (n - i < len) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Copies the elements of a host tensor, in row-major order, to dst (t.nbytes() bytes).
// Follows the strides, so views (transposes, slices) come out contiguous.
inline void copy_to_contiguous(const Tensor& t, void* dst) {
  const size_t item = dtype_size(t.dtype());
  const int64_t numel = t.numel();
  if (numel == 0) return;
  const auto* src = static_cast<const unsigned char*>(t.data());
  auto* out = static_cast<unsigned char*>(dst);
  if (t.is_contiguous() || t.ndim() == 0) {
    std::memcpy(out, src, static_cast<size_t>(numel) * item);
    return;
  }
  const int nd = t.ndim();
  const Shape& shape = t.shape();
  const std::vector<int64_t>& strides = t.strides();
  // Innermost dimension copied element by element; the outer index advances like an odometer.
  std::vector<int64_t> index(static_cast<size_t>(nd), 0);
  const int64_t inner = shape[static_cast<size_t>(nd - 1)];
  const int64_t inner_stride = strides[static_cast<size_t>(nd - 1)];
  int64_t offset = 0;  // in elements, of the current row's first element
  for (int64_t done = 0; done < numel; done += inner) {
    for (int64_t i = 0; i < inner; ++i) {
      std::memcpy(out, src + (offset + i * inner_stride) * static_cast<int64_t>(item), item);
      out += item;
    }
    for (int d = nd - 2; d >= 0; --d) {
      auto du = static_cast<size_t>(d);
      offset += strides[du];
      if (++index[du] < shape[du]) break;
      offset -= strides[du] * shape[du];
      index[du] = 0;
    }
  }
}

// Writes to "<path>.tmp.<pid>" in the same folder and renames over `path` on
// commit(); destroyed without commit() (an exception on the way), it removes
// the temporary file, so a failed save never leaves a half-written file behind.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path)
      : path_(std::move(path)), tmp_(path_.string() + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) fail("cannot create " + tmp_.string(), errno);
  }
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t bytes) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
      ssize_t n = ::write(fd_, p, bytes);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot write " + tmp_.string(), errno);
      }
      p += n;
      bytes -= static_cast<size_t>(n);
    }
  }

  void commit() {
    // fsync first: a crash after the rename must not leave an empty file under the final name.
    if (::fsync(fd_) != 0) fail("cannot flush " + tmp_.string(), errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot close " + tmp_.string(), errno);
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      fail("cannot rename " + tmp_.string() + " to " + path_.string(), errno);
    committed_ = true;
  }

 private:
  [[noreturn]] static void fail(const std::string& what, int err) {
    std::string message = what + ": " + errno_text(err);
    if (err == ENOENT || err == ENOTDIR) throw NotFound(message);
    if (err == ENOMEM) throw OutOfMemory(message);
    throw Error(message, LOOM_ERR_INTERNAL);
  }

  std::filesystem::path path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Opens a file for reading; a missing file is NotFound, anything else an Error naming the file.
inline int open_for_reading(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) throw NotFound(path.string() + ": no such file");
    throw Error(path.string() + ": cannot open: " + errno_text(err), LOOM_ERR_INTERNAL);
  }
  return fd;
}

// Closes a descriptor when it goes out of scope.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace loom::io
