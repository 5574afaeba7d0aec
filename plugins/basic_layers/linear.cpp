#include "linear.hpp"

#include "common.hpp"

namespace loom::basic {

sdk::LayerSpec Linear::spec() {
  sdk::LayerSpec s;
  s.type = "linear";
  s.description = "y = x W^T + b over the last dim (torch.nn.Linear); weights 'weight' [out, in], 'bias' [out]";
  s.options = {
      {"in_features", LOOM_OPTION_INT, std::nullopt, "size of the input's last dim", ""},
      {"out_features", LOOM_OPTION_INT, std::nullopt, "size of the output's last dim", ""},
      {"bias", LOOM_OPTION_BOOL, std::string("true"), "add the learned bias 'bias'", ""},
  };
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"leading dims fold into rows", {{"in_features", "8"}, {"out_features", "5"}},
       {{"weight", LOOM_DTYPE_F32, {5, 8}}, {"bias", LOOM_DTYPE_F32, {5}}},
       {{"input", LOOM_DTYPE_F32, {2, 3, 8}}}},
      {"no bias", {{"in_features", "16"}, {"out_features", "3"}, {"bias", "false"}},
       {{"weight", LOOM_DTYPE_F32, {3, 16}}},
       {{"input", LOOM_DTYPE_F32, {4, 16}}}},
      {"input's last dim is not in_features", {{"in_features", "8"}, {"out_features", "5"}},
       {{"weight", LOOM_DTYPE_F32, {5, 8}}, {"bias", LOOM_DTYPE_F32, {5}}},
       {{"input", LOOM_DTYPE_F32, {2, 7}}}, false, true},
  };
  return s;
}

Linear::Linear(sdk::LayerInit& init)
    : in_features_(int_at_least(init.options(), "in_features", 1)),
      out_features_(int_at_least(init.options(), "out_features", 1)) {
  // The weight is only needed in backend memory until it is packed: the packed
  // object keeps its own copy in the backend's preferred layout.
  sdk::Buffer weight = init.upload("weight", {out_features_, in_features_});
  weight_ = init.ops().matmul_pack(weight.view(), /*transpose_b=*/true);
  if (init.options().get_bool("bias")) bias_ = init.upload("bias", {out_features_});
}

void Linear::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  View x = ctx.input("input");
  require_dtype(x, LOOM_DTYPE_F32, "input");
  require_last_dim(x, in_features_, "in_features");

  View y = ctx.output("output", LOOM_DTYPE_F32, with_last_dim(x, out_features_));
  const int64_t rows = x.numel() / in_features_;
  if (rows == 0) return;

  // Any leading dims fold into the rows of one 2-D product; that needs the
  // input contiguous, so a strided input is copied once.
  sdk::Buffer staged;
  if (!x.is_contiguous()) {
    staged = ops.empty(LOOM_DTYPE_F32, x.shape());
    ops.copy(x, staged.view());
    x = staged.view();
  }
  const View* bias = bias_ ? &bias_.view() : nullptr;
  ops.matmul_packed(x.reshape({rows, in_features_}), weight_, bias, y.reshape({rows, out_features_}));
}

}  // namespace loom::basic
