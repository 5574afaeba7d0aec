// What every op call needs: the backend's engine and primitive cache, the
// thread-count setting, a stream, per-call temporaries and a scratchpad.
//
// Thread safety: a backend instance is shared by many calling threads. The
// engine and the cache are shared (the cache locks); everything mutable is
// per call (stream, temporaries) or per thread (scratchpad). Primitives use
// scratchpad_mode::user because the library-managed scratchpad is bound to
// the thread that created the primitive and is unsafe when the same
// primitive runs on two threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "loom/sdk/error.hpp"
#include "memory_desc.hpp"
#include "primitive_cache.hpp"

namespace loom::onednn {

// Shared by the backend and everything it creates.
struct Runtime {
  dnnl::engine engine;  // created by the backend, which reports a failure
  PrimitiveCache cache{1024};
  int threads = 0;  // 0: OpenMP's default
};

// 64-byte aligned host memory, owned.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes, bool zero = false);
  AlignedBuffer(AlignedBuffer&& o) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();
  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Applies the backend's `threads` setting to the calling thread for the
// duration of one op and restores what the caller had: OpenMP's thread count
// is per calling thread, so it must be set on every call, not once.
class ThreadScope {
 public:
  explicit ThreadScope(int threads);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_ = 0;
};

// Execution arguments (a small vector: cheaper than the map dnnl.hpp takes).
using Args = std::vector<std::pair<int, dnnl::memory>>;

class OpContext {
 public:
  OpContext(Runtime& rt, const char* op);
  OpContext(const OpContext&) = delete;
  OpContext& operator=(const OpContext&) = delete;

  const char* op() const { return op_; }
  Runtime& runtime() { return rt_; }
  const dnnl::engine& engine() const { return rt_.engine; }
  dnnl::stream& stream();
  // The thread count primitives are created for; part of every cache key
  // because oneDNN sizes its work split and scratchpads by it.
  int64_t threads() const { return threads_now_; }
  Key key(const char* kind) const;

  dnnl::memory mem(const dnnl::memory::desc& md, const void* data) const;
  // Temporary memory that lives until this call returns.
  void* temp(size_t bytes, bool zero = false);
  // A dense temporary for `md` (its size as oneDNN computes it).
  dnnl::memory temp_mem(const dnnl::memory::desc& md, bool zero = false);

  // Runs p with args, adding the calling thread's scratchpad.
  void execute(const Primitive& p, Args args);
  // Copies (and converts) src to dst with a cached reorder primitive.
  void reorder(const dnnl::memory::desc& src_md, const void* src, const dnnl::memory::desc& dst_md, void* dst);

 private:
  Runtime& rt_;
  const char* op_;
  ThreadScope scope_;
  int64_t threads_now_;
  std::unique_ptr<dnnl::stream> stream_;
  std::vector<AlignedBuffer> temps_;
};

// oneDNN reports failures as dnnl::error; turn them into Loom statuses with
// the op name and oneDNN's own message (the CUDNN_CHECK idea).
sdk::Error translate(const char* op, const dnnl::error& e);

template <class Fn>
void run_op(const char* op, Fn&& fn) {
  try {
    fn();
  } catch (const dnnl::error& e) {
    throw translate(op, e);
  }
}

}  // namespace loom::onednn
