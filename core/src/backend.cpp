#include "loom/backend.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "host_error.hpp"
#include "loom/log.hpp"
#include "loom/plugin_manager.hpp"
#include "plugin_library.hpp"

namespace loom {

namespace {
constexpr size_t kAlignment = 64;

// The runtime callbacks layers use for memory: host-owned tensors from the
// backend's caching allocator.
struct RuntimeBuffer {
  Tensor tensor;
};

loom_status runtime_alloc(void* host_ctx, int32_t dtype, int32_t ndim, const int64_t* shape, loom_tensor_view* out,
                          loom_buffer** buffer, loom_error* err) {
  try {
    auto* backend = static_cast<Backend*>(host_ctx);
    if (ndim < 0 || ndim > LOOM_MAX_DIMS) throw InvalidArgument(fmt::format("alloc: rank {} out of range", ndim));
    if (dtype < LOOM_DTYPE_F32 || dtype > LOOM_DTYPE_BOOL) throw InvalidArgument(fmt::format("alloc: bad dtype {}", dtype));
    auto* b = new RuntimeBuffer{backend->empty(static_cast<DType>(dtype), Shape(shape, shape + ndim))};
    *out = b->tensor.view();
    *buffer = reinterpret_cast<loom_buffer*>(b);
    return LOOM_OK;
  } catch (const Error& e) {
    host_api()->set_error(err, e.status(), e.what());
    return e.status();
  } catch (const std::exception& e) {
    host_api()->set_error(err, LOOM_ERR_OUT_OF_MEMORY, e.what());
    return LOOM_ERR_OUT_OF_MEMORY;
  }
}

void runtime_release(void*, loom_buffer* buffer) { delete reinterpret_cast<RuntimeBuffer*>(buffer); }

}  // namespace

size_t allocator_size_class(size_t bytes) {
  // Small blocks round to 512 B; larger ones to 1/8 of their power of two, so
  // reuse is likely and waste stays under 12.5%.
  if (bytes <= 512) return 512;
  size_t p = 1;
  while (p < bytes) p <<= 1;
  size_t step = std::max<size_t>(p / 8, 512);
  return (bytes + step - 1) / step * step;
}

Backend::Backend(std::shared_ptr<PluginLibrary> library, std::string name, loom_backend* handle,
                 const loom_backend_vtable* vtable)
    : library_(std::move(library)), name_(std::move(name)), handle_(handle), vtable_(vtable) {
  loom_device d = vtable_->device(handle_);
  device_ = Device{static_cast<loom_device_type>(d.type), d.index};
  info_.struct_size = sizeof(info_);
  info_.name = name_.c_str();
  info_.device = d;
  runtime_.struct_size = sizeof(runtime_);
  runtime_.backend = handle_;
  runtime_.ops = vtable_;
  runtime_.info = &info_;
  runtime_.host_ctx = this;
  runtime_.alloc = runtime_alloc;
  runtime_.release = runtime_release;
}

Backend::~Backend() {
  release_cached();
  vtable_->destroy(handle_);
}

void* Backend::allocate_block(size_t bytes) {
  size_t cls = allocator_size_class(bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_blocks_.find(cls);
    if (it != free_blocks_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= cls;
      stats_.bytes_in_use += cls;
      stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
      return p;
    }
  }
  loom_error err;
  void* p = nullptr;
  loom_status s = vtable_->allocate(handle_, cls, kAlignment, &p, &err);
  if (s == LOOM_ERR_OUT_OF_MEMORY || (s == LOOM_OK && !p)) {
    release_cached();  // give cached blocks back and try once more
    err = {};
    s = vtable_->allocate(handle_, cls, kAlignment, &p, &err);
  }
  if (s != LOOM_OK) raise_plugin_error(fmt::format("backend '{}': allocating {} bytes", name_, bytes), s, err);
  if (!p) throw OutOfMemory(fmt::format("backend '{}': allocating {} bytes returned no memory", name_, bytes));
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.device_allocations++;
  stats_.bytes_in_use += cls;
  stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  return p;
}

void Backend::release_block(void* ptr, size_t bytes) {
  size_t cls = allocator_size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_blocks_[cls].push_back(ptr);
  stats_.bytes_in_use -= cls;
  stats_.bytes_cached += cls;
}

void Backend::release_cached() {
  std::unordered_map<size_t, std::vector<void*>> blocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks.swap(free_blocks_);
    stats_.bytes_cached = 0;
  }
  for (auto& [cls, list] : blocks)
    for (void* p : list) vtable_->deallocate(handle_, p, cls);
}

AllocatorStats Backend::allocator_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

