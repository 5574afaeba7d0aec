#include "primitive_cache.hpp"

namespace loom::onednn {

Key& Key::add(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  add(static_cast<int64_t>(d.ndims)).add(static_cast<int64_t>(d.data_type)).add(static_cast<int64_t>(d.format_kind));
  add(static_cast<int64_t>(d.offset0)).add(static_cast<int64_t>(d.extra.flags));
  for (int i = 0; i < d.ndims; ++i) add(static_cast<int64_t>(d.dims[i])).add(static_cast<int64_t>(d.padded_dims[i]));
  if (d.format_kind == dnnl_blocked) {
    const dnnl_blocking_desc_t& b = d.format_desc.blocking;
    for (int i = 0; i < d.ndims; ++i) add(static_cast<int64_t>(b.strides[i]));
    add(static_cast<int64_t>(b.inner_nblks));
    for (int i = 0; i < b.inner_nblks; ++i) add(static_cast<int64_t>(b.inner_blks[i])).add(static_cast<int64_t>(b.inner_idxs[i]));
  } else {
    // Opaque layouts (e.g. packed RNN weights): fall back to the raw bytes.
    raw(&d.format_desc, sizeof d.format_desc);
  }
  return *this;
}

std::shared_ptr<const Primitive> PrimitiveCache::find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

std::shared_ptr<const Primitive> PrimitiveCache::insert(const std::string& key, std::shared_ptr<const Primitive> p) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map_.find(key);
  if (it != map_.end()) return it->second->second;  // another thread was first
  lru_.emplace_front(key, std::move(p));
  map_.emplace(key, lru_.begin());
  while (lru_.size() > capacity_) {
    map_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return lru_.front().second;
}

}  // namespace loom::onednn
