#include <cmath>

#include "heads.hpp"

namespace loom::heads {

sdk::LayerSpec L2Normalize::spec() {
  sdk::LayerSpec s;
  s.type = "l2_normalize";
  s.description = "x / max(||x||_2, eps) over the last dim (torch.nn.functional.normalize, p=2, dim=-1)";
  s.options = {{"eps", LOOM_OPTION_FLOAT, std::string("1e-12"), "lower bound of the norm", ""}};
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"rows", {}, {}, {{"input", LOOM_DTYPE_F32, {3, 8}}}},
      {"a scalar", {}, {}, {{"input", LOOM_DTYPE_F32, {}}}, false, true},
  };
  return s;
}

L2Normalize::L2Normalize(sdk::LayerInit& init) {
  double eps = init.options().get_float("eps");
  if (!std::isfinite(eps) || eps < 0)
    throw sdk::invalid_argument("option 'eps' must be a finite number >= 0, got " + init.options().get_string("eps"));
  eps_ = static_cast<float>(eps);
}

void L2Normalize::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  View x = ctx.input("input");
  require_f32(x, "input");
  if (x.ndim() == 0) throw sdk::invalid_argument("input is a scalar; l2_normalize works over the last dim");
  View y = ctx.output("output", LOOM_DTYPE_F32, x.shape());
  if (x.numel() == 0) return;
  Shape reduced = x.shape();
  reduced.back() = 1;
  sdk::Buffer sq = ops.empty(LOOM_DTYPE_F32, x.shape());
  ops.unary(LOOM_UNARY_SQUARE, x, sq.view());
  sdk::Buffer norm = ops.empty(LOOM_DTYPE_F32, reduced);
  ops.reduce(LOOM_REDUCE_SUM, sq.view(), norm.view());
  ops.unary(LOOM_UNARY_SQRT, norm.view(), norm.view());
  sdk::Buffer floor = ops.empty(LOOM_DTYPE_F32, Shape(static_cast<size_t>(x.ndim()), 1));
  ops.fill(eps_, floor.view());
  ops.binary(LOOM_BINARY_MAX, norm.view(), floor.view(), norm.view());
  ops.binary(LOOM_BINARY_DIV, x, norm.view(), y);
}

}  // namespace loom::heads
