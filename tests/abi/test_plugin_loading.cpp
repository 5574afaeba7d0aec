// Broken and incompatible plugins are skipped with a reason naming the file;
// the host keeps working and the good plugins stay usable.
#include <doctest/doctest.h>

#include "test_support.hpp"

using namespace loom;

namespace {

std::filesystem::path test_plugin_dir(const std::string& name) {
  return std::filesystem::path(LOOM_TEST_PLUGIN_ROOT) / name;
}

// Loads one test plugin alone; returns the skip reason ("" when it loaded).
std::string load_alone(PluginManager& pm, const std::string& name) {
  size_t before = pm.skipped().size();
  pm.load_search_path({test_plugin_dir(name)});
  if (pm.skipped().size() == before) return "";
  const SkippedPlugin& s = pm.skipped().back();
  CHECK(s.file.filename().string() == "libloom-" + name + ".so");
  return s.reason;
}

bool has_plugin(const PluginManager& pm, const std::string& name) {
  for (const auto& p : pm.plugins())
    if (p.name == name) return true;
  return false;
}

}  // namespace

TEST_CASE("each broken plugin is skipped with a clear reason") {
  set_log_level(LogLevel::off);
  PluginManager pm;
  CHECK(load_alone(pm, "wrong-major").find("plugin ABI 99.0 is incompatible with this host's ABI 1.") !=
        std::string::npos);
  CHECK(load_alone(pm, "no-entry").find("no loom_plugin_entry symbol") != std::string::npos);
  CHECK(load_alone(pm, "null-descriptor").find("returned no descriptor") != std::string::npos);
  CHECK(load_alone(pm, "init-fails").find("init failed: license server unreachable") != std::string::npos);
  CHECK(load_alone(pm, "garbage").find("cannot load") != std::string::npos);
  CHECK(pm.plugins().empty());
  CHECK(pm.skipped().size() == 5);
}

TEST_CASE("a plugin from a newer minor ABI version still loads") {
  set_log_level(LogLevel::off);
  PluginManager pm;
  CHECK(load_alone(pm, "newer-minor") == "");
  REQUIRE(pm.plugins().size() == 1);
  CHECK(pm.plugins()[0].abi_minor == LOOM_ABI_MINOR + 1);
}

TEST_CASE("broken plugins in the search path change nothing for the good ones") {
  set_log_level(LogLevel::off);
  PluginManager clean;
  clean.load_search_path({LOOM_TEST_PLUGIN_DIR});
  PluginManager mixed;
  std::vector<std::filesystem::path> dirs{LOOM_TEST_PLUGIN_DIR};
  for (const char* broken : {"wrong-major", "no-entry", "null-descriptor", "init-fails", "garbage"})
    dirs.push_back(test_plugin_dir(broken));
  mixed.load_search_path(dirs);

  CHECK(mixed.plugins().size() == clean.plugins().size());
  CHECK(mixed.skipped().size() == 5);
  CHECK(mixed.backend_names() == clean.backend_names());
  CHECK(mixed.layer_types() == clean.layer_types());
  // And the host still runs a layer.
  auto backend = mixed.create_backend("reference");
  MemoryWeights none;
  auto relu = mixed.create_layer("relu", backend, {}, &none);
  Tensor x = test::random_tensor({2, 3}, 1);
  Tensor y = relu->forward(x);
  CHECK(y.shape() == Shape{2, 3});
}

TEST_CASE("the same plugin found twice on the path is loaded once") {
  set_log_level(LogLevel::off);
  PluginManager pm;
  pm.load_search_path({test_plugin_dir("newer-minor"), test_plugin_dir("newer-minor")});
  CHECK(pm.plugins().size() == 1);
  REQUIRE(pm.skipped().size() == 1);
  CHECK(pm.skipped()[0].reason.find("already loaded") != std::string::npos);
}

TEST_CASE("in-tree plugins: the backends and first layers are listed") {
  auto& pm = test::plugins();
  CHECK(pm.skipped().empty());
  auto backends = pm.backend_names();
  CHECK(std::find(backends.begin(), backends.end(), "reference") != backends.end());
  CHECK(std::find(backends.begin(), backends.end(), "onednn") != backends.end());
  auto layers = pm.layer_types();
  for (const char* t : {"linear", "embedding", "layer_norm", "relu", "gelu", "tanh", "sigmoid"})
    CHECK_MESSAGE(std::find(layers.begin(), layers.end(), t) != layers.end(), t);
  CHECK(has_plugin(pm, "reference"));
}

TEST_CASE("unknown backend and unknown layer type are errors that list what exists") {
  auto& pm = test::plugins();
  try {
    pm.create_backend("tpu");
    FAIL("expected an error");
  } catch (const NotFound& e) {
    CHECK(std::string(e.what()).find("unknown backend 'tpu'; available: ") != std::string::npos);
    CHECK(std::string(e.what()).find("reference") != std::string::npos);
  }
  auto backend = test::backend("reference");
  MemoryWeights none;
  try {
    pm.create_layer("lstmm", backend, {}, &none, "layers.0");
    FAIL("expected an error");
  } catch (const NotFound& e) {
    CHECK(std::string(e.what()).find("layer 'layers.0' (lstmm): unknown layer type 'lstmm'") != std::string::npos);
    CHECK(std::string(e.what()).find("; known types:") != std::string::npos);
  }
}
