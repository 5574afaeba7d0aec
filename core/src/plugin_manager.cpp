#include "loom/plugin_manager.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host_error.hpp"
#include "loom/log.hpp"
#include "loom/pipeline.hpp"
#include "plugin_library.hpp"

namespace loom {

struct PluginManager::Entry {
  std::shared_ptr<PluginLibrary> library;
  FactoryInfo info;
  const loom_backend_factory* backend = nullptr;
  const loom_layer_factory* layer = nullptr;
  const loom_tokenizer_factory* tokenizer = nullptr;
};

namespace {

const char* option_type_name(int32_t t) {
  switch (t) {
    case LOOM_OPTION_INT: return "int";
    case LOOM_OPTION_FLOAT: return "float";
    case LOOM_OPTION_BOOL: return "bool";
    case LOOM_OPTION_ENUM: return "enum";
    case LOOM_OPTION_PATH: return "path";
    default: return "string";
  }
}

std::string str(const char* s) { return s ? s : ""; }

std::string expected_phrase(const OptionInfo& o) {
  if (o.type == "int") return "an integer";
  if (o.type == "float") return "a number";
  if (o.type == "bool") return "true or false";
  if (o.type == "enum") return "one of " + o.choices;
  if (o.type == "path") return "a file path";
  return "a string";
}

std::vector<OptionInfo> read_options(const loom_option_decl* decls, uint32_t n) {
  std::vector<OptionInfo> out;
  for (uint32_t i = 0; i < n && decls; ++i) {
    const loom_option_decl& d = decls[i];
    if (!d.name) continue;
    out.push_back({d.name, option_type_name(d.type), str(d.default_value), str(d.choices), str(d.description),
                   d.default_value == nullptr});
  }
  return out;
}

std::vector<std::string> read_names(const char* const* names, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n && names; ++i) out.push_back(str(names[i]));
  return out;
}

// The minimal descriptor size of ABI 1.0: every field up to num_tokenizers.
constexpr size_t kDescriptorV10Size = offsetof(loom_plugin_descriptor, num_tokenizers) + sizeof(uint32_t);
// The smallest layer factory the host accepts: every field up to create().
// Later fields (examples, ...) are read only when struct_size covers them.
constexpr size_t kLayerFactoryMinSize = offsetof(loom_layer_factory, create) + sizeof(void*);
// The vtables of ABI 1.0: ops and callbacks appended later are optional.
constexpr size_t kBackendVtableMinSize = offsetof(loom_backend_vtable, rnn_forward) + sizeof(void*);
constexpr size_t kLayerVtableMinSize = offsetof(loom_layer_vtable, forward) + sizeof(void*);

ExampleTensor read_example_tensor(const loom_example_tensor& t) {
  ExampleTensor out;
  out.name = str(t.name);
  out.dtype = t.dtype;
  for (int32_t d = 0; d < t.ndim && d < LOOM_MAX_DIMS; ++d) out.shape.push_back(t.shape[d]);
  out.low = t.low;
  out.high = t.high;
  return out;
}

std::vector<LayerExample> read_examples(const loom_layer_factory& f) {
  std::vector<LayerExample> out;
  if (!LOOM_HAS_FIELD(&f, loom_layer_factory, num_examples) || !f.examples) return out;
  for (uint32_t i = 0; i < f.num_examples; ++i) {
    const loom_layer_example& e = f.examples[i];
    LayerExample x;
    x.description = str(e.description);
    for (uint32_t k = 0; k < e.num_options && e.options; ++k)
      if (e.options[k].key) x.options[e.options[k].key] = str(e.options[k].value);
    for (uint32_t k = 0; k < e.num_weights && e.weights; ++k) x.weights.push_back(read_example_tensor(e.weights[k]));
    for (uint32_t k = 0; k < e.num_inputs && e.inputs; ++k) x.inputs.push_back(read_example_tensor(e.inputs[k]));
    x.want_attention = e.want_attention != 0;
    x.expect_error = e.expect_error != 0;
    out.push_back(std::move(x));
  }
  return out;
}

bool is_plugin_file_name(const std::string& name) {
  return name.rfind("libloom-", 0) == 0 && name.size() > 11 && name.compare(name.size() - 3, 3, ".so") == 0;
}

}  // namespace

