// Writing a backend: derive from loom::sdk::Backend, override the ops you
// implement (the rest answer "unsupported"), and list the class in
// LOOM_PLUGIN(...) with LOOM_BACKEND(Class). The class provides:
//   static BackendSpec spec();
//   static bool available(loom_device& device, std::string& why);   // capability query
//   explicit Class(const Options& options);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loom/abi/backend.h"
#include "loom/sdk/error.hpp"
#include "loom/sdk/options.hpp"
#include "loom/sdk/view.hpp"

namespace loom::sdk {

struct BackendSpec {
  std::string name;
  std::string description;
  int priority = 0;
  std::vector<OptionSpec> options;
};

// Backend-owned prepared weights (matmul_pack, rnn_pack).
class Packed {
 public:
  virtual ~Packed() = default;
};

struct MatmulArgs {
  bool transpose_a = false;
  bool transpose_b = false;
  float alpha = 1.0f;
  float beta = 0.0f;
  int32_t activation = LOOM_UNARY_IDENTITY;
};

inline MatmulArgs to_args(const loom_matmul_desc& d) {
  return {d.transpose_a != 0, d.transpose_b != 0, d.alpha, d.beta, d.activation};
}

struct RnnArgs {
  int32_t cell = LOOM_RNN_LSTM;
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int32_t num_layers = 1;
  bool bidirectional = false;
  int gates() const { return cell == LOOM_RNN_LSTM ? 4 : cell == LOOM_RNN_GRU ? 3 : 1; }
  int dirs() const { return bidirectional ? 2 : 1; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual loom_device device() const { return {LOOM_DEVICE_CPU, 0}; }

  virtual void* allocate(size_t bytes, size_t align) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  virtual void copy_from_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void synchronize() {}

  virtual void matmul(const MatmulArgs&, const View& a, const View& b, const View* bias, const View& dst) {
    (void)a, (void)b, (void)bias, (void)dst;
    throw missing("matmul");
  }
  virtual std::unique_ptr<Packed> matmul_pack(const View& b, bool transpose_b) {
    (void)b, (void)transpose_b;
    throw missing("matmul_pack");
  }
  virtual void matmul_packed(const MatmulArgs&, const View& a, const Packed& b, const View* bias, const View& dst) {
    (void)a, (void)b, (void)bias, (void)dst;
    throw missing("matmul_packed");
  }
  virtual void unary(int32_t op, float alpha, float beta, const View& src, const View& dst) {
    (void)op, (void)alpha, (void)beta, (void)src, (void)dst;
    throw missing("unary");
  }
  virtual void binary(int32_t op, const View& a, const View& b, const View& dst) {
    (void)op, (void)a, (void)b, (void)dst;
    throw missing("binary");
  }
  virtual void softmax(const View& src, const View* mask, int32_t axis, const View& dst) {
    (void)src, (void)mask, (void)axis, (void)dst;
    throw missing("softmax");
  }
  virtual void layer_norm(const View& src, const View* gamma, const View* beta, float eps, const View& dst) {
    (void)src, (void)gamma, (void)beta, (void)eps, (void)dst;
    throw missing("layer_norm");
  }
  virtual void gather(const View& table, const View& indices, const View& dst) {
    (void)table, (void)indices, (void)dst;
    throw missing("gather");
  }
  virtual void copy(const View& src, const View& dst) {
    (void)src, (void)dst;
    throw missing("copy");
  }
  virtual void concat(const std::vector<View>& srcs, int32_t axis, const View& dst) {
    (void)srcs, (void)axis, (void)dst;
    throw missing("concat");
  }
  virtual void reduce(int32_t op, const View& src, const View& dst) {
    (void)op, (void)src, (void)dst;
    throw missing("reduce");
  }
  virtual void fill(float value, const View& dst) {
    (void)value, (void)dst;
    throw missing("fill");
  }
  // Arrays have num_layers * dirs entries; bias arrays may be empty (no bias).
  virtual std::unique_ptr<Packed> rnn_pack(const RnnArgs&, const std::vector<View>& w_ih,
                                           const std::vector<View>& w_hh, const std::vector<View>& b_ih,
                                           const std::vector<View>& b_hh) {
    (void)w_ih, (void)w_hh, (void)b_ih, (void)b_hh;
    throw missing("rnn_pack");
  }
  virtual void rnn_forward(const Packed& weights, const View& src, const View* h0, const View* c0, const View& dst,
                           const View* hn, const View* cn) {
    (void)weights, (void)src, (void)h0, (void)c0, (void)dst, (void)hn, (void)cn;
    throw missing("rnn_forward");
  }

 protected:
  Error missing(const char* op) const {
    return unsupported(std::string("op '") + op + "' is not implemented by backend '" + name() + "'");
  }
};

namespace detail {

inline Backend& self(loom_backend* b) { return *reinterpret_cast<Backend*>(b); }
inline const View* opt(const loom_tensor_view* v, View& storage) {
  if (!v) return nullptr;
  storage = View(*v);
  return &storage;
}

inline std::vector<View> views(const loom_tensor_view* v, size_t n) {
  std::vector<View> out;
  if (v) out.assign(v, v + n);
  return out;
}

// The C vtable over any Backend subclass: each entry guards its call.
inline const loom_backend_vtable* backend_vtable() {
  static const loom_backend_vtable vt = [] {
    loom_backend_vtable t{};
    t.struct_size = sizeof(t);
    t.destroy = [](loom_backend* b) { delete &self(b); };
    t.device = [](const loom_backend* b) { return reinterpret_cast<const Backend*>(b)->device(); };
    t.allocate = [](loom_backend* b, size_t bytes, size_t align, void** out, loom_error* err) {
      return guard(err, [&] { *out = self(b).allocate(bytes, align); });
    };
    t.deallocate = [](loom_backend* b, void* p, size_t bytes) { guard(nullptr, [&] { self(b).deallocate(p, bytes); }); };
    t.copy_from_host = [](loom_backend* b, void* d, const void* s, size_t n, loom_error* err) {
      return guard(err, [&] { self(b).copy_from_host(d, s, n); });
    };
    t.copy_to_host = [](loom_backend* b, void* d, const void* s, size_t n, loom_error* err) {
      return guard(err, [&] { self(b).copy_to_host(d, s, n); });
    };
    t.synchronize = [](loom_backend* b, loom_error* err) { return guard(err, [&] { self(b).synchronize(); }); };
    t.matmul = [](loom_backend* b, const loom_matmul_desc* d, const loom_tensor_view* a, const loom_tensor_view* w,
                  const loom_tensor_view* bias, const loom_tensor_view* dst, loom_error* err) {
      return guard(err, [&] {
        View bias_v;
        self(b).matmul(to_args(*d), *a, *w, opt(bias, bias_v), *dst);
      });
    };
    t.matmul_pack = [](loom_backend* b, const loom_tensor_view* w, int32_t tb, loom_packed** out, loom_error* err) {
      return guard(err, [&] { *out = reinterpret_cast<loom_packed*>(self(b).matmul_pack(*w, tb != 0).release()); });
    };
    t.matmul_packed = [](loom_backend* b, const loom_matmul_desc* d, const loom_tensor_view* a, const loom_packed* w,
                         const loom_tensor_view* bias, const loom_tensor_view* dst, loom_error* err) {
      return guard(err, [&] {
        View bias_v;
        self(b).matmul_packed(to_args(*d), *a, *reinterpret_cast<const Packed*>(w), opt(bias, bias_v), *dst);
      });
    };
    t.release_packed = [](loom_backend*, loom_packed* p) { delete reinterpret_cast<Packed*>(p); };
    t.unary = [](loom_backend* b, int32_t op, float alpha, float beta, const loom_tensor_view* s,
                 const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] { self(b).unary(op, alpha, beta, *s, *d); });
    };
    t.binary = [](loom_backend* b, int32_t op, const loom_tensor_view* x, const loom_tensor_view* y,
                  const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] { self(b).binary(op, *x, *y, *d); });
    };
    t.softmax = [](loom_backend* b, const loom_tensor_view* s, const loom_tensor_view* m, int32_t axis,
                   const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] {
        View mask_v;
        self(b).softmax(*s, opt(m, mask_v), axis, *d);
      });
    };
    t.layer_norm = [](loom_backend* b, const loom_tensor_view* s, const loom_tensor_view* g,
                      const loom_tensor_view* be, float eps, const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] {
        View gv, bv;
        self(b).layer_norm(*s, opt(g, gv), opt(be, bv), eps, *d);
      });
    };
    t.gather = [](loom_backend* b, const loom_tensor_view* tbl, const loom_tensor_view* idx,
                  const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] { self(b).gather(*tbl, *idx, *d); });
    };
    t.copy = [](loom_backend* b, const loom_tensor_view* s, const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] { self(b).copy(*s, *d); });
    };
    t.concat = [](loom_backend* b, const loom_tensor_view* s, int32_t n, int32_t axis, const loom_tensor_view* d,
                  loom_error* err) {
      return guard(err, [&] {
        if (n < 0) throw invalid_argument("concat: negative source count");
        self(b).concat(views(s, static_cast<size_t>(n)), axis, *d);
      });
    };
    t.reduce = [](loom_backend* b, int32_t op, const loom_tensor_view* s, const loom_tensor_view* d,
                  loom_error* err) { return guard(err, [&] { self(b).reduce(op, *s, *d); }); };
    t.fill = [](loom_backend* b, float v, const loom_tensor_view* d, loom_error* err) {
      return guard(err, [&] { self(b).fill(v, *d); });
    };
    t.rnn_pack = [](loom_backend* b, const loom_rnn_desc* d, const loom_tensor_view* wih,
                    const loom_tensor_view* whh, const loom_tensor_view* bih, const loom_tensor_view* bhh,
                    loom_packed** out, loom_error* err) {
      return guard(err, [&] {
        RnnArgs args{d->cell, d->input_size, d->hidden_size, d->num_layers, d->bidirectional != 0};
        size_t n = static_cast<size_t>(args.num_layers) * static_cast<size_t>(args.dirs());
        auto packed = self(b).rnn_pack(args, views(wih, n), views(whh, n), views(bih, bih ? n : 0),
                                       views(bhh, bhh ? n : 0));
        *out = reinterpret_cast<loom_packed*>(packed.release());
      });
    };
    t.rnn_forward = [](loom_backend* b, const loom_packed* w, const loom_rnn_io* io, loom_error* err) {
      return guard(err, [&] {
        if (!w || !io || !io->src || !io->dst) throw invalid_argument("rnn_forward: weights, src and dst are required");
        View h0, c0, hn, cn;
        self(b).rnn_forward(*reinterpret_cast<const Packed*>(w), *io->src, opt(io->h0, h0), opt(io->c0, c0),
                            *io->dst, opt(io->hn, hn), opt(io->cn, cn));
      });
    };
    return t;
  }();
  return &vt;
}

}  // namespace detail
}  // namespace loom::sdk
