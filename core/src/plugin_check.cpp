// check-plugin: the order of the checks. The descriptor first (on its own),
// then the registry with the checked file loaded before the search path, the
// backends made once, and each factory of the plugin in turn.
#include "loom/plugin_check.hpp"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "loom/error.hpp"
#include "plugin_check_internal.hpp"

namespace loom {

const char* check_status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok: return "ok";
    case CheckStatus::warn: return "WARN";
    case CheckStatus::fail: return "FAIL";
    default: return "skip";
  }
}

size_t PluginCheckReport::count(CheckStatus s) const {
  return static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [&](const CheckRow& r) { return r.status == s; }));
}

bool PluginCheckReport::passed(bool strict) const {
  return count(CheckStatus::fail) == 0 && (!strict || count(CheckStatus::warn) == 0);
}

namespace check {
namespace {

namespace fs = std::filesystem;

bool is_plugin_file(const fs::path& p) {
  const std::string n = p.filename().string();
  return n.rfind("libloom-", 0) == 0 && n.size() > 11 && n.compare(n.size() - 3, 3, ".so") == 0;
}

// The search path as the CLI loads it, minus the checked file itself.
void load_others(PluginManager& pm, const fs::path& self, const std::vector<fs::path>& plugin_dirs) {
  std::error_code ec;
  const fs::path me = fs::weakly_canonical(self, ec);
  for (const fs::path& dir : PluginManager::search_path(plugin_dirs)) {
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (is_plugin_file(entry.path()) && fs::weakly_canonical(entry.path(), ec) != me) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) pm.load_file(f);
  }
}

// Memory through the backend: an upload/download round trip and a fill.
void check_backend_memory(Context& c, Backend& b) {
  try {
    Tensor host = example_tensor({"memory", LOOM_DTYPE_F32, {1000}, -1.0, 1.0}, c.options.seed);
    TensorMap back = host_copies(b, {{"x", b.upload(host)}});
    Comparison round_trip = compare_outputs(back, {{"x", host}}, 0, 0);
    if (!round_trip.ok) return c.rows.add("memory", b.name(), "-", CheckStatus::fail, "upload/download: " + round_trip.problem);
    Tensor filled = b.empty(DType::f32, {777});
    b.fill(0.25f, filled);
    Tensor quarter = Tensor::host(DType::f32, {777});
    std::fill(quarter.data_as<float>(), quarter.data_as<float>() + 777, 0.25f);
    Comparison fill = compare_outputs(host_copies(b, {{"x", filled}}), {{"x", quarter}}, 0, 0);
    if (!fill.ok) return c.rows.add("memory", b.name(), "-", CheckStatus::fail, "fill: " + fill.problem);
    b.synchronize();
    c.rows.add("memory", b.name(), "-", CheckStatus::ok, "upload/download round trip and fill agree");
  } catch (const std::exception& e) {
    c.rows.add("memory", b.name(), "-", CheckStatus::fail, e.what());
  }
}

// Makes every backend once: the ones to run on, and the reference for answers.
void make_backends(Context& c, const PluginInfo& self) {
  const auto& wanted = c.options.backends;
  auto is_ours = [&](const std::string& name) {
    return std::any_of(self.factories.begin(), self.factories.end(),
                       [&](const FactoryInfo& f) { return f.kind == "backend" && f.type == name; });
  };
  for (const std::string& w : wanted)
    if (!c.pm.find_backend_info(w)) c.rows.add("backend " + w, w, "-", CheckStatus::fail, "no loaded plugin provides this backend");
  for (const std::string& name : c.pm.backend_names()) {
    const bool run = wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
    if (!run && name != "reference") continue;
    std::string why;
    Device device;
    if (!c.pm.backend_available(name, &why, &device)) {
      c.rows.add("backend " + name, name, "-", CheckStatus::skip, "unavailable here: " + why);
      continue;
    }
    try {
      c.backends[name] = c.pm.create_backend(name);
    } catch (const std::exception& e) {
      c.rows.add("backend " + name, name, "-", is_ours(name) ? CheckStatus::fail : CheckStatus::warn, e.what());
      continue;
    }
    if (run) c.run_on.push_back(name);
    if (is_ours(name))
      c.rows.add("backend " + name, name, "-", CheckStatus::ok, "available on " + device.str() + ", made with its default options");
  }
  if (c.run_on.empty())
    c.rows.add("backends", "-", "-", CheckStatus::fail,
               "no backend to run on (is the reference backend in the search path? see --plugin-dir)");
}

}  // namespace
}  // namespace check

PluginCheckReport check_plugin(const std::filesystem::path& file, const PluginCheckOptions& options,
                               const std::function<void(const CheckRow&)>& on_row) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw NotFound(fmt::format("{}: no such plugin file", file.string()));
  PluginCheckReport report;
  report.file = std::filesystem::absolute(file).lexically_normal();
  check::RowSink rows(report, on_row);
  if (!check::check_descriptor(report.file, rows, report)) return report;

  PluginManager pm;
  if (!pm.load_file(report.file)) {
    rows.add("load", "-", "-", CheckStatus::fail, pm.skipped().empty() ? "not loaded" : pm.skipped().back().reason);
    return report;
  }
  check::load_others(pm, report.file, options.plugin_dirs);
  const PluginInfo* self = nullptr;
  for (const auto& p : pm.plugins())
    if (p.file == report.file) self = &p;
  if (!self) throw Error("check-plugin: the checked plugin is missing from the registry");
  rows.add("load", "-", "-", CheckStatus::ok,
           fmt::format("init ok, {} factories registered; {} other plugin(s) from the search path", self->factories.size(),
                       pm.plugins().size() - 1));

  check::Context c{options, rows, pm, self->name, {}, {}, {}};
  check::make_backends(c, *self);
  for (const FactoryInfo& f : self->factories) {
    if (f.kind != "backend") continue;
    auto b = c.backend(f.type);
    if (!b || std::find(c.run_on.begin(), c.run_on.end(), f.type) == c.run_on.end()) continue;
    check::check_backend_memory(c, *b);
    check::check_layers_on_backend(c, f.type);
  }
  for (const FactoryInfo& f : self->factories) {
    if (f.kind != "layer") continue;
    // The registry's own record: create_layer_from needs it, not the copy in PluginInfo.
    for (const FactoryInfo* g : pm.layer_factories(f.type))
      if (g->plugin == f.plugin && g->backend == f.backend) check::check_layer_factory(c, *g);
  }
  return report;
}

}  // namespace loom