PluginManager::PluginManager() = default;
PluginManager::~PluginManager() = default;

void PluginManager::skip(const std::filesystem::path& file, const std::string& reason) {
  log_warn("skipping plugin {}: {}", file.string(), reason);
  skipped_.push_back({file, reason});
}

size_t PluginManager::load_search_path(const std::vector<std::filesystem::path>& dirs) {
  size_t loaded = 0;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (is_plugin_file_name(e.path().filename().string())) files.push_back(e.path());
    std::sort(files.begin(), files.end());  // deterministic order
    for (const auto& f : files) loaded += load_file(f) ? 1 : 0;
  }
  return loaded;
}

bool PluginManager::load_file(const std::filesystem::path& file) {
  std::shared_ptr<PluginLibrary> lib;
  try {
    lib = PluginLibrary::load(file);
  } catch (const std::exception& e) {
    skip(file, e.what());
    return false;
  }
  if (!lib->has_symbol(LOOM_PLUGIN_ENTRY_SYMBOL)) {
    skip(file, "no loom_plugin_entry symbol (not a Loom plugin, or built without LOOM_PLUGIN)");
    return false;
  }
  const loom_plugin_descriptor* desc = nullptr;
  try {
    desc = lib->symbol<const loom_plugin_descriptor*()>(LOOM_PLUGIN_ENTRY_SYMBOL)();
  } catch (...) {
    skip(file, "loom_plugin_entry threw an exception");
    return false;
  }
  if (!desc) {
    skip(file, "loom_plugin_entry returned no descriptor");
    return false;
  }
  // abi_major sits at the same offset in every ABI version: check it first.
  if (desc->abi_major != LOOM_ABI_MAJOR) {
    skip(file, fmt::format("plugin ABI {}.{} is incompatible with this host's ABI {}.{} (major versions differ)",
                           desc->abi_major, desc->abi_minor, LOOM_ABI_MAJOR, LOOM_ABI_MINOR));
    return false;
  }
  if (desc->struct_size < kDescriptorV10Size) {
    skip(file, fmt::format("descriptor struct_size {} is smaller than ABI 1.0's {}", desc->struct_size,
                           kDescriptorV10Size));
    return false;
  }
  if (!desc->name || !*desc->name) {
    skip(file, "descriptor has no plugin name");
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& p : plugins_)
    if (p.name == desc->name) {
      skip(file, fmt::format("plugin '{}' is already loaded from {}", desc->name, p.file.string()));
      return false;
    }
  if (desc->init) {
    loom_error err;
    loom_status s = LOOM_ERR_INTERNAL;
    try {
      s = desc->init(host_api(), &err);
    } catch (...) {
      err.message = "init threw an exception";
    }
    if (s != LOOM_OK) {
      skip(file, "init failed: " + (err.message.empty() ? fmt::format("status {}", static_cast<int>(s)) : err.message));
      return false;
    }
  }
  lib->set_descriptor(desc);
  register_plugin(std::move(lib), desc, file);
  return true;
}

