// The plugin search path: --plugin-dir, then LOOM_PLUGIN_PATH, then the
// install-relative folder next to libloom-core.
#include <cstdlib>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>

#include "loom/plugin_manager.hpp"

namespace loom {

std::vector<std::filesystem::path> PluginManager::search_path(const std::vector<std::filesystem::path>& plugin_dirs) {
  std::vector<std::filesystem::path> dirs(plugin_dirs.begin(), plugin_dirs.end());
  if (const char* env = std::getenv("LOOM_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':'))
      if (!item.empty()) dirs.emplace_back(item);
  }
  // The folder holding this library (lib/), then lib/loom/plugins relative to it.
  std::filesystem::path core_dir = boost::dll::this_line_location().parent_path().string();
  dirs.push_back((core_dir / LOOM_PLUGIN_REL_FROM_LIB).lexically_normal());
  return dirs;
}

}  // namespace loom
