#include "layer_norm.hpp"

#include "common.hpp"

namespace loom::basic {

sdk::LayerSpec LayerNorm::spec() {
  sdk::LayerSpec s;
  s.type = "layer_norm";
  s.description =
      "(x - mean) / sqrt(var + eps) * weight + bias over the last dim (torch.nn.LayerNorm); weights 'weight', "
      "'bias' [normalized_shape]";
  s.options = {
      {"normalized_shape", LOOM_OPTION_INT, std::nullopt, "size of the last dim, which is normalized", ""},
      {"eps", LOOM_OPTION_FLOAT, std::string("1e-5"), "added to the variance before the square root", ""},
      {"elementwise_affine", LOOM_OPTION_BOOL, std::string("true"), "scale by 'weight' (and shift by 'bias')", ""},
      {"bias", LOOM_OPTION_BOOL, std::string("true"), "shift by 'bias' (only with elementwise_affine)", ""},
  };
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"weight and bias", {{"normalized_shape", "8"}},
       {{"weight", LOOM_DTYPE_F32, {8}}, {"bias", LOOM_DTYPE_F32, {8}}},
       {{"input", LOOM_DTYPE_F32, {2, 3, 8}, -3, 3}}},
      {"no affine parameters", {{"normalized_shape", "5"}, {"elementwise_affine", "false"}, {"eps", "1e-3"}}, {},
       {{"input", LOOM_DTYPE_F32, {4, 5}}}},
      {"input's last dim is not normalized_shape", {{"normalized_shape", "8"}, {"elementwise_affine", "false"}}, {},
       {{"input", LOOM_DTYPE_F32, {2, 6}}}, false, true},
  };
  return s;
}

LayerNorm::LayerNorm(sdk::LayerInit& init)
    : normalized_shape_(int_at_least(init.options(), "normalized_shape", 1)),
      eps_(non_negative_float(init.options(), "eps")) {
  // As torch: without elementwise_affine there are no parameters at all.
  if (!init.options().get_bool("elementwise_affine")) return;
  weight_ = init.upload("weight", {normalized_shape_});
  if (init.options().get_bool("bias")) bias_ = init.upload("bias", {normalized_shape_});
}

void LayerNorm::forward(sdk::ForwardContext& ctx) const {
  View x = ctx.input("input");
  require_dtype(x, LOOM_DTYPE_F32, "input");
  require_last_dim(x, normalized_shape_, "normalized_shape");
  View y = ctx.output("output", LOOM_DTYPE_F32, x.shape());
  if (x.numel() == 0) return;
  ctx.ops().layer_norm(x, weight_ ? &weight_.view() : nullptr, bias_ ? &bias_.view() : nullptr, eps_, y);
}

}  // namespace loom::basic
