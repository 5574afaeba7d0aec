#include "cli_common.hpp"

#include <iostream>

#include <fmt/format.h>

namespace loom::cli {

void add_global_options(po::options_description& desc, GlobalOptions& g) {
  desc.add_options()
      ("plugin-dir", po::value(&g.plugin_dirs)->composing(), "search this folder for plugins first (repeatable)")
      ("log-level", po::value(&g.log_level)->default_value("warn"), "debug, info, warn, error or off");
}

std::vector<std::filesystem::path> search_path(const GlobalOptions& g) {
  std::vector<std::filesystem::path> dirs(g.plugin_dirs.begin(), g.plugin_dirs.end());
  return PluginManager::search_path(dirs);
}

std::string describe_auto_choice(const PluginManager& pm, const std::string& chosen) {
  const FactoryInfo* picked = pm.find_backend_info(chosen);
  std::vector<std::string> passed_over;
  for (const auto& name : pm.backend_names()) {
    const FactoryInfo* info = pm.find_backend_info(name);
    std::string why;
    if (name == chosen || !info || !picked || info->priority <= picked->priority) continue;
    if (!pm.backend_available(name, &why)) passed_over.push_back(name + ": " + why);
  }
  std::string out = "backend auto chose '" + chosen + "'";
  for (size_t i = 0; i < passed_over.size(); ++i) out += (i ? "; " : " (") + passed_over[i];
  return passed_over.empty() ? out : out + ")";
}

PluginManager& load_plugins(const GlobalOptions& g) {
  const std::string& l = g.log_level;
  if (l == "debug") set_log_level(LogLevel::debug);
  else if (l == "info") set_log_level(LogLevel::info);
  else if (l == "warn") set_log_level(LogLevel::warn);
  else if (l == "error") set_log_level(LogLevel::error);
  else if (l == "off") set_log_level(LogLevel::off);
  else throw UsageError("--log-level must be debug, info, warn, error or off, got '" + l + "'");
  static PluginManager manager;  // lives until exit; plugins are never unloaded
  manager.load_search_path(search_path(g));
  return manager;
}

bool parse(const std::vector<std::string>& args, const po::options_description& desc,
           const po::positional_options_description& positional, const std::string& usage) {
  po::options_description all = desc;
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << usage << "\n\n" << all << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (usage: " + usage + ")");
  }
  return true;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace loom::cli
