// A plugin compiled against the frozen ABI 1.0 headers (frozen_plugin.c)
// loads into this host, runs on every backend, and reports its errors.
#include <doctest/doctest.h>

#include <cstring>

#include "backend_cases.hpp"

using namespace loom;

namespace {

// The frozen plugin and the in-tree backends, loaded once.
PluginManager& frozen_plugins() {
  static PluginManager* pm = [] {
    set_log_level(LogLevel::off);
    auto* m = new PluginManager();
    m->load_search_path({LOOM_TEST_FROZEN_PLUGIN_DIR, LOOM_TEST_PLUGIN_DIR});
    return m;
  }();
  return *pm;
}

}  // namespace

TEST_CASE("a plugin built against the frozen ABI 1.0 headers loads") {
  const PluginInfo* info = nullptr;
  for (const auto& p : frozen_plugins().plugins())
    if (p.name == "frozen-abi") info = &p;
  REQUIRE_MESSAGE(info, "libloom-frozen-abi.so was not loaded");
  CHECK(info->abi_major == LOOM_ABI_MAJOR);
  CHECK(info->abi_minor == 0);
  REQUIRE(info->factories.size() == 1);
  CHECK(info->factories[0].type == "frozen_affine");
  CHECK(info->factories[0].examples.size() == 2);
}

TEST_CASE("the frozen plugin's layer runs on every backend") {
  PluginManager& pm = frozen_plugins();
  for (const auto& name : pm.backend_names()) {
    if (!pm.backend_available(name)) continue;
    CAPTURE(name);
    auto be = pm.create_backend(name);
    MemoryWeights w;
    Tensor scale = Tensor::host(DType::f32, {3});
    const float s[3] = {1.0f, -2.0f, 0.5f};
    std::memcpy(scale.data(), s, sizeof s);
    w.add("scale", scale);
    auto layer = pm.create_layer("frozen_affine", be, {{"features", "3"}, {"offset", "0.25"}}, &w);
    Tensor x = test::random_tensor({2, 3}, 7);
    Tensor y = be->download(layer->forward(be->upload(x)));
    REQUIRE(y.shape() == Shape{2, 3});
    for (int64_t i = 0; i < 6; ++i)  // y = x * scale + offset, by hand
      CHECK(y.data_as<float>()[i] == doctest::Approx(x.data_as<float>()[i] * s[i % 3] + 0.25f).epsilon(1e-6));
    std::string err = test::error_of([&] { layer->forward(be->upload(test::random_tensor({2, 4}, 8))); });
    CHECK(test::contains(err, "layer 'frozen_affine' (frozen_affine): input must have features = 3"));
    err = test::error_of([&] { pm.create_layer("frozen_affine", be, {{"features", "3"}}, nullptr); });
    CHECK(test::contains(err, "missing weight 'scale'"));
  }
}
