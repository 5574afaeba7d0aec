// Test plugins built from one source with the SDK, one per compile definition:
// a factory that throws, a layer that refuses some options, and two plugins
// that provide the same (type, backend).
#include <stdexcept>

#include "loom/sdk/plugin.hpp"

using namespace loom::sdk;

// Copies its input; `tag` output says which plugin ran.
template <int Tag>
class Echo : public Layer {
 public:
  explicit Echo(LayerInit&) {}
  void forward(ForwardContext& ctx) const override {
    View x = ctx.input("input");
    View y = ctx.output("output", x.dtype(), x.shape());
    ctx.ops().copy(x, y);
    View tag = ctx.output("tag", LOOM_DTYPE_F32, {1});
    ctx.ops().fill(static_cast<float>(Tag), tag);
  }
};

#if defined(TEST_PLUGIN_THROWING)
class Throwing : public Layer {
 public:
  static LayerSpec spec() { return {"throwing", LOOM_BACKEND_ANY, 0, "constructor throws", {}, {"input"}, {"output"}}; }
  explicit Throwing(LayerInit&) { throw std::runtime_error("constructor exploded on purpose"); }
  void forward(ForwardContext&) const override {}
};
LOOM_PLUGIN("throwing-factory", "1.0", "test", LOOM_LAYER(Throwing))

#elif defined(TEST_PLUGIN_PICKY)
// Says "unsupported" for width > 4, and is preferred (priority 5) otherwise.
class Picky : public Echo<1> {
 public:
  using Echo<1>::Echo;
  static LayerSpec spec() {
    return {"echo", LOOM_BACKEND_ANY, 5, "picky echo",
            {{"width", LOOM_OPTION_INT, std::string("1"), "how wide", ""}}, {"input"}, {"output", "tag"}};
  }
  static bool supports(const Options& o, const loom_backend_info&, std::string& why) {
    if (o.get_int("width") > 4) {
      why = "width above 4 is not implemented";
      return false;
    }
    return true;
  }
};
LOOM_PLUGIN("picky", "1.0", "test", LOOM_LAYER(Picky))

#elif defined(TEST_PLUGIN_DUP_A) || defined(TEST_PLUGIN_DUP_B)
#if defined(TEST_PLUGIN_DUP_A)
constexpr int kTag = 2;
#define PLUGIN_NAME "dup-a"
#else
constexpr int kTag = 3;
#define PLUGIN_NAME "dup-b"
#endif
class Dup : public Echo<kTag> {
 public:
  using Echo<kTag>::Echo;
  static LayerSpec spec() {
    return {"echo", LOOM_BACKEND_ANY, 0, "plain echo",
            {{"width", LOOM_OPTION_INT, std::string("1"), "how wide", ""}}, {"input"}, {"output", "tag"}};
  }
};
LOOM_PLUGIN(PLUGIN_NAME, "1.0", "test", LOOM_LAYER(Dup))
#endif
