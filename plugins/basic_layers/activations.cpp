#include "activations.hpp"

#include "common.hpp"

namespace loom::basic {

sdk::LayerSpec Activation::make_spec(const char* type, const char* description) {
  sdk::LayerSpec s;
  s.type = type;
  s.description = description;
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"any shape", {}, {}, {{"input", LOOM_DTYPE_F32, {2, 3, 4}, -4, 4}}},
      {"integer input", {}, {}, {{"input", LOOM_DTYPE_I32, {3}}}, false, true},
  };
  return s;
}

void Activation::forward(sdk::ForwardContext& ctx) const {
  View x = ctx.input("input");
  if (!sdk::is_floating(x.dtype()))
    throw sdk::invalid_argument(std::string("input has dtype ") + sdk::dtype_name(x.dtype()) + " " + x.shape_str() +
                                ", expected a floating dtype (f32, f16 or bf16)");
  View y = ctx.output("output", x.dtype(), x.shape());
  if (x.numel() == 0) return;
  ctx.ops().unary(op_, x, y);
}

sdk::LayerSpec Relu::spec() { return make_spec("relu", "max(x, 0) elementwise (torch.nn.ReLU)"); }
sdk::LayerSpec Tanh::spec() { return make_spec("tanh", "tanh(x) elementwise (torch.nn.Tanh)"); }
sdk::LayerSpec Sigmoid::spec() { return make_spec("sigmoid", "1 / (1 + exp(-x)) elementwise (torch.nn.Sigmoid)"); }

sdk::LayerSpec Gelu::spec() {
  sdk::LayerSpec s = make_spec("gelu", "x * Phi(x) elementwise (torch.nn.GELU)");
  s.options = {{"approximate", LOOM_OPTION_ENUM, std::string("none"),
                "'none': exact erf form; 'tanh': the tanh approximation, as torch", "none|tanh"}};
  s.examples.push_back({"tanh approximation", {{"approximate", "tanh"}}, {}, {{"input", LOOM_DTYPE_F32, {5, 4}, -4, 4}}});
  return s;
}

namespace {
int32_t gelu_op(const sdk::Options& options) {
  const std::string a = options.get_string("approximate");
  if (a == "none") return LOOM_UNARY_GELU;
  if (a == "tanh") return LOOM_UNARY_GELU_TANH;
  throw sdk::invalid_argument("option 'approximate' must be none or tanh, got '" + a + "'");
}
}  // namespace

Gelu::Gelu(sdk::LayerInit& init) : Activation(gelu_op(init.options())) {}

}  // namespace loom::basic
