// loom plugins: what was loaded from where, what each plugin provides, and
// which files were skipped and why.
#include <fmt/format.h>

#include "cli_common.hpp"

namespace loom::cli {

namespace {

std::string option_summary(const OptionInfo& o) {
  std::string s = o.name + ":" + o.type;
  if (o.type == "enum") s += "(" + o.choices + ")";
  s += o.required ? " (required)" : "=" + o.default_value;
  return s;
}

void print_factory(const FactoryInfo& f, const PluginManager& pm, bool verbose) {
  if (f.kind == "backend") {
    std::string why;
    Device d;
    bool ok = pm.backend_available(f.type, &why, &d);
    fmt::print("    backend    {:<28} priority {:>3}  {}\n", f.type, f.priority,
               ok ? "available on " + d.str() : "unavailable: " + why);
  } else if (f.kind == "layer") {
    fmt::print("    layer      {:<28} priority {:>3}  {}\n", f.type + "@" + f.backend, f.priority, f.description);
  } else {
    fmt::print("    tokenizer  {:<28} priority {:>3}  {}\n", f.type, f.priority, f.description);
  }
  if (verbose) {
    for (const auto& o : f.options) fmt::print("        option {}  {}\n", option_summary(o), o.description);
    if (f.kind == "layer")
      fmt::print("        inputs: {}  outputs: {}\n", fmt::join(f.inputs, ", "), fmt::join(f.outputs, ", "));
  }
}

std::string md(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

// One section per layer type (its best factory's declaration), sorted by type:
// the generated part of docs/pipelines.md.
void print_markdown(const PluginManager& pm) {
  for (const auto& type : pm.layer_types()) {
    auto factories = pm.layer_factories(type);
    if (factories.empty()) continue;
    const FactoryInfo& f = *factories.front();
    fmt::print("### `{}`\n\n{}\n\nPlugin `{}`. Inputs: {}. Outputs: {}.\n\n", type, md(f.description), f.plugin,
               fmt::format("`{}`", fmt::join(f.inputs, "`, `")), fmt::format("`{}`", fmt::join(f.outputs, "`, `")));
    if (f.options.empty()) {
      fmt::print("No options.\n\n");
      continue;
    }
    fmt::print("| option | type | default | description |\n|---|---|---|---|\n");
    for (const auto& o : f.options) {
      std::string t = o.type == "enum" ? "enum: " + o.choices : o.type;
      std::string def = o.required ? "required" : o.default_value.empty() ? "(empty)" : "`" + md(o.default_value) + "`";
      fmt::print("| `{}` | {} | {} | {} |\n", o.name, md(t), def, md(o.description));
    }
    fmt::print("\n");
  }
}

// For each layer type and backend, the factories create_layer tries, in order.
void print_resolution(const PluginManager& pm) {
  fmt::print("\nlayer resolution (in order; the first whose supports() accepts the options is used):\n");
  for (const auto& type : pm.layer_types())
    for (const auto& backend : pm.backend_names()) {
      std::vector<std::string> order;
      for (const FactoryInfo* f : pm.layer_candidates(type, backend))
        order.push_back(fmt::format("{} {}@{} (priority {})", f->plugin, f->type, f->backend, f->priority));
      if (!order.empty()) fmt::print("  {:<34} -> {}\n", type + " on " + backend, fmt::join(order, ", then "));
    }
}

}  // namespace

int cmd_plugins(const std::vector<std::string>& args) {
  GlobalOptions g;
  bool verbose = false;
  po::options_description desc("loom plugins");
  add_global_options(desc, g);
  bool markdown = false;
  desc.add_options()("verbose,v", po::bool_switch(&verbose), "also list every option, input and output")
      ("markdown", po::bool_switch(&markdown), "print every layer type's options as Markdown tables (docs/pipelines.md)");
  if (!parse(args, desc, {}, "loom plugins [--plugin-dir DIR] [--verbose | --markdown]")) return 0;

  PluginManager& pm = load_plugins(g);
  if (markdown) {
    print_markdown(pm);
    return pm.plugins().empty() ? 1 : 0;
  }
  fmt::print("plugin search path (in order):\n");
  for (const auto& dir : search_path(g)) fmt::print("  {}\n", dir.string());
  fmt::print("\nplugins ({}):\n", pm.plugins().size());
  for (const auto& p : pm.plugins()) {
    fmt::print("  {} {}  [ABI {}.{}]  vendor: {}\n    file: {}\n", p.name, p.version, p.abi_major, p.abi_minor,
               p.vendor, p.file.string());
    for (const auto& f : p.factories) print_factory(f, pm, verbose);
  }
  if (verbose) print_resolution(pm);
  if (!pm.skipped().empty()) {
    fmt::print("\nskipped ({}):\n", pm.skipped().size());
    for (const auto& s : pm.skipped()) fmt::print("  {}: {}\n", s.file.string(), s.reason);
  }
  if (pm.plugins().empty()) {
    fmt::print(stderr, "loom plugins: no plugin was found; set LOOM_PLUGIN_PATH or pass --plugin-dir\n");
    return 1;
  }
  return 0;
}

}  // namespace loom::cli
