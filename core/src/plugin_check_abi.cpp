// check-plugin, part 1: the descriptor as the C structs say it, before the
// registry sees it. Everything here is read through the ABI headers only.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "loom/error.hpp"
#include "loom/sdk/dtype.hpp"
#include "plugin_check_internal.hpp"
#include "plugin_library.hpp"

namespace loom::check {

namespace {

constexpr size_t kDescriptorV10Size = offsetof(loom_plugin_descriptor, num_tokenizers) + sizeof(uint32_t);
constexpr size_t kLayerFactoryMinSize = offsetof(loom_layer_factory, create) + sizeof(void*);

std::string str(const char* s) { return s ? s : ""; }

// Problems found in one piece of metadata: failures and warnings.
struct Findings {
  std::vector<std::string> fails, warns;
  void fail(std::string m) { fails.push_back(std::move(m)); }
  void warn(std::string m) { warns.push_back(std::move(m)); }
  void emit(RowSink& rows, const std::string& check, const std::string& ok_detail) const {
    if (!fails.empty())
      rows.add(check, "-", "-", CheckStatus::fail, fmt::format("{}", fmt::join(fails, "; ")));
    else if (!warns.empty())
      rows.add(check, "-", "-", CheckStatus::warn, fmt::format("{}", fmt::join(warns, "; ")));
    else
      rows.add(check, "-", "-", CheckStatus::ok, ok_detail);
  }
};

// Type names are what pipeline specs write: lower_snake_case keeps them plain.
bool is_identifier(const std::string& s, bool allow_dash) {
  if (s.empty() || !std::islower(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
          (allow_dash && (c == '-' || c == '.'))))
      return false;
  return true;
}

bool value_fits(int32_t type, const std::string& v, const std::string& choices) {
  char* end = nullptr;
  switch (type) {
    case LOOM_OPTION_INT: (void)std::strtoll(v.c_str(), &end, 10); return !v.empty() && *end == '\0';
    case LOOM_OPTION_FLOAT: (void)std::strtod(v.c_str(), &end); return !v.empty() && *end == '\0';
    case LOOM_OPTION_BOOL:
      return v == "true" || v == "false" || v == "1" || v == "0" || v == "yes" || v == "no" || v == "on" || v == "off";
    case LOOM_OPTION_ENUM: return ("|" + choices + "|").find("|" + v + "|") != std::string::npos;
    default: return true;
  }
}

void check_options(const loom_option_decl* decls, uint32_t n, Findings& f) {
  if (n && !decls) return f.fail(fmt::format("num_options is {} but options is NULL", n));
  std::set<std::string> seen;
  for (uint32_t i = 0; i < n; ++i) {
    const loom_option_decl& d = decls[i];
    std::string name = str(d.name);
    if (name.empty()) {
      f.fail(fmt::format("option {} has no name", i));
      continue;
    }
    if (!seen.insert(name).second) f.fail(fmt::format("option '{}' is declared twice", name));
    if (!is_identifier(name, false)) f.warn(fmt::format("option '{}' is not lower_snake_case", name));
    if (d.type < LOOM_OPTION_INT || d.type > LOOM_OPTION_PATH) {  // the last type this host knows
      f.fail(fmt::format("option '{}' has unknown type {}", name, d.type));
      continue;
    }
    if (d.type == LOOM_OPTION_ENUM && str(d.choices).empty()) f.fail(fmt::format("enum option '{}' has no choices", name));
    if (d.default_value && !value_fits(d.type, d.default_value, str(d.choices)))
      f.fail(fmt::format("option '{}': default '{}' is not a valid value of its type", name, d.default_value));
    if (str(d.description).empty()) f.warn(fmt::format("option '{}' has no description", name));
  }
}

std::vector<std::string> check_names(const char* const* names, uint32_t n, const char* what, Findings& f) {
  std::vector<std::string> out;
  if (n && !names) {
    f.fail(fmt::format("num_{} is {} but {} is NULL", what, n, what));
    return out;
  }
  if (n == 0) f.warn(fmt::format("declares no {}; the host assumes '{}'", what, what[0] == 'i' ? "input" : "output"));
  std::set<std::string> seen;
  for (uint32_t i = 0; i < n; ++i) {
    std::string name = str(names[i]);
    if (name.empty()) f.fail(fmt::format("{} {} has no name", what, i));
    else if (!seen.insert(name).second) f.fail(fmt::format("{} '{}' is declared twice", what, name));
    out.push_back(name);
  }
  return out;
}

void check_example_tensors(const loom_example_tensor* ts, uint32_t n, const char* what, size_t ex,
                           const std::vector<std::string>* allowed, Findings& f) {
  if (n && !ts) return f.fail(fmt::format("example #{}: num_{} is {} but {} is NULL", ex, what, n, what));
  for (uint32_t i = 0; i < n; ++i) {
    const loom_example_tensor& t = ts[i];
    std::string name = str(t.name);
    if (name.empty()) f.fail(fmt::format("example #{}: {} {} has no name", ex, what, i));
    if (allowed && !name.empty() && std::find(allowed->begin(), allowed->end(), name) == allowed->end())
      f.fail(fmt::format("example #{}: input '{}' is not a declared input ({})", ex, name, fmt::join(*allowed, ", ")));
    if (t.dtype < LOOM_DTYPE_F32 || t.dtype > LOOM_DTYPE_BOOL)
      f.fail(fmt::format("example #{}: '{}' has unknown dtype {}", ex, name, t.dtype));
    if (t.ndim < 0 || t.ndim > LOOM_MAX_DIMS) {
      f.fail(fmt::format("example #{}: '{}' has rank {}", ex, name, t.ndim));
      continue;
    }
    for (int32_t d = 0; d < t.ndim; ++d)
      if (t.shape[d] < 0) f.fail(fmt::format("example #{}: '{}' has a negative dim", ex, name));
    if (!(t.low <= t.high)) f.fail(fmt::format("example #{}: '{}' has low {} above high {}", ex, name, t.low, t.high));
  }
}

void check_examples(const loom_layer_factory& lf, const std::vector<std::string>& inputs, Findings& f) {
  if (!LOOM_HAS_FIELD(&lf, loom_layer_factory, num_examples) || lf.num_examples == 0) {
    f.warn("declares no examples, so check-plugin cannot run it (add LayerSpec::examples)");
    return;
  }
  if (!lf.examples) return f.fail(fmt::format("num_examples is {} but examples is NULL", lf.num_examples));
  std::set<std::string> declared;
  for (uint32_t i = 0; i < lf.num_options && lf.options; ++i) declared.insert(str(lf.options[i].name));
  bool runnable = false;
  for (uint32_t i = 0; i < lf.num_examples; ++i) {
    const loom_layer_example& e = lf.examples[i];
    const size_t ex = i + 1;
    if (e.struct_size < offsetof(loom_layer_example, expect_error) + sizeof(int32_t)) {
      f.fail(fmt::format("example #{}: struct_size {} is too small", ex, e.struct_size));
      continue;
    }
    if (e.num_options && !e.options) f.fail(fmt::format("example #{}: num_options is {} but options is NULL", ex, e.num_options));
    for (uint32_t k = 0; k < e.num_options && e.options; ++k)
      if (!declared.count(str(e.options[k].key)))
        f.fail(fmt::format("example #{}: option '{}' is not declared", ex, str(e.options[k].key)));
    check_example_tensors(e.weights, e.num_weights, "weights", ex, nullptr, f);
    check_example_tensors(e.inputs, e.num_inputs, "inputs", ex, &inputs, f);
    runnable = runnable || !e.expect_error;
  }
  if (!runnable) f.warn("every example expects an error: no example shows the layer working");
}

}  // namespace

bool check_descriptor(const std::filesystem::path& file, RowSink& rows, PluginCheckReport& report) {
  const std::string fname = file.filename().string();
  std::shared_ptr<PluginLibrary> lib;
  try {
    lib = PluginLibrary::load(file);
  } catch (const std::exception& e) {
    rows.add("abi", "-", "-", CheckStatus::fail, e.what());
    return false;
  }
  if (!lib->has_symbol(LOOM_PLUGIN_ENTRY_SYMBOL)) {
    rows.add("abi", "-", "-", CheckStatus::fail, "no exported loom_plugin_entry symbol (LOOM_PLUGIN missing, or hidden)");
    return false;
  }
  const loom_plugin_descriptor* d = nullptr;
  try {
    d = lib->symbol<const loom_plugin_descriptor*()>(LOOM_PLUGIN_ENTRY_SYMBOL)();
  } catch (...) {
    rows.add("abi", "-", "-", CheckStatus::fail, "loom_plugin_entry threw an exception");
    return false;
  }
  if (!d) {
    rows.add("abi", "-", "-", CheckStatus::fail, "loom_plugin_entry returned no descriptor");
    return false;
  }
  if (d->abi_major != LOOM_ABI_MAJOR) {
    rows.add("abi", "-", "-", CheckStatus::fail,
             fmt::format("plugin ABI {}.{} is incompatible with this host's ABI {}.{}", d->abi_major, d->abi_minor,
                         LOOM_ABI_MAJOR, LOOM_ABI_MINOR));
    return false;
  }
  if (d->struct_size < kDescriptorV10Size) {
    rows.add("abi", "-", "-", CheckStatus::fail,
             fmt::format("descriptor struct_size {} is smaller than ABI 1.0's {}", d->struct_size, kDescriptorV10Size));
    return false;
  }
  report.plugin = str(d->name);
  report.version = str(d->version);
  std::string abi = fmt::format("ABI {}.{} (host {}.{}), descriptor {} bytes", d->abi_major, d->abi_minor,
                                LOOM_ABI_MAJOR, LOOM_ABI_MINOR, d->struct_size);
  if (d->abi_minor > LOOM_ABI_MINOR)
    rows.add("abi", "-", "-", CheckStatus::warn, abi + "; built for a newer minor: fields this host does not know are ignored");
  else
    rows.add("abi", "-", "-", CheckStatus::ok, abi);

  Findings plugin;
  const std::string name = str(d->name);
  if (name.empty()) plugin.fail("the descriptor has no plugin name");
  else if (!is_identifier(name, true)) plugin.warn(fmt::format("plugin name '{}' is not lower-case letters, digits, '-', '_'", name));
  if (fname.rfind("libloom-", 0) != 0 || fname.size() < 12 || fname.compare(fname.size() - 3, 3, ".so") != 0)
    plugin.warn(fmt::format("file name '{}' is not libloom-NAME.so: Loom only loads such files from a folder", fname));
  else if (!name.empty() && fname != "libloom-" + name + ".so")
    plugin.warn(fmt::format("file '{}' holds plugin '{}' (libloom-{}.so would be clearer)", fname, name, name));
  if (str(d->version).empty()) plugin.warn("no version");
  if (str(d->vendor).empty()) plugin.warn("no vendor");
  if (d->num_backends && !d->backends) plugin.fail(fmt::format("num_backends is {} but backends is NULL", d->num_backends));
  if (d->num_layers && !d->layers) plugin.fail(fmt::format("num_layers is {} but layers is NULL", d->num_layers));
  if (d->num_tokenizers && !d->tokenizers)
    plugin.fail(fmt::format("num_tokenizers is {} but tokenizers is NULL", d->num_tokenizers));
  if (d->num_backends + d->num_layers + d->num_tokenizers == 0) plugin.fail("provides no factory at all");
  plugin.emit(rows, "metadata", fmt::format("{} {} by {}: {} backend(s), {} layer(s), {} tokenizer(s)", name,
                                            str(d->version), str(d->vendor), d->num_backends, d->num_layers,
                                            d->num_tokenizers));

  std::set<std::string> keys;  // (kind, type, backend) within this plugin
  for (uint32_t i = 0; i < d->num_backends && d->backends; ++i) {
    const loom_backend_factory* b = d->backends[i];
    Findings f;
    std::string label = fmt::format("metadata backend #{}", i + 1);
    if (!b) {
      f.fail("NULL factory pointer");
    } else if (b->struct_size < sizeof(loom_backend_factory)) {
      f.fail(fmt::format("struct_size {} is below ABI 1.0's {}", b->struct_size, sizeof(loom_backend_factory)));
    } else {
      std::string n = str(b->name);
      label = "metadata backend " + n;
      if (n.empty()) f.fail("no name");
      else if (!is_identifier(n, false)) f.warn(fmt::format("backend name '{}' is not lower_snake_case", n));
      if (n == LOOM_BACKEND_ANY) f.fail("'any' is reserved for layers written against the op set");
      if (!keys.insert("backend/" + n).second) f.fail(fmt::format("backend '{}' is declared twice", n));
      if (!b->available) f.fail("available() is NULL");
      if (!b->create) f.fail("create() is NULL");
      if (str(b->description).empty()) f.warn("no description");
      check_options(b->options, b->num_options, f);
    }
    f.emit(rows, label, "ok");
  }
  for (uint32_t i = 0; i < d->num_layers && d->layers; ++i) {
    const loom_layer_factory* l = d->layers[i];
    Findings f;
    std::string label = fmt::format("metadata layer #{}", i + 1);
    if (!l) {
      f.fail("NULL factory pointer");
    } else if (l->struct_size < kLayerFactoryMinSize) {
      f.fail(fmt::format("struct_size {} is below ABI 1.0's minimum {}", l->struct_size, kLayerFactoryMinSize));
    } else {
      std::string type = str(l->type), backend = str(l->backend);
      label = "metadata " + type + "@" + backend;
      if (type.empty()) f.fail("no type");
      else if (!is_identifier(type, false)) f.warn(fmt::format("type '{}' is not lower_snake_case", type));
      if (backend.empty()) f.fail("no backend (use \"any\" for a layer written against the op set)");
      if (!keys.insert("layer/" + type + "@" + backend).second)
        f.fail(fmt::format("{}@{} is declared twice in this plugin", type, backend));
      if (!l->create) f.fail("create() is NULL");
      if (str(l->description).empty()) f.warn("no description");
      check_options(l->options, l->num_options, f);
      std::vector<std::string> inputs = check_names(l->inputs, l->num_inputs, "inputs", f);
      check_names(l->outputs, l->num_outputs, "outputs", f);
      if (inputs.empty()) inputs = {"input"};
      check_examples(*l, inputs, f);
    }
    size_t examples = l && LOOM_HAS_FIELD(l, loom_layer_factory, num_examples) ? l->num_examples : 0;
    f.emit(rows, label, fmt::format("{} option(s), {} example(s)", l ? l->num_options : 0, examples));
  }
  for (uint32_t i = 0; i < d->num_tokenizers && d->tokenizers; ++i) {
    const loom_tokenizer_factory* t = d->tokenizers[i];
    Findings f;
    std::string label = fmt::format("metadata tokenizer #{}", i + 1);
    if (!t) {
      f.fail("NULL factory pointer");
    } else if (t->struct_size < sizeof(loom_tokenizer_factory)) {
      f.fail(fmt::format("struct_size {} is below ABI 1.0's {}", t->struct_size, sizeof(loom_tokenizer_factory)));
    } else {
      std::string type = str(t->type);
      label = "metadata tokenizer " + type;
      if (type.empty()) f.fail("no type");
      if (!keys.insert("tokenizer/" + type).second) f.fail(fmt::format("tokenizer '{}' is declared twice", type));
      if (!t->create) f.fail("create() is NULL");
      if (str(t->description).empty()) f.warn("no description");
      check_options(t->options, t->num_options, f);
    }
    f.emit(rows, label, "options ok (tokenizers are checked by their metadata only)");
  }
  return true;
}

}  // namespace loom::check