void PluginManager::register_plugin(std::shared_ptr<PluginLibrary> lib, const loom_plugin_descriptor* desc,
                                    const std::filesystem::path& file) {
  PluginInfo info;
  info.file = file;
  info.name = desc->name;
  info.version = str(desc->version);
  info.vendor = str(desc->vendor);
  info.build_info = str(desc->build_info);
  info.abi_major = desc->abi_major;
  info.abi_minor = desc->abi_minor;

  auto add = [&](std::unique_ptr<Entry> e) {
    // Same (kind, type, backend) from another plugin: resolved by priority, then plugin name.
    for (const auto& other : entries_)
      if (other->info.kind == e->info.kind && other->info.type == e->info.type &&
          other->info.backend == e->info.backend) {
        bool other_wins = other->info.priority > e->info.priority ||
                          (other->info.priority == e->info.priority && other->info.plugin < e->info.plugin);
        const Entry& win = other_wins ? *other : *e;
        log_warn("{} '{}'@{} is provided by plugins '{}' (priority {}) and '{}' (priority {}); using '{}'",
                 e->info.kind, e->info.type, e->info.backend.empty() ? "-" : e->info.backend, other->info.plugin,
                 other->info.priority, e->info.plugin, e->info.priority, win.info.plugin);
      }
    info.factories.push_back(e->info);
    entries_.push_back(std::move(e));
  };

  for (uint32_t i = 0; i < desc->num_backends && desc->backends; ++i) {
    const loom_backend_factory* f = desc->backends[i];
    if (!f || f->struct_size < sizeof(loom_backend_factory) || !f->name || !f->create || !f->available) {
      log_warn("plugin {}: backend factory {} is malformed; ignored", file.string(), i);
      continue;
    }
    auto e = std::make_unique<Entry>();
    e->library = lib;
    e->backend = f;
    e->info = {"backend", f->name, "", f->priority, str(f->description), read_options(f->options, f->num_options),
               {}, {}, info.name};
    add(std::move(e));
  }
  for (uint32_t i = 0; i < desc->num_layers && desc->layers; ++i) {
    const loom_layer_factory* f = desc->layers[i];
    if (!f || f->struct_size < kLayerFactoryMinSize || !f->type || !f->backend || !f->create) {
      log_warn("plugin {}: layer factory {} is malformed; ignored", file.string(), i);
      continue;
    }
    auto e = std::make_unique<Entry>();
    e->library = lib;
    e->layer = f;
    e->info = {"layer", f->type, f->backend, f->priority, str(f->description), read_options(f->options, f->num_options),
               read_names(f->inputs, f->num_inputs), read_names(f->outputs, f->num_outputs), info.name};
    if (e->info.inputs.empty()) e->info.inputs = {"input"};
    if (e->info.outputs.empty()) e->info.outputs = {"output"};
    e->info.examples = read_examples(*f);
    add(std::move(e));
  }
  for (uint32_t i = 0; i < desc->num_tokenizers && desc->tokenizers; ++i) {
    const loom_tokenizer_factory* f = desc->tokenizers[i];
    if (!f || f->struct_size < sizeof(loom_tokenizer_factory) || !f->type || !f->create) {
      log_warn("plugin {}: tokenizer factory {} is malformed; ignored", file.string(), i);
      continue;
    }
    auto e = std::make_unique<Entry>();
    e->library = lib;
    e->tokenizer = f;
    e->info = {"tokenizer", f->type, "", f->priority, str(f->description), read_options(f->options, f->num_options),
               {}, {}, info.name};
    add(std::move(e));
  }
  plugins_.push_back(std::move(info));
}

std::vector<std::string> PluginManager::backend_names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<std::string> names;
  for (const auto& e : entries_)
    if (e->backend) names.insert(e->info.type);
  return {names.begin(), names.end()};
}

std::vector<std::string> PluginManager::layer_types() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<std::string> names;
  for (const auto& e : entries_)
    if (e->layer) names.insert(e->info.type);
  return {names.begin(), names.end()};
}

namespace {
// Best first: priority, then a backend-specific factory before "any", then plugin name.
bool better(const FactoryInfo& a, const FactoryInfo& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  bool a_any = a.backend == LOOM_BACKEND_ANY, b_any = b.backend == LOOM_BACKEND_ANY;
  if (a_any != b_any) return !a_any;
  return a.plugin < b.plugin;
}
}  // namespace

const FactoryInfo* PluginManager::find_backend_info(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Entry* best = nullptr;
  for (const auto& e : entries_)
    if (e->backend && e->info.type == name && (!best || better(e->info, best->info))) best = e.get();
  return best ? &best->info : nullptr;
}

std::vector<const FactoryInfo*> PluginManager::layer_factories(const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<const FactoryInfo*> out;
  for (const auto& e : entries_)
    if (e->layer && e->info.type == type) out.push_back(&e->info);
  std::sort(out.begin(), out.end(), [](const FactoryInfo* a, const FactoryInfo* b) { return better(*a, *b); });
  return out;
}

std::vector<const FactoryInfo*> PluginManager::layer_candidates(const std::string& type,
                                                                const std::string& backend) const {
  std::vector<const FactoryInfo*> out;
  for (const FactoryInfo* f : layer_factories(type))
    if (f->backend == LOOM_BACKEND_ANY || f->backend == backend) out.push_back(f);
  return out;
}

