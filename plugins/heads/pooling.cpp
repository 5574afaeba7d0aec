#include <limits>

#include "heads.hpp"

namespace loom::heads {

void require_f32(const View& v, const char* what) {
  if (v.dtype() != LOOM_DTYPE_F32)
    throw sdk::invalid_argument(std::string(what) + " has dtype " + sdk::dtype_name(v.dtype()) + " " + v.shape_str() +
                                ", expected f32");
}

sdk::LayerSpec Pooling::spec() {
  sdk::LayerSpec s;
  s.type = "pooling";
  s.description =
      "pools [N, T, H] over T to [N, H]: mean (over real tokens with a mask, as sentence-transformers), cls (step 0), "
      "max (over real tokens); optional 'mask' f32 [N, T], 1 for a token and 0 for padding";
  s.options = {{"mode", LOOM_OPTION_ENUM, std::string("mean"), "how to pool the steps", "mean|cls|max"}};
  s.inputs = {"input", "mask"};
  s.outputs = {"output"};
  // Sample uses for `loom check-plugin` (a mask of ones: every token is real).
  s.examples = {
      {"mean", {}, {}, {{"input", LOOM_DTYPE_F32, {2, 5, 4}}}},
      {"max over a mask", {{"mode", "max"}}, {},
       {{"input", LOOM_DTYPE_F32, {3, 4, 6}}, {"mask", LOOM_DTYPE_F32, {3, 4}, 1, 1}}},
      {"cls", {{"mode", "cls"}}, {}, {{"input", LOOM_DTYPE_F32, {2, 3, 4}}}},
      {"mask of the wrong shape", {}, {}, {{"input", LOOM_DTYPE_F32, {2, 5, 4}}, {"mask", LOOM_DTYPE_F32, {2, 4}}},
       false, true},
  };
  return s;
}

Pooling::Pooling(sdk::LayerInit& init) : mode_(init.options().get_string("mode")) {}

void Pooling::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  View x = ctx.input("input");
  require_f32(x, "input");
  if (x.ndim() != 3) throw sdk::invalid_argument("input must be [N, T, H], got " + x.shape_str());
  const int64_t n = x.dim(0), t = x.dim(1), h = x.dim(2);
  if (t == 0) throw sdk::invalid_argument("input " + x.shape_str() + " has no steps to pool");
  const View* mask = ctx.find_input("mask");
  if (mask) {
    require_f32(*mask, "mask");
    if (mask->shape() != Shape{n, t})
      throw sdk::invalid_argument("mask must be [N, T] = [" + std::to_string(n) + ", " + std::to_string(t) +
                                  "] like the input " + x.shape_str() + ", got " + mask->shape_str());
  }
  View y = ctx.output("output", LOOM_DTYPE_F32, {n, h});
  if (n == 0 || h == 0) return;
  View y3 = y.reshape({n, 1, h});
  if (mode_ == "cls") {
    ops.copy(x.slice(1, 0, 1), y3);
    return;
  }
  if (!mask) {
    ops.reduce(mode_ == "max" ? LOOM_REDUCE_MAX : LOOM_REDUCE_MEAN, x, y3);
    return;
  }
  // A contiguous [N, T, 1] copy of the mask broadcasts over H.
  sdk::Buffer m = ops.empty(LOOM_DTYPE_F32, {n, t, 1});
  ops.copy(*mask, m.view().reshape({n, t}));
  sdk::Buffer tmp = ops.empty(LOOM_DTYPE_F32, {n, t, h});
  if (mode_ == "max") {
    // Padding gets -inf-like scores: x + (m - 1) * 3e38 keeps tokens and buries padding.
    sdk::Buffer bias = ops.empty(LOOM_DTYPE_F32, {n, t, 1});
    ops.unary(LOOM_UNARY_LINEAR, m.view(), bias.view(), 3e38f, -3e38f);
    ops.binary(LOOM_BINARY_ADD, x, bias.view(), tmp.view());
    ops.reduce(LOOM_REDUCE_MAX, tmp.view(), y3);
    return;
  }
  // mean: sum(x * m) / max(sum(m), 1e-9).
  ops.binary(LOOM_BINARY_MUL, x, m.view(), tmp.view());
  ops.reduce(LOOM_REDUCE_SUM, tmp.view(), y3);
  sdk::Buffer count = ops.empty(LOOM_DTYPE_F32, {n, 1, 1});
  ops.reduce(LOOM_REDUCE_SUM, m.view(), count.view());
  sdk::Buffer floor = ops.empty(LOOM_DTYPE_F32, {1, 1, 1});
  ops.fill(1e-9f, floor.view());
  ops.binary(LOOM_BINARY_MAX, count.view(), floor.view(), count.view());
  ops.binary(LOOM_BINARY_DIV, y3, count.view(), y3);
}

}  // namespace loom::heads
