#include "loom/layer.hpp"

#include <fmt/format.h>

#include "host_error.hpp"
#include "loom/plugin_manager.hpp"

namespace loom {

std::optional<Tensor> MemoryWeights::find(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return std::nullopt;
  return it->second;
}

Layer::Layer(std::shared_ptr<PluginLibrary> library, std::shared_ptr<Backend> backend, std::string name,
             std::string type, loom_layer* handle, const loom_layer_vtable* vtable, std::vector<std::string> inputs,
             std::vector<std::string> outputs)
    : library_(std::move(library)),
      backend_(std::move(backend)),
      name_(std::move(name)),
      type_(std::move(type)),
      handle_(handle),
      vtable_(vtable),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {}

Layer::~Layer() { vtable_->destroy(handle_); }

namespace {
// Collects the outputs a layer allocates during one call.
struct OutputCollector {
  Backend* backend;
  TensorMap outputs;

  static loom_status add(void* ctx, const char* name, int32_t dtype, int32_t ndim, const int64_t* shape,
                         loom_tensor_view* out, loom_error* err) {
    auto* self = static_cast<OutputCollector*>(ctx);
    try {
      if (!name || !*name) throw InvalidArgument("output with an empty name");
      if (ndim < 0 || ndim > LOOM_MAX_DIMS) throw InvalidArgument(fmt::format("output '{}': rank {} out of range", name, ndim));
      if (dtype < LOOM_DTYPE_F32 || dtype > LOOM_DTYPE_BOOL)
        throw InvalidArgument(fmt::format("output '{}': unknown dtype {}", name, dtype));
      if (self->outputs.count(name)) throw InvalidArgument(fmt::format("output '{}' added twice", name));
      Tensor t = self->backend->empty(static_cast<DType>(dtype), Shape(shape, shape + ndim));
      *out = t.view();
      self->outputs.emplace(name, std::move(t));
      return LOOM_OK;
    } catch (const Error& e) {
      host_api()->set_error(err, e.status(), e.what());
      return e.status();
    } catch (const std::exception& e) {
      host_api()->set_error(err, LOOM_ERR_OUT_OF_MEMORY, e.what());
      return LOOM_ERR_OUT_OF_MEMORY;
    }
  }
};
}  // namespace

TensorMap Layer::forward(const TensorMap& inputs, bool want_attention) const {
  std::vector<const char*> names;
  std::vector<loom_tensor_view> views;
  for (const auto& [name, t] : inputs) {
    if (t.defined() && t.device() != backend_->device())
      throw InvalidArgument(fmt::format("layer '{}' ({}): input '{}' is {} but the layer runs on {}", name_, type_, name,
                                        t.describe(), backend_->device().str()));
    names.push_back(name.c_str());
    views.push_back(t.view());
  }
  OutputCollector collector{backend_.get(), {}};
  loom_forward_io io{};
  io.struct_size = sizeof(io);
  io.num_inputs = static_cast<uint32_t>(views.size());
  io.input_names = names.data();
  io.inputs = views.data();
  io.out_ctx = &collector;
  io.add_output = &OutputCollector::add;
  io.want_attention = want_attention;
  loom_error err;
  loom_status s = vtable_->forward(handle_, &io, &err);
  if (s != LOOM_OK) raise_plugin_error(fmt::format("layer '{}' ({})", name_, type_), s, err);
  return std::move(collector.outputs);
}

Tensor Layer::forward(const Tensor& input) const {
  TensorMap out = forward(TensorMap{{inputs_.empty() ? "input" : inputs_.front(), input}});
  const std::string& want = outputs_.empty() ? "output" : outputs_.front();
  auto it = out.find(want);
  if (it == out.end())
    throw PluginError(fmt::format("layer '{}' ({}): produced no '{}' output", name_, type_, want));
  return it->second;
}

}  // namespace loom
