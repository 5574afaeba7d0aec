#include "plugin_library.hpp"

#include <mutex>
#include <vector>

#include "loom/error.hpp"

namespace loom {

namespace {
std::mutex& loader_mutex() {
  static std::mutex m;  // dlopen/dlclose and plugin init run one at a time
  return m;
}

// Libraries that are never unloaded stay referenced from here until exit (and
// so are not reported as leaks).
std::vector<std::unique_ptr<boost::dll::shared_library>>& kept_libraries() {
  static auto* kept = new std::vector<std::unique_ptr<boost::dll::shared_library>>();
  return *kept;
}
}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& file) {
  std::lock_guard<std::mutex> lock(loader_mutex());
  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->file_ = file;
  boost::dll::fs::error_code ec;
  auto shared = std::make_unique<boost::dll::shared_library>();
  shared->load(boost::dll::fs::path(file.string()),
               boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !shared->is_loaded()) throw PluginError("cannot load: " + (ec ? ec.message() : std::string("unknown reason")));
  lib->lib_ = std::move(shared);
  return lib;
}

PluginLibrary::~PluginLibrary() {
  if (!lib_) return;
  std::lock_guard<std::mutex> lock(loader_mutex());
  if (!unload_allowed_) {
    // Never unload at exit: static destructors in the plugin may still run and
    // objects elsewhere may hold function pointers into it.
    kept_libraries().push_back(std::move(lib_));
    return;
  }
  if (descriptor_ && descriptor_->shutdown) descriptor_->shutdown();
  lib_.reset();
}

bool PluginLibrary::has_symbol(const char* name) const { return lib_ && lib_->has(name); }

}  // namespace loom
