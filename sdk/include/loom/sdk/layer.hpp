// Writing a layer: derive from loom::sdk::Layer and list the class in
// LOOM_PLUGIN(...) with LOOM_LAYER(Class). The class provides:
//   static LayerSpec spec();                                   // type, options, inputs, outputs, examples
//   explicit Class(LayerInit& init);                           // read options, upload weights
//   void forward(ForwardContext& ctx) const override;          // thread-safe: no mutation
// and optionally
//   static bool supports(const Options&, const loom_backend_info&, std::string& why);
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/abi/layer.h"
#include "loom/sdk/ops.hpp"
#include "loom/sdk/options.hpp"
#include "loom/sdk/view.hpp"

namespace loom::sdk {

// A tensor in a LayerExample: random values of this dtype and shape, floats
// uniform in [low, high), integers in [low, high], bool/u8 masks 0 or 1.
struct ExampleTensor {
  std::string name;
  int32_t dtype = LOOM_DTYPE_F32;
  Shape shape;
  double low = -1.0;
  double high = 1.0;
};

// A sample use of the layer that `loom check-plugin` runs on every backend:
// options (the required ones at least), the weights the constructor reads,
// and the inputs forward() takes. With expect_error, the inputs are invalid
// on purpose and forward() must fail cleanly.
struct LayerExample {
  std::string description;
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<ExampleTensor> weights;
  std::vector<ExampleTensor> inputs;
  bool want_attention = false;
  bool expect_error = false;
};

struct LayerSpec {
  std::string type;
  std::string backend = LOOM_BACKEND_ANY;
  int priority = 0;
  std::string description;
  std::vector<OptionSpec> options;
  std::vector<std::string> inputs{"input"};
  std::vector<std::string> outputs{"output"};
  std::vector<LayerExample> examples;
};

// What a layer's constructor gets: options, weights and the runtime.
class LayerInit {
 public:
  LayerInit(const loom_layer_create_args* args, loom_error* err)
      : args_(args), err_(err), options_(args->options, args->num_options), ops_(args->runtime, err) {}

  const Options& options() const { return options_; }
  const Ops& ops() const { return ops_; }
  const std::string name() const { return args_->name ? args_->name : ""; }
  const loom_runtime* runtime() const { return args_->runtime; }

  bool has_weight(const std::string& n) const { return args_->has_weight(args_->weights_ctx, n.c_str()) != 0; }
  // Host view of a weight, valid during construction only.
  View weight(const std::string& n) const {
    loom_tensor_view raw{};
    raw.struct_size = sizeof(raw);
    check(args_->get_weight(args_->weights_ctx, n.c_str(), &raw, err_));
    return View(raw);
  }
  // A weight checked for dtype F32 and an exact shape, copied into backend memory.
  Buffer upload(const std::string& n, const Shape& expected) const {
    View host = weight(n);
    if (host.shape() != expected)
      throw invalid_argument("weight '" + n + "' has shape " + host.shape_str() + ", expected " +
                             shape_string(expected));
    if (host.dtype() != LOOM_DTYPE_F32)
      throw invalid_argument("weight '" + n + "' has dtype " + dtype_name(host.dtype()) + ", expected f32");
    if (!host.is_contiguous()) throw invalid_argument("weight '" + n + "' is not contiguous");
    Buffer b = ops_.empty(host.dtype(), expected);
    ops_.copy_from_host(b.view(), host.data(), static_cast<size_t>(host.numel()) * host.element_size());
    return b;
  }

 private:
  const loom_layer_create_args* args_;
  loom_error* err_;
  Options options_;
  Ops ops_;
};

// One forward call as a layer sees it.
class ForwardContext {
 public:
  ForwardContext(const loom_runtime* rt, const loom_forward_io* io, loom_error* err)
      : io_(io), err_(err), ops_(rt, err) {}

  const Ops& ops() const { return ops_; }
  bool want_attention() const { return io_->want_attention != 0; }

  const View* find_input(const std::string& name) const {
    for (uint32_t i = 0; i < io_->num_inputs; ++i)
      if (name == io_->input_names[i]) {
        found_.push_back(View(io_->inputs[i]));
        return &found_.back();
      }
    return nullptr;
  }
  View input(const std::string& name) const {
    const View* v = find_input(name);
    if (!v) throw invalid_argument("missing input '" + name + "'");
    return *v;
  }
  // Allocates a host-owned output and returns its view for the layer to fill.
  View output(const std::string& name, int32_t dtype, const Shape& shape) const {
    loom_tensor_view raw{};
    raw.struct_size = sizeof(raw);
    check(io_->add_output(io_->out_ctx, name.c_str(), dtype, static_cast<int32_t>(shape.size()), shape.data(), &raw,
                          err_));
    return View(raw);
  }

 private:
  const loom_forward_io* io_;
  loom_error* err_;
  Ops ops_;
  mutable std::deque<View> found_;  // stable addresses for find_input results
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual void forward(ForwardContext& ctx) const = 0;
  const loom_runtime* runtime = nullptr;  // set by the SDK after construction
};

namespace detail {

// Keeps a spec's strings alive for the C arrays that point into them.
struct OptionTable {
  std::vector<OptionSpec> specs;
  std::vector<loom_option_decl> decls;
  void build(std::vector<OptionSpec> s) {
    specs = std::move(s);
    for (const auto& o : specs) {
      loom_option_decl d{};
      d.struct_size = sizeof(d);
      d.name = o.name.c_str();
      d.type = o.type;
      d.default_value = o.default_value ? o.default_value->c_str() : nullptr;
      d.choices = o.choices.empty() ? nullptr : o.choices.c_str();
      d.description = o.description.c_str();
      decls.push_back(d);
    }
  }
};

// Keeps a spec's examples alive as the C structs that point into them.
struct ExampleTable {
  std::vector<LayerExample> specs;
  std::deque<std::vector<loom_option>> options;
  std::deque<std::vector<loom_example_tensor>> tensors;
  std::vector<loom_layer_example> examples;

