// Loads plugins (Boost.DLL), keeps their factories in a registry keyed by
// (kind, type, backend), and makes backends and layers from them.
#pragma once

#include "loom/export.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loom/abi/plugin.h"
#include "loom/backend.hpp"
#include "loom/layer.hpp"

namespace loom {

class PluginLibrary;  // a loaded .so; never unloaded at exit

struct OptionInfo {
  std::string name, type, default_value, choices, description;
  bool required = false;
};

// A tensor of a layer example (loom_example_tensor): random values of this
// dtype (a loom_dtype, as declared) and shape, in [low, high].
struct ExampleTensor {
  std::string name;
  int32_t dtype = LOOM_DTYPE_F32;
  Shape shape;
  double low = -1.0, high = 1.0;
};

// A layer factory's declared sample use (loom_layer_example), run by check-plugin.
struct LayerExample {
  std::string description;
  OptionMap options;
  std::vector<ExampleTensor> weights, inputs;
  bool want_attention = false;
  bool expect_error = false;  // the inputs are invalid on purpose: forward must fail
};

struct FactoryInfo {
  std::string kind;     // "backend", "layer", "tokenizer"
  std::string type;     // layer/tokenizer type, or backend name
  std::string backend;  // layers: "any" or a backend name
  int priority = 0;
  std::string description;
  std::vector<OptionInfo> options;
  std::vector<std::string> inputs, outputs;
  std::string plugin;  // the plugin that provides it
  std::vector<LayerExample> examples;  // layers: declared sample uses
};

struct PluginInfo {
  std::filesystem::path file;
  std::string name, version, vendor, build_info;
  int abi_major = 0, abi_minor = 0;
  std::vector<FactoryInfo> factories;
};

struct SkippedPlugin {
  std::filesystem::path file;
  std::string reason;
};

class LOOM_API PluginManager {
 public:
  PluginManager();
  ~PluginManager();

  // --plugin-dir entries, then LOOM_PLUGIN_PATH (':'-separated), then the
  // install-relative plugin folder compiled into the core.
  static std::vector<std::filesystem::path> search_path(const std::vector<std::filesystem::path>& plugin_dirs = {});

  // Loads every libloom-*.so in each folder (sorted by name). Broken files are
  // skipped with one warning; returns the number loaded.
  size_t load_search_path(const std::vector<std::filesystem::path>& dirs);
  // Loads one file; false (with a warning and a SkippedPlugin) when it cannot.
  bool load_file(const std::filesystem::path& file);

  const std::vector<PluginInfo>& plugins() const { return plugins_; }
  const std::vector<SkippedPlugin>& skipped() const { return skipped_; }

  std::vector<std::string> backend_names() const;
  std::vector<std::string> layer_types() const;
  const FactoryInfo* find_backend_info(const std::string& name) const;
  // The layer factories of a type, best first, for any backend.
  std::vector<const FactoryInfo*> layer_factories(const std::string& type) const;
  // The factories create_layer tries for `type` on `backend` (its own and
  // "any" ones), in order; the first whose supports() accepts the options wins.
  std::vector<const FactoryInfo*> layer_candidates(const std::string& type, const std::string& backend) const;

  // Makes a backend; "auto" picks the available backend with the highest
  // priority (a GPU when present). Throws NotFound/Unsupported with the reason.
  std::shared_ptr<Backend> create_backend(const std::string& name, const OptionMap& options = {});
  // Whether a backend can run here, and why not.
  bool backend_available(const std::string& name, std::string* why = nullptr, Device* device = nullptr) const;

  // Makes a layer of `type` on `backend`: validates options against the
  // declaration (unknown ones named with the valid ones), fills defaults, asks
  // each candidate factory's supports() in order and uses the first that says yes.
  std::unique_ptr<Layer> create_layer(const std::string& type, const std::shared_ptr<Backend>& backend,
                                      const OptionMap& options, const WeightSource* weights,
                                      const std::string& name = "", const std::string& prefix = "");

  // Makes a layer from one given factory (an entry of layer_factories()),
  // without resolution: for check-plugin. Throws Unsupported when the factory
  // does not serve this backend or its supports() declines.
  std::unique_ptr<Layer> create_layer_from(const FactoryInfo& factory, const std::shared_ptr<Backend>& backend,
                                           const OptionMap& options, const WeightSource* weights,
                                           const std::string& name = "", const std::string& prefix = "");

  // Validates and completes options against a declaration (exposed for `loom validate`).
  static OptionMap resolve_options(const FactoryInfo& factory, const OptionMap& options, const std::string& where);
  // Makes relative LOOM_OPTION_PATH values ("path" options) relative to base_dir
  // (a spec's folder); absolute ones and an empty base_dir leave them as written.
  static void resolve_paths(const FactoryInfo& factory, OptionMap& options, const std::filesystem::path& base_dir);

  std::vector<std::string> tokenizer_types() const;
  // The tokenizer factory of a type (highest priority, then plugin name) and
  // the library it lives in; nullopt when no plugin provides the type.
  // loom::Tokenizer (tokenizer.hpp) is the way to use it.
  struct TokenizerFactory {
    std::shared_ptr<PluginLibrary> library;
    const loom_tokenizer_factory* factory = nullptr;
    FactoryInfo info;
  };
  std::optional<TokenizerFactory> find_tokenizer(const std::string& type) const;

 private:
  struct Entry;
  void register_plugin(std::shared_ptr<PluginLibrary> lib, const loom_plugin_descriptor* desc,
                       const std::filesystem::path& file);
  void skip(const std::filesystem::path& file, const std::string& reason);
  // One factory's attempt: nullptr (and `refusal`) when its supports() declines.
  std::unique_ptr<Layer> make_layer(const Entry& e, const std::shared_ptr<Backend>& backend, const OptionMap& resolved,
                                    const WeightSource* weights, const std::string& display, const std::string& prefix,
                                    const std::string& where, std::string& refusal);

  mutable std::mutex mutex_;
  std::vector<PluginInfo> plugins_;
  std::vector<SkippedPlugin> skipped_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// The host API handed to every plugin's init().
LOOM_API const loom_host_api* host_api();

}  // namespace loom
