// One macro defines a plugin's entry point from the factories it lists:
//
//   LOOM_PLUGIN("basic-layers", "0.1.0", "Loom project",
//               LOOM_LAYER(Linear), LOOM_LAYER(Embedding), LOOM_BACKEND(MyBackend))
// (tokenizers: LOOM_TOKENIZER(MyTokenizer), see loom/sdk/tokenizer.hpp)
//
// The descriptor is built on first call of loom_plugin_entry (no static-init
// registration across libraries).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "loom/abi/plugin.h"
#include "loom/sdk/backend.hpp"
#include "loom/sdk/error.hpp"
#include "loom/sdk/layer.hpp"
#include "loom/sdk/tokenizer.hpp"

#define LOOM_SDK_STRINGIFY2(x) #x
#define LOOM_SDK_STRINGIFY(x) LOOM_SDK_STRINGIFY2(x)

namespace loom::sdk {

namespace detail {

template <class B>
struct BackendFactoryHolder {
  BackendSpec spec = B::spec();
  OptionTable options;
  loom_backend_factory factory{};

  BackendFactoryHolder() {
    options.build(spec.options);
    factory.struct_size = sizeof(factory);
    factory.name = spec.name.c_str();
    factory.description = spec.description.c_str();
    factory.priority = spec.priority;
    factory.options = options.decls.data();
    factory.num_options = static_cast<uint32_t>(options.decls.size());
    factory.available = [](loom_device* device, loom_error* reason) {
      return guard(reason, [&] {
        std::string why;
        if (!B::available(*device, why)) throw unsupported(why);
      });
    };
    factory.create = [](const loom_option* o, uint32_t n, loom_backend** out, const loom_backend_vtable** vt,
                        loom_error* err) {
      return guard(err, [&] {
        std::unique_ptr<Backend> b = std::make_unique<B>(Options(o, n));
        *out = reinterpret_cast<loom_backend*>(b.release());
        *vt = backend_vtable();
      });
    };
  }
};

}  // namespace detail

template <class B>
const loom_backend_factory* backend_factory() {
  static const detail::BackendFactoryHolder<B> holder;
  return &holder.factory;
}

// A factory of any kind, as listed in LOOM_PLUGIN.
struct FactoryRef {
  const loom_backend_factory* backend = nullptr;
  const loom_layer_factory* layer = nullptr;
  const loom_tokenizer_factory* tokenizer = nullptr;
};

struct PluginInfo {
  const char* name;
  const char* version;
  const char* vendor;
};

namespace detail {

struct DescriptorHolder {
  std::vector<const loom_backend_factory*> backends;
  std::vector<const loom_layer_factory*> layers;
  std::vector<const loom_tokenizer_factory*> tokenizers;
  loom_plugin_descriptor desc{};

  DescriptorHolder(PluginInfo info, std::initializer_list<FactoryRef> refs) {
    for (const auto& r : refs) {
      if (r.backend) backends.push_back(r.backend);
      if (r.layer) layers.push_back(r.layer);
      if (r.tokenizer) tokenizers.push_back(r.tokenizer);
    }
    desc.struct_size = sizeof(desc);
    desc.abi_major = LOOM_ABI_MAJOR;
    desc.abi_minor = LOOM_ABI_MINOR;
    desc.name = info.name;
    desc.version = info.version;
    desc.vendor = info.vendor;
    desc.build_info = "C++" LOOM_SDK_STRINGIFY(__cplusplus) " " __VERSION__;
    desc.init = [](const loom_host_api* host, loom_error* err) {
      if (!host || host->abi_major != LOOM_ABI_MAJOR) return LOOM_ERR_UNSUPPORTED;
      detail::host_slot() = host;
      (void)err;
      return LOOM_OK;
    };
    desc.shutdown = [] {};
    desc.backends = backends.data();
    desc.num_backends = static_cast<uint32_t>(backends.size());
    desc.layers = layers.data();
    desc.num_layers = static_cast<uint32_t>(layers.size());
    desc.tokenizers = tokenizers.data();
    desc.num_tokenizers = static_cast<uint32_t>(tokenizers.size());
  }
};

}  // namespace detail
}  // namespace loom::sdk

#define LOOM_LAYER(Class) ::loom::sdk::FactoryRef{nullptr, ::loom::sdk::layer_factory<Class>(), nullptr}
#define LOOM_BACKEND(Class) ::loom::sdk::FactoryRef{::loom::sdk::backend_factory<Class>(), nullptr, nullptr}
#define LOOM_TOKENIZER(Class) ::loom::sdk::FactoryRef{nullptr, nullptr, ::loom::sdk::tokenizer_factory<Class>()}

#define LOOM_PLUGIN(NAME, VERSION, VENDOR, ...)                                                        \
  extern "C" LOOM_ABI_EXPORT const loom_plugin_descriptor* loom_plugin_entry(void) noexcept {        \
    try {                                                                                              \
      static const ::loom::sdk::detail::DescriptorHolder holder(                                       \
          ::loom::sdk::PluginInfo{NAME, VERSION, VENDOR}, {__VA_ARGS__});                              \
      return &holder.desc;                                                                             \
    } catch (...) {                                                                                    \
      return nullptr; /* the host reports "entry returned no descriptor" */                           \
    }                                                                                                  \
  }