bool PluginManager::backend_available(const std::string& name, std::string* why, Device* device) const {
  const Entry* best = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (e->backend && e->info.type == name && (!best || better(e->info, best->info))) best = e.get();
  }
  if (!best) {
    if (why) *why = "no plugin provides it";
    return false;
  }
  loom_error err;
  loom_device d{LOOM_DEVICE_CPU, 0};
  loom_status s = LOOM_ERR_INTERNAL;
  try {
    s = best->backend->available(&d, &err);
  } catch (...) {
    err.message = "capability query threw an exception";
  }
  if (s != LOOM_OK) {
    if (why) *why = err.message.empty() ? "not available" : err.message;
    return false;
  }
  if (device) *device = Device{static_cast<loom_device_type>(d.type), d.index};
  return true;
}

OptionMap PluginManager::resolve_options(const FactoryInfo& factory, const OptionMap& options, const std::string& where) {
  std::vector<std::string> valid;
  for (const auto& o : factory.options) valid.push_back(o.name);
  for (const auto& option : options) {
    const std::string& key = option.first;
    const std::string& value = option.second;
    auto it = std::find_if(factory.options.begin(), factory.options.end(), [&](const OptionInfo& o) { return o.name == key; });
    if (it == factory.options.end()) {
      std::string hint = did_you_mean(key, valid);
      throw InvalidArgument(fmt::format("{}: unknown option '{}'{}; valid options: {}", where, key,
                                        hint.empty() ? "" : "; did you mean '" + hint + "'?",
                                        valid.empty() ? "(none)" : fmt::format("{}", fmt::join(valid, ", "))));
    }
    const std::string& t = it->type;
    char* end = nullptr;
    bool ok = true;
    if (t == "int") {
      (void)std::strtoll(value.c_str(), &end, 10);
      ok = !value.empty() && *end == '\0';
    } else if (t == "float") {
      (void)std::strtod(value.c_str(), &end);
      ok = !value.empty() && *end == '\0';
    } else if (t == "bool") {
      ok = value == "true" || value == "false" || value == "1" || value == "0" || value == "yes" || value == "no" ||
           value == "on" || value == "off";
    } else if (t == "enum") {
      std::string choices = "|" + it->choices + "|";
      ok = choices.find("|" + value + "|") != std::string::npos;
    }
    if (!ok)
      throw InvalidArgument(fmt::format("{}: option '{}' must be {}, got '{}'", where, key, expected_phrase(*it), value));
  }
  OptionMap out = options;
  for (const auto& o : factory.options) {
    if (out.count(o.name)) continue;
    if (o.required)
      throw InvalidArgument(fmt::format("{}: missing required option '{}' ({}{})", where, o.name, o.type,
                                        o.description.empty() ? "" : ": " + o.description));
    out[o.name] = o.default_value;
  }
  return out;
}

void PluginManager::resolve_paths(const FactoryInfo& factory, OptionMap& options, const std::filesystem::path& base_dir) {
  if (base_dir.empty()) return;
  for (const auto& o : factory.options) {
    if (o.type != "path") continue;
    auto it = options.find(o.name);
    if (it == options.end() || it->second.empty()) continue;
    std::filesystem::path p(it->second);
    if (p.is_relative()) it->second = (base_dir / p).lexically_normal().string();
  }
}

std::vector<std::string> PluginManager::tokenizer_types() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<std::string> names;
  for (const auto& e : entries_)
    if (e->tokenizer) names.insert(e->info.type);
  return {names.begin(), names.end()};
}

std::optional<PluginManager::TokenizerFactory> PluginManager::find_tokenizer(const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Entry* best = nullptr;
  for (const auto& e : entries_)
    if (e->tokenizer && e->info.type == type && (!best || better(e->info, best->info))) best = e.get();
  if (!best) return std::nullopt;
  return TokenizerFactory{best->library, best->tokenizer, best->info};
}

namespace {
struct OptionArray {
  std::vector<loom_option> items;
  explicit OptionArray(const OptionMap& m) {
    for (const auto& [k, v] : m) items.push_back({sizeof(loom_option), k.c_str(), v.c_str()});
  }
};
}  // namespace

