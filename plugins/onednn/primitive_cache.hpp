// Primitives cached per backend instance, keyed by everything that shapes
// them (op, dims, strides, attributes, thread count). Creating a oneDNN
// primitive costs tens of microseconds to milliseconds (JIT); executing a
// cached one costs almost nothing, and a layer repeats the same shapes.
#pragma once

#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "memory_desc.hpp"

namespace loom::onednn {

// A ready primitive and what callers need to know about it.
struct Primitive {
  dnnl::primitive prim;
  dnnl::memory::desc scratchpad;  // zero-sized when none is needed
  // Layouts oneDNN chose where we asked for format_tag::any (weights), in
  // the op's own order.
  std::vector<dnnl::memory::desc> chosen;
  // Descriptors of the call's own operands, kept so that a call does not
  // rebuild them (op-defined order).
  std::vector<dnnl::memory::desc> mds;
};

template <class P, class PD>
std::shared_ptr<Primitive> make_primitive(const PD& pd, std::vector<dnnl::memory::desc> chosen = {}) {
  auto p = std::make_shared<Primitive>();
  p->prim = P(pd);
  p->scratchpad = pd.scratchpad_desc();
  p->chosen = std::move(chosen);
  return p;
}

// Builds a compact binary cache key.
class Key {
 public:
  explicit Key(const char* op) {
    s_.reserve(256);
    s_.append(op);
    s_.push_back('\0');
  }
  Key& add(int64_t v) { return raw(&v, sizeof v); }
  Key& add(float v) { return raw(&v, sizeof v); }
  Key& add(const Layout& l) {
    add(static_cast<int64_t>(l.dims.size()));
    for (auto d : l.dims) add(d);
    for (auto s : l.strides) add(s);
    return *this;
  }
  // Any oneDNN descriptor, blocked weight layouts included.
  Key& add(const dnnl::memory::desc& md);
  const std::string& str() const { return s_; }

 private:
  Key& raw(const void* p, size_t n) {
    s_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string s_;
};

// Thread-safe LRU map. Lookups hold the mutex only briefly; a primitive is
// created outside it (two threads may both create one; the first stored
// wins), and entries are shared_ptr so eviction never frees one in use.
class PrimitiveCache {
 public:
  explicit PrimitiveCache(size_t capacity) : capacity_(capacity) {}

  template <class Make>
  std::shared_ptr<const Primitive> get(const Key& key, Make&& make) {
    if (auto hit = find(key.str())) return hit;
    std::shared_ptr<const Primitive> made = make();
    return insert(key.str(), std::move(made));
  }

 private:
  std::shared_ptr<const Primitive> find(const std::string& key);
  std::shared_ptr<const Primitive> insert(const std::string& key, std::shared_ptr<const Primitive> p);

  using Entry = std::pair<std::string, std::shared_ptr<const Primitive>>;
  size_t capacity_;
  std::mutex mutex_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
};

}  // namespace loom::onednn
