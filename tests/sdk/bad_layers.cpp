// Layers with the faults check-plugin exists to catch, one per type: each
// passes the loader and runs, and check-plugin must say FAIL and why.
#include <mutex>
#include <string>
#include <vector>

#include "loom/sdk/plugin.hpp"

using namespace loom::sdk;

namespace {

ExampleTensor input_2x4() { return {"input", LOOM_DTYPE_F32, {2, 4}}; }

// Returns x + 0.01 on onednn and x elsewhere: the backends disagree.
class DisagreesOnOnednn : public Layer {
 public:
  static LayerSpec spec() {
    LayerSpec s{"disagrees_on_onednn", LOOM_BACKEND_ANY, 0, "x, but off by 0.01 on onednn", {}, {"input"}, {"output"}};
    s.examples = {{"rows", {}, {}, {input_2x4()}}};
    return s;
  }
  explicit DisagreesOnOnednn(LayerInit&) {}
  void forward(ForwardContext& ctx) const override {
    View x = ctx.input("input");
    View y = ctx.output("output", x.dtype(), x.shape());
    const bool off = std::string(ctx.ops().backend().name) == "onednn";
    ctx.ops().unary(LOOM_UNARY_LINEAR, x, y, 1.0f, off ? 0.01f : 0.0f);
  }
};

// Keeps one scratch buffer per call alive forever: backend memory leaks.
class Leaks : public Layer {
 public:
  static LayerSpec spec() {
    LayerSpec s{"leaks", LOOM_BACKEND_ANY, 0, "leaks a scratch buffer per call", {}, {"input"}, {"output"}};
    s.examples = {{"rows", {}, {}, {input_2x4()}}};
    return s;
  }
  explicit Leaks(LayerInit&) {}
  void forward(ForwardContext& ctx) const override {
    View x = ctx.input("input");
    View y = ctx.output("output", x.dtype(), x.shape());
    ctx.ops().copy(x, y);
    // Never given back, on purpose (kept reachable, so only the backend sees a leak).
    static std::mutex mutex;
    static auto* kept = new std::vector<Buffer>();
    std::lock_guard<std::mutex> lock(mutex);
    kept->push_back(ctx.ops().empty(LOOM_DTYPE_F32, {1024}));
  }
};

// Declares an invalid example (last dim 5) but accepts any input.
class AcceptsAnything : public Layer {
 public:
  static LayerSpec spec() {
    LayerSpec s{"accepts_anything", LOOM_BACKEND_ANY, 0, "never refuses", {}, {"input"}, {"output"}};
    s.examples = {{"rows", {}, {}, {input_2x4()}},
                  {"last dim 5 (should be refused)", {}, {}, {{"input", LOOM_DTYPE_F32, {2, 5}}}, false, true}};
    return s;
  }
  explicit AcceptsAnything(LayerInit&) {}
  void forward(ForwardContext& ctx) const override {
    View x = ctx.input("input");
    ctx.ops().copy(x, ctx.output("output", x.dtype(), x.shape()));
  }
};

// Adds an output it never declared.
class UndeclaredOutput : public Layer {
 public:
  static LayerSpec spec() {
    LayerSpec s{"undeclared_output", LOOM_BACKEND_ANY, 0, "adds an 'extra' output", {}, {"input"}, {"output"}};
    s.examples = {{"rows", {}, {}, {input_2x4()}}};
    return s;
  }
  explicit UndeclaredOutput(LayerInit&) {}
  void forward(ForwardContext& ctx) const override {
    View x = ctx.input("input");
    ctx.ops().copy(x, ctx.output("output", x.dtype(), x.shape()));
    ctx.ops().fill(1.0f, ctx.output("extra", LOOM_DTYPE_F32, {1}));
  }
};

// Declares nothing to run: only a warning (a failure with --strict).
class NoExamples : public Layer {
 public:
  static LayerSpec spec() { return {"no_examples", LOOM_BACKEND_ANY, 0, "declares no examples", {}, {"input"}, {"output"}}; }
  explicit NoExamples(LayerInit&) {}
  void forward(ForwardContext& ctx) const override {
    View x = ctx.input("input");
    ctx.ops().copy(x, ctx.output("output", x.dtype(), x.shape()));
  }
};

}  // namespace

LOOM_PLUGIN("bad-layers", "0.1.0", "Loom tests", LOOM_LAYER(DisagreesOnOnednn), LOOM_LAYER(Leaks),
            LOOM_LAYER(AcceptsAnything), LOOM_LAYER(UndeclaredOutput), LOOM_LAYER(NoExamples))