Tensor Backend::empty(DType dtype, const Shape& shape) {
  size_t bytes = static_cast<size_t>(checked_numel(shape)) * dtype_size(dtype);
  if (bytes == 0) {
    auto storage = std::make_shared<Storage>(nullptr, 0, device_, nullptr);
    return Tensor(std::move(storage), dtype, shape);
  }
  void* p = allocate_block(bytes);
  // The storage keeps the backend (and through it the plugin) alive.
  std::shared_ptr<Backend> self = shared_from_this();
  auto storage = std::make_shared<Storage>(p, bytes, device_,
                                           [self](void* q, size_t n) { self->release_block(q, n); });
  return Tensor(std::move(storage), dtype, shape);
}

void Backend::fail(const char* op, loom_status status, const std::string& message) const {
  loom_error err{status, message};
  raise_plugin_error(fmt::format("backend '{}': {}", name_, op), status, err);
}

template <class Call>
void Backend::call(const char* op, Call&& c) const {
  loom_error err;
  loom_status s = c(&err);
  if (s != LOOM_OK) fail(op, s, err.message);
}

static void require_contiguous(const Tensor& t, const char* what) {
  if (!t.is_contiguous()) throw InvalidArgument(fmt::format("{}: tensor {} must be contiguous", what, t.describe()));
}

Tensor Backend::upload(const Tensor& host) {
  if (!host.device().is_cpu()) throw InvalidArgument("upload: source " + host.describe() + " is not a host tensor");
  if (device_.is_cpu()) return host;
  require_contiguous(host, "upload");
  Tensor t = empty(host.dtype(), host.shape());
  call("copy_from_host", [&](loom_error* e) { return vtable_->copy_from_host(handle_, t.data(), host.data(), host.nbytes(), e); });
  return t;
}

Tensor Backend::download(const Tensor& t) {
  if (t.device().is_cpu()) return t;
  require_contiguous(t, "download");
  Tensor host = Tensor::host(t.dtype(), t.shape());
  call("copy_to_host", [&](loom_error* e) { return vtable_->copy_to_host(handle_, host.data(), t.data(), t.nbytes(), e); });
  return host;
}

void Backend::synchronize() {
  call("synchronize", [&](loom_error* e) { return vtable_->synchronize(handle_, e); });
}

namespace {
loom_matmul_desc matmul_desc(const MatmulOptions& o) {
  loom_matmul_desc d{};
  d.struct_size = sizeof(d);
  d.transpose_a = o.transpose_a;
  d.transpose_b = o.transpose_b;
  d.alpha = o.alpha;
  d.beta = o.beta;
  d.activation = o.activation;
  return d;
}
// Keeps views alive for the duration of a call.
struct OptionalView {
  loom_tensor_view view{};
  const loom_tensor_view* ptr = nullptr;
  explicit OptionalView(const Tensor* t) {
    if (t && t->defined()) {
      view = t->view();
      ptr = &view;
    }
  }
};
}  // namespace

void Backend::matmul(const Tensor& a, const Tensor& b, const Tensor* bias, const Tensor& dst, const MatmulOptions& o) {
  auto d = matmul_desc(o);
  auto va = a.view(), vb = b.view(), vd = dst.view();
  OptionalView vbias(bias);
  call("matmul", [&](loom_error* e) { return vtable_->matmul(handle_, &d, &va, &vb, vbias.ptr, &vd, e); });
}

Backend::Packed Backend::matmul_pack(const Tensor& b, bool transpose_b) {
  auto vb = b.view();
  loom_packed* p = nullptr;
  call("matmul_pack", [&](loom_error* e) { return vtable_->matmul_pack(handle_, &vb, transpose_b, &p, e); });
  std::shared_ptr<Backend> self = shared_from_this();
  return Packed(p, [self](loom_packed* q) { self->vtable_->release_packed(self->handle_, q); });
}

void Backend::matmul_packed(const Tensor& a, const Packed& b, const Tensor* bias, const Tensor& dst,
                            const MatmulOptions& o) {
  auto d = matmul_desc(o);
  auto va = a.view(), vd = dst.view();
  OptionalView vbias(bias);
  call("matmul_packed", [&](loom_error* e) { return vtable_->matmul_packed(handle_, &d, &va, b.get(), vbias.ptr, &vd, e); });
}

void Backend::unary(loom_unary_op op, const Tensor& src, const Tensor& dst, float alpha, float beta) {
  auto vs = src.view(), vd = dst.view();
  call("unary", [&](loom_error* e) { return vtable_->unary(handle_, op, alpha, beta, &vs, &vd, e); });
}

void Backend::binary(loom_binary_op op, const Tensor& a, const Tensor& b, const Tensor& dst) {
  auto va = a.view(), vb = b.view(), vd = dst.view();
  call("binary", [&](loom_error* e) { return vtable_->binary(handle_, op, &va, &vb, &vd, e); });
}

