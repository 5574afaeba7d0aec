#include "op_context.hpp"

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace loom::onednn {

AlignedBuffer::AlignedBuffer(size_t bytes, bool zero) {
  if (bytes == 0) return;
  void* p = nullptr;
  if (posix_memalign(&p, 64, bytes) != 0 || !p)
    throw sdk::Error(LOOM_ERR_OUT_OF_MEMORY, "onednn: cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  if (zero) std::memset(p, 0, bytes);
  data_ = p;
  size_ = bytes;
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

ThreadScope::ThreadScope(int threads) {
  if (threads > 0) {
    previous_ = omp_get_max_threads();
    if (previous_ != threads) omp_set_num_threads(threads);
    else previous_ = 0;
  }
}

ThreadScope::~ThreadScope() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

OpContext::OpContext(Runtime& rt, const char* op)
    : rt_(rt), op_(op), scope_(rt.threads), threads_now_(omp_get_max_threads()) {}

dnnl::stream& OpContext::stream() {
  // A stream per call: CPU streams are cheap, and sharing one between
  // threads would serialize them.
  if (!stream_) stream_ = std::make_unique<dnnl::stream>(rt_.engine);
  return *stream_;
}

Key OpContext::key(const char* kind) const {
  Key k(kind);
  k.add(threads_now_);
  return k;
}

dnnl::memory OpContext::mem(const dnnl::memory::desc& md, const void* data) const {
  // oneDNN takes a non-const handle for inputs too; it never writes them.
  return dnnl::memory(md, rt_.engine, const_cast<void*>(data));
}

void* OpContext::temp(size_t bytes, bool zero) {
  temps_.emplace_back(bytes, zero);
  return temps_.back().data();
}

dnnl::memory OpContext::temp_mem(const dnnl::memory::desc& md, bool zero) {
  return mem(md, temp(md.get_size(), zero));
}

namespace {

// One grow-only scratchpad per calling thread: primitives run one after
// another on a thread, so they can all share it.
void* thread_scratchpad(size_t bytes) {
  thread_local AlignedBuffer buffer;
  if (buffer.size() < bytes) {
    buffer = AlignedBuffer();  // free first: peak memory matters more than the copy we never make
    buffer = AlignedBuffer(bytes);
  }
  return buffer.data();
}

}  // namespace

void OpContext::execute(const Primitive& p, Args args) {
  const size_t bytes = p.scratchpad.get_size();
  if (bytes > 0) args.emplace_back(DNNL_ARG_SCRATCHPAD, mem(p.scratchpad, thread_scratchpad(bytes)));
  // The C entry point with a stack array: no per-call map or vector.
  constexpr size_t kInline = 16;
  dnnl_exec_arg_t inline_args[kInline];
  std::vector<dnnl_exec_arg_t> heap_args;
  dnnl_exec_arg_t* c_args = inline_args;
  if (args.size() > kInline) {
    heap_args.resize(args.size());
    c_args = heap_args.data();
  }
  for (size_t i = 0; i < args.size(); ++i) c_args[i] = {args[i].first, args[i].second.get()};
  dnnl::error::wrap_c_api(
      dnnl_primitive_execute(p.prim.get(), stream().get(), static_cast<int>(args.size()), c_args),
      "could not execute a primitive");
  stream().wait();
}

void OpContext::reorder(const dnnl::memory::desc& src_md, const void* src, const dnnl::memory::desc& dst_md,
                        void* dst) {
  Key k = key("reorder");
  k.add(src_md).add(dst_md);
  auto prim = rt_.cache.get(k, [&] {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::reorder::primitive_desc pd(rt_.engine, src_md, rt_.engine, dst_md, attr);
    return make_primitive<dnnl::reorder>(pd);
  });
  execute(*prim, {{DNNL_ARG_FROM, mem(src_md, src)}, {DNNL_ARG_TO, mem(dst_md, dst)}});
}

sdk::Error translate(const char* op, const dnnl::error& e) {
  std::string msg = std::string("onednn: ") + op + ": oneDNN: " + e.what();
  switch (e.status) {
    case dnnl_out_of_memory: return sdk::Error(LOOM_ERR_OUT_OF_MEMORY, msg);
    case dnnl_unimplemented: return sdk::unsupported(msg + " (no oneDNN implementation for these shapes/strides)");
    case dnnl_invalid_arguments: return sdk::invalid_argument(msg);
    default: return sdk::Error(LOOM_ERR_DEVICE, msg);
  }
}

}  // namespace loom::onednn
