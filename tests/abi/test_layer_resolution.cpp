// Factory resolution: supports() as an ordinary answer, priorities, duplicate
// providers resolved by name, exceptions in a factory turned into errors.
#include <doctest/doctest.h>

#include "test_support.hpp"

using namespace loom;

namespace {

std::filesystem::path dir(const std::string& name) { return std::filesystem::path(LOOM_TEST_PLUGIN_ROOT) / name; }

float tag_of(const Layer& layer) {
  TensorMap out = layer.forward(TensorMap{{"input", test::random_tensor({2}, 3)}});
  return out.at("tag").data_as<float>()[0];
}

}  // namespace

TEST_CASE("a factory that throws becomes an error naming the layer and the host keeps working") {
  set_log_level(LogLevel::off);
  PluginManager pm;
  pm.load_search_path({LOOM_TEST_PLUGIN_DIR, dir("throwing-factory")});
  auto backend = pm.create_backend("reference");
  MemoryWeights none;
  try {
    pm.create_layer("throwing", backend, {}, &none, "stage1");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "layer 'stage1' (throwing): constructor exploded on purpose");
  }
  // Still usable afterwards.
  auto relu = pm.create_layer("relu", backend, {}, &none);
  CHECK(relu->forward(test::random_tensor({3}, 2)).numel() == 3);
}

TEST_CASE("two plugins with the same type and backend resolve by name deterministically") {
  set_log_level(LogLevel::off);
  for (int order = 0; order < 2; ++order) {
    PluginManager pm;
    // Load in both orders: the winner must not depend on it.
    if (order == 0) pm.load_search_path({LOOM_TEST_PLUGIN_DIR, dir("dup-a"), dir("dup-b")});
    else pm.load_search_path({LOOM_TEST_PLUGIN_DIR, dir("dup-b"), dir("dup-a")});
    auto backend = pm.create_backend("reference");
    MemoryWeights none;
    auto layer = pm.create_layer("echo", backend, {}, &none);
    CHECK(tag_of(*layer) == 2.0f);  // dup-a wins: equal priority, smaller name
  }
}

TEST_CASE("supports() false is an answer: the next factory is used or the reason is reported") {
  set_log_level(LogLevel::off);
  MemoryWeights none;
  {
    PluginManager pm;
    pm.load_search_path({LOOM_TEST_PLUGIN_DIR, dir("picky"), dir("dup-b")});
    auto backend = pm.create_backend("reference");
    CHECK(tag_of(*pm.create_layer("echo", backend, {{"width", "2"}}, &none)) == 1.0f);  // picky: priority 5
    CHECK(tag_of(*pm.create_layer("echo", backend, {{"width", "9"}}, &none)) == 3.0f);  // picky refuses: dup-b
  }
  {
    PluginManager pm;
    pm.load_search_path({LOOM_TEST_PLUGIN_DIR, dir("picky")});
    auto backend = pm.create_backend("reference");
    try {
      pm.create_layer("echo", backend, {{"width", "9"}}, &none, "enc");
      FAIL("expected an error");
    } catch (const Unsupported& e) {
      CHECK(std::string(e.what()).find("width above 4 is not implemented") != std::string::npos);
      CHECK(std::string(e.what()).find("layer 'enc' (echo)") != std::string::npos);
    }
  }
}

TEST_CASE("options are checked against the declaration before the plugin sees them") {
  set_log_level(LogLevel::off);
  PluginManager pm;
  pm.load_search_path({LOOM_TEST_PLUGIN_DIR, dir("picky")});
  auto backend = pm.create_backend("reference");
  MemoryWeights none;
  try {
    pm.create_layer("echo", backend, {{"widht", "2"}}, &none, "enc");
    FAIL("expected an error");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()) == "layer 'enc' (echo): unknown option 'widht'; did you mean 'width'?; valid options: width");
  }
  try {
    pm.create_layer("echo", backend, {{"width", "two"}}, &none, "enc");
    FAIL("expected an error");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()) == "layer 'enc' (echo): option 'width' must be an integer, got 'two'");
  }
}