void Backend::softmax(const Tensor& src, const Tensor* mask, int axis, const Tensor& dst) {
  auto vs = src.view(), vd = dst.view();
  OptionalView vm(mask);
  call("softmax", [&](loom_error* e) { return vtable_->softmax(handle_, &vs, vm.ptr, axis, &vd, e); });
}

void Backend::layer_norm(const Tensor& src, const Tensor* gamma, const Tensor* beta, float eps, const Tensor& dst) {
  auto vs = src.view(), vd = dst.view();
  OptionalView vg(gamma), vb(beta);
  call("layer_norm", [&](loom_error* e) { return vtable_->layer_norm(handle_, &vs, vg.ptr, vb.ptr, eps, &vd, e); });
}

void Backend::gather(const Tensor& table, const Tensor& indices, const Tensor& dst) {
  auto vt = table.view(), vi = indices.view(), vd = dst.view();
  call("gather", [&](loom_error* e) { return vtable_->gather(handle_, &vt, &vi, &vd, e); });
}

void Backend::copy(const Tensor& src, const Tensor& dst) {
  auto vs = src.view(), vd = dst.view();
  call("copy", [&](loom_error* e) { return vtable_->copy(handle_, &vs, &vd, e); });
}

void Backend::concat(const std::vector<Tensor>& srcs, int axis, const Tensor& dst) {
  std::vector<loom_tensor_view> vs;
  for (const auto& s : srcs) vs.push_back(s.view());
  auto vd = dst.view();
  call("concat", [&](loom_error* e) {
    return vtable_->concat(handle_, vs.data(), static_cast<int32_t>(vs.size()), axis, &vd, e);
  });
}

void Backend::reduce(loom_reduce_op op, const Tensor& src, const Tensor& dst) {
  auto vs = src.view(), vd = dst.view();
  call("reduce", [&](loom_error* e) { return vtable_->reduce(handle_, op, &vs, &vd, e); });
}

void Backend::fill(float value, const Tensor& dst) {
  auto vd = dst.view();
  call("fill", [&](loom_error* e) { return vtable_->fill(handle_, value, &vd, e); });
}

Backend::Packed Backend::rnn_pack(const loom_rnn_desc& desc, const RnnWeights& w) {
  auto views = [](const std::vector<Tensor>& ts) {
    std::vector<loom_tensor_view> v;
    for (const auto& t : ts) v.push_back(t.view());
    return v;
  };
  // The C call carries no counts: check them here so a plugin never reads past an array.
  size_t n = static_cast<size_t>(std::max(desc.num_layers, 0)) * (desc.bidirectional ? 2u : 1u);
  auto count_ok = [n](const std::vector<Tensor>& v, bool optional) { return v.size() == n || (optional && v.empty()); };
  if (n == 0 || !count_ok(w.w_ih, false) || !count_ok(w.w_hh, false) || !count_ok(w.b_ih, true) ||
      !count_ok(w.b_hh, true) || w.b_ih.size() != w.b_hh.size())
    throw InvalidArgument(fmt::format("backend '{}': rnn_pack: expected {} tensors (num_layers x directions) in each of "
                                      "w_ih, w_hh and optionally b_ih, b_hh; got {}, {}, {}, {}",
                                      name_, n, w.w_ih.size(), w.w_hh.size(), w.b_ih.size(), w.b_hh.size()));
  auto wih = views(w.w_ih), whh = views(w.w_hh), bih = views(w.b_ih), bhh = views(w.b_hh);
  loom_packed* p = nullptr;
  call("rnn_pack", [&](loom_error* e) {
    return vtable_->rnn_pack(handle_, &desc, wih.data(), whh.data(), bih.empty() ? nullptr : bih.data(),
                             bhh.empty() ? nullptr : bhh.data(), &p, e);
  });
  std::shared_ptr<Backend> self = shared_from_this();
  return Packed(p, [self](loom_packed* q) { self->vtable_->release_packed(self->handle_, q); });
}

void Backend::rnn_forward(const Packed& weights, const RnnIO& io) {
  if (!weights || !io.src.defined() || !io.dst.defined())
    throw InvalidArgument(fmt::format("backend '{}': rnn_forward: packed weights, src and dst are required", name_));
  OptionalView src(&io.src), h0(&io.h0), c0(&io.c0), dst(&io.dst), hn(&io.hn), cn(&io.cn);
  loom_rnn_io raw{};
  raw.struct_size = sizeof(raw);
  raw.src = src.ptr;
  raw.h0 = h0.ptr;
  raw.c0 = c0.ptr;
  raw.dst = dst.ptr;
  raw.hn = hn.ptr;
  raw.cn = cn.ptr;
  call("rnn_forward", [&](loom_error* e) { return vtable_->rnn_forward(handle_, weights.get(), &raw, e); });
}

}  // namespace loom