std::shared_ptr<Backend> PluginManager::create_backend(const std::string& requested, const OptionMap& options) {
  std::string name = requested;
  if (name == "auto") {
    // The available backend with the highest priority (GPU backends rank above CPU ones).
    const Entry* best = nullptr;
    std::vector<const Entry*> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& e : entries_)
        if (e->backend) all.push_back(e.get());
    }
    for (const Entry* e : all)
      if (backend_available(e->info.type) && (!best || better(e->info, best->info))) best = e;
    if (!best) throw NotFound("--backend auto: no backend is available (no backend plugin loaded)");
    name = best->info.type;
    log_info("backend auto: using '{}'", name);
  }
  const Entry* entry = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (e->backend && e->info.type == name && (!entry || better(e->info, entry->info))) entry = e.get();
  }
  if (!entry) {
    auto names = backend_names();
    throw NotFound(fmt::format("unknown backend '{}'; available: {}", name,
                               names.empty() ? "(none: no backend plugin was loaded)" : fmt::format("{}", fmt::join(names, ", "))));
  }
  std::string why;
  if (!backend_available(name, &why)) throw Unsupported(fmt::format("backend '{}' cannot run here: {}", name, why));
  OptionMap resolved = resolve_options(entry->info, options, fmt::format("backend '{}'", name));
  OptionArray opts(resolved);
  loom_error err;
  loom_backend* handle = nullptr;
  const loom_backend_vtable* vt = nullptr;
  loom_status s = entry->backend->create(opts.items.data(), static_cast<uint32_t>(opts.items.size()), &handle, &vt, &err);
  if (s != LOOM_OK) raise_plugin_error(fmt::format("backend '{}'", name), s, err);
  if (!handle || !vt || vt->struct_size < kBackendVtableMinSize)
    throw PluginError(fmt::format("backend '{}' (plugin '{}') returned an incomplete vtable", name, entry->info.plugin));
  return std::make_shared<Backend>(entry->library, name, handle, vt);
}

namespace {
// Serves a layer's weights during create(): applies the prefix, keeps the
// host tensors alive, and names file and tensor when one is missing.
struct WeightsContext {
  const WeightSource* source;
  std::string prefix;
  std::vector<Tensor> keep;

  static int32_t has(void* ctx, const char* name) {
    auto* self = static_cast<WeightsContext*>(ctx);
    return self->source && self->source->find(self->prefix + name) ? 1 : 0;
  }
  static loom_status get(void* ctx, const char* name, loom_tensor_view* out, loom_error* err) {
    auto* self = static_cast<WeightsContext*>(ctx);
    std::string full = self->prefix + name;
    try {
      std::optional<Tensor> t = self->source ? self->source->find(full) : std::nullopt;
      if (!t) {
        host_api()->set_error(err, LOOM_ERR_NOT_FOUND,
                              fmt::format("missing weight '{}' in {}", full,
                                          self->source ? self->source->describe() : "(no weights given)")
                                  .c_str());
        return LOOM_ERR_NOT_FOUND;
      }
      self->keep.push_back(*t);
      *out = t->view();
      return LOOM_OK;
    } catch (const std::exception& e) {
      host_api()->set_error(err, LOOM_ERR_INVALID_ARGUMENT, fmt::format("weight '{}': {}", full, e.what()).c_str());
      return LOOM_ERR_INVALID_ARGUMENT;
    }
  }
};
}  // namespace

