// One loaded plugin library. Held first by every object a plugin made, so the
// code outlives the objects; never unloaded at process exit.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "loom/abi/plugin.h"

namespace loom {

class PluginLibrary {
 public:
  // Loads with RTLD_NOW | RTLD_LOCAL under the loader's global mutex; throws
  // PluginError with the loader's reason.
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& file);
  ~PluginLibrary();

  const std::filesystem::path& file() const { return file_; }
  bool has_symbol(const char* name) const;
  template <class Fn>
  Fn* symbol(const char* name) const { return &lib_->get<Fn>(name); }

  const loom_plugin_descriptor* descriptor() const { return descriptor_; }
  void set_descriptor(const loom_plugin_descriptor* d) { descriptor_ = d; }
  // Allows the destructor to unload (only when nothing else references the library).
  void allow_unload() { unload_allowed_ = true; }

 private:
  PluginLibrary() = default;
  std::filesystem::path file_;
  std::unique_ptr<boost::dll::shared_library> lib_;
  const loom_plugin_descriptor* descriptor_ = nullptr;
  bool unload_allowed_ = false;
};

}  // namespace loom