  const loom_example_tensor* add_tensors(const std::vector<ExampleTensor>& in) {
    std::vector<loom_example_tensor>& out = tensors.emplace_back();
    for (const auto& t : in) {
      if (t.shape.size() > LOOM_MAX_DIMS) throw invalid_argument("example tensor '" + t.name + "' has too many dims");
      loom_example_tensor c{};
      c.struct_size = sizeof(c);
      c.name = t.name.c_str();
      c.dtype = t.dtype;
      c.ndim = static_cast<int32_t>(t.shape.size());
      for (size_t i = 0; i < t.shape.size(); ++i) c.shape[i] = t.shape[i];
      c.low = t.low;
      c.high = t.high;
      out.push_back(c);
    }
    return out.data();
  }
  void build(std::vector<LayerExample> s) {
    specs = std::move(s);
    for (const auto& e : specs) {
      std::vector<loom_option>& opts = options.emplace_back();
      for (const auto& [k, v] : e.options) opts.push_back({sizeof(loom_option), k.c_str(), v.c_str()});
      loom_layer_example c{};
      c.struct_size = sizeof(c);
      c.description = e.description.c_str();
      c.options = opts.data();
      c.num_options = static_cast<uint32_t>(opts.size());
      c.weights = add_tensors(e.weights);
      c.num_weights = static_cast<uint32_t>(e.weights.size());
      c.inputs = add_tensors(e.inputs);
      c.num_inputs = static_cast<uint32_t>(e.inputs.size());
      c.want_attention = e.want_attention ? 1 : 0;
      c.expect_error = e.expect_error ? 1 : 0;
      examples.push_back(c);
    }
  }
};

inline std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  for (const auto& s : v) out.push_back(s.c_str());
  return out;
}

template <class L, class = void>
struct has_supports : std::false_type {};
template <class L>
struct has_supports<L, std::void_t<decltype(L::supports(std::declval<const Options&>(),
                                                        std::declval<const loom_backend_info&>(),
                                                        std::declval<std::string&>()))>> : std::true_type {};

template <class L>
struct LayerFactoryHolder {
  LayerSpec spec = L::spec();
  OptionTable options;
  ExampleTable examples;
  std::vector<const char*> inputs, outputs;
  loom_layer_factory factory{};

  LayerFactoryHolder() {
    options.build(spec.options);
    examples.build(spec.examples);
    inputs = c_strings(spec.inputs);
    outputs = c_strings(spec.outputs);
    factory.struct_size = sizeof(factory);
    factory.type = spec.type.c_str();
    factory.backend = spec.backend.c_str();
    factory.priority = spec.priority;
    factory.description = spec.description.c_str();
    factory.options = options.decls.data();
    factory.num_options = static_cast<uint32_t>(options.decls.size());
    factory.inputs = inputs.data();
    factory.num_inputs = static_cast<uint32_t>(inputs.size());
    factory.outputs = outputs.data();
    factory.num_outputs = static_cast<uint32_t>(outputs.size());
    factory.examples = examples.examples.empty() ? nullptr : examples.examples.data();
    factory.num_examples = static_cast<uint32_t>(examples.examples.size());
    factory.supports = [](const loom_option* o, uint32_t n, const loom_backend_info* b, loom_error* reason) {
      return guard(reason, [&] {
        if constexpr (has_supports<L>::value) {
          std::string why;
          if (!L::supports(Options(o, n), *b, why)) throw unsupported(why);
        } else {
          (void)o, (void)n, (void)b;
        }
      });
    };
    factory.create = [](const loom_layer_create_args* args, loom_layer** out, const loom_layer_vtable** vt,
                        loom_error* err) {
      return guard(err, [&] {
        LayerInit init(args, err);
        std::unique_ptr<Layer> layer = std::make_unique<L>(init);
        layer->runtime = args->runtime;
        *out = reinterpret_cast<loom_layer*>(layer.release());
        *vt = layer_vtable();
      });
    };
  }

  static const loom_layer_vtable* layer_vtable() {
    static const loom_layer_vtable vt = [] {
      loom_layer_vtable t{};
      t.struct_size = sizeof(t);
      t.destroy = [](loom_layer* l) { delete reinterpret_cast<Layer*>(l); };
      t.forward = [](loom_layer* l, const loom_forward_io* io, loom_error* err) {
        return guard(err, [&] {
          const Layer& layer = *reinterpret_cast<Layer*>(l);
          ForwardContext ctx(layer.runtime, io, err);
          layer.forward(ctx);
        });
      };
      return t;
    }();
    return &vt;
  }
};

}  // namespace detail

template <class L>
const loom_layer_factory* layer_factory() {
  static const detail::LayerFactoryHolder<L> holder;
  return &holder.factory;
}

}  // namespace loom::sdk