std::unique_ptr<Layer> PluginManager::make_layer(const Entry& e, const std::shared_ptr<Backend>& backend,
                                                 const OptionMap& resolved, const WeightSource* weights,
                                                 const std::string& display, const std::string& prefix,
                                                 const std::string& where, std::string& refusal) {
  const std::string& type = e.info.type;
  OptionArray opts(resolved);
  auto n = static_cast<uint32_t>(opts.items.size());
  loom_error reason;
  loom_status s = e.layer->supports ? e.layer->supports(opts.items.data(), n, backend->info(), &reason) : LOOM_OK;
  if (s == LOOM_ERR_UNSUPPORTED) {
    refusal = fmt::format("{}@{} from '{}': {}", type, e.info.backend, e.info.plugin, reason.message);
    return nullptr;
  }
  if (s != LOOM_OK) raise_plugin_error(where + ": supports()", s, reason);

  WeightsContext wctx{weights, prefix, {}};
  loom_layer_create_args args{};
  args.struct_size = sizeof(args);
  args.name = display.c_str();
  args.runtime = backend->runtime();
  args.options = opts.items.data();
  args.num_options = n;
  args.weights_ctx = &wctx;
  args.get_weight = &WeightsContext::get;
  args.has_weight = &WeightsContext::has;
  loom_error err;
  loom_layer* handle = nullptr;
  const loom_layer_vtable* vt = nullptr;
  s = e.layer->create(&args, &handle, &vt, &err);
  // Weight names in plugin messages are relative to the prefix: say where they sit.
  if (s != LOOM_OK) raise_plugin_error(prefix.empty() ? where : fmt::format("{} [weights under '{}']", where, prefix), s, err);
  if (!handle || !vt || vt->struct_size < kLayerVtableMinSize || !vt->forward || !vt->destroy)
    throw PluginError(fmt::format("{}: plugin '{}' returned an incomplete layer", where, e.info.plugin));
  log_debug("{}: {}@{} from plugin '{}' on backend '{}'", where, type, e.info.backend, e.info.plugin, backend->name());
  return std::make_unique<Layer>(e.library, backend, display, type, handle, vt, e.info.inputs, e.info.outputs);
}

std::unique_ptr<Layer> PluginManager::create_layer(const std::string& type, const std::shared_ptr<Backend>& backend,
                                                   const OptionMap& options, const WeightSource* weights,
                                                   const std::string& name, const std::string& prefix) {
  std::string display = name.empty() ? type : name;
  std::string where = fmt::format("layer '{}' ({})", display, type);
  std::vector<const Entry*> candidates;
  bool type_known = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_) {
      if (!e->layer || e->info.type != type) continue;
      type_known = true;
      if (e->info.backend == LOOM_BACKEND_ANY || e->info.backend == backend->name()) candidates.push_back(e.get());
    }
  }
  if (!type_known) {
    auto types = layer_types();
    std::string hint = did_you_mean(type, types);
    throw NotFound(fmt::format("{}: unknown layer type '{}'{}; known types: {}", where, type,
                               hint.empty() ? "" : "; did you mean '" + hint + "'?", fmt::join(types, ", ")));
  }
  if (candidates.empty())
    throw Unsupported(fmt::format("{}: no implementation for backend '{}'", where, backend->name()));
  std::sort(candidates.begin(), candidates.end(), [](const Entry* a, const Entry* b) { return better(a->info, b->info); });

  std::vector<std::string> refusals;
  std::optional<InvalidArgument> option_error;
  for (const Entry* e : candidates) {
    OptionMap resolved;
    try {
      resolved = resolve_options(e->info, options, where);
    } catch (const InvalidArgument& err) {
      if (!option_error) option_error = err;
      continue;
    }
    std::string refusal;
    if (auto layer = make_layer(*e, backend, resolved, weights, display, prefix, where, refusal)) return layer;
    refusals.push_back(refusal);
  }
  if (option_error && refusals.empty()) throw *option_error;
  throw Unsupported(fmt::format("{}: not supported on backend '{}': {}", where, backend->name(), fmt::join(refusals, "; ")));
}

std::unique_ptr<Layer> PluginManager::create_layer_from(const FactoryInfo& factory,
                                                        const std::shared_ptr<Backend>& backend,
                                                        const OptionMap& options, const WeightSource* weights,
                                                        const std::string& name, const std::string& prefix) {
  const Entry* entry = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (&e->info == &factory) entry = e.get();
  }
  if (!entry || !entry->layer) throw InvalidArgument("create_layer_from: not a layer factory of this plugin manager");
  std::string display = name.empty() ? factory.type : name;
  std::string where = fmt::format("layer '{}' ({}@{} from '{}')", display, factory.type, factory.backend, factory.plugin);
  if (factory.backend != LOOM_BACKEND_ANY && factory.backend != backend->name())
    throw Unsupported(fmt::format("{}: serves backend '{}', not '{}'", where, factory.backend, backend->name()));
  OptionMap resolved = resolve_options(factory, options, where);
  std::string refusal;
  if (auto layer = make_layer(*entry, backend, resolved, weights, display, prefix, where, refusal)) return layer;
  throw Unsupported(fmt::format("{}: not supported on backend '{}': {}", where, backend->name(), refusal));
}

}  // namespace loom
