// swiglu_ffn: the gated feed-forward block of LLaMA-style transformers,
//   y = W2 (silu(W1 x) * W3 x),   silu(a) = a * sigmoid(a),
// written only against the backend op set (matmul, unary, binary, concat), so
// it runs on every backend Loom has. Weight names follow a torch module with
// three nn.Linear members w1, w2, w3.
#include <string>

#include "loom/sdk/plugin.hpp"

using namespace loom::sdk;

namespace {

std::string str(int64_t v) { return std::to_string(v); }

class SwigluFfn : public Layer {
 public:
  static LayerSpec spec() {
    LayerSpec s;
    s.type = "swiglu_ffn";
    s.description =
        "gated feed-forward y = W2 (silu(W1 x) * W3 x) over the last dim; weights 'w1.weight', 'w3.weight' "
        "[hidden_dim, dim], 'w2.weight' [dim, hidden_dim] (+ 'w1.bias', 'w3.bias' [hidden_dim], 'w2.bias' [dim])";
    s.options = {
        {"dim", LOOM_OPTION_INT, std::nullopt, "features of the input and the output", ""},
        {"hidden_dim", LOOM_OPTION_INT, std::nullopt, "features of the gated hidden layer", ""},
        {"bias", LOOM_OPTION_BOOL, std::string("false"), "the three projections have biases", ""},
    };
    // What `loom check-plugin` runs on every backend (weights and inputs random).
    s.examples = {
        {"leading dims fold into rows", {{"dim", "8"}, {"hidden_dim", "12"}},
         {{"w1.weight", LOOM_DTYPE_F32, {12, 8}}, {"w3.weight", LOOM_DTYPE_F32, {12, 8}},
          {"w2.weight", LOOM_DTYPE_F32, {8, 12}}},
         {{"input", LOOM_DTYPE_F32, {2, 3, 8}, -2, 2}}},
        {"with biases", {{"dim", "6"}, {"hidden_dim", "16"}, {"bias", "true"}},
         {{"w1.weight", LOOM_DTYPE_F32, {16, 6}}, {"w1.bias", LOOM_DTYPE_F32, {16}},
          {"w3.weight", LOOM_DTYPE_F32, {16, 6}}, {"w3.bias", LOOM_DTYPE_F32, {16}},
          {"w2.weight", LOOM_DTYPE_F32, {6, 16}}, {"w2.bias", LOOM_DTYPE_F32, {6}}},
         {{"input", LOOM_DTYPE_F32, {5, 6}, -2, 2}}},
        {"input's last dim is not dim", {{"dim", "8"}, {"hidden_dim", "12"}},
         {{"w1.weight", LOOM_DTYPE_F32, {12, 8}}, {"w3.weight", LOOM_DTYPE_F32, {12, 8}},
          {"w2.weight", LOOM_DTYPE_F32, {8, 12}}},
         {{"input", LOOM_DTYPE_F32, {4, 7}}}, false, true},
    };
    return s;
  }

  explicit SwigluFfn(LayerInit& init)
      : dim_(init.options().get_int("dim")), hidden_(init.options().get_int("hidden_dim")) {
    if (dim_ < 1 || hidden_ < 1)
      throw invalid_argument("options 'dim' and 'hidden_dim' must be >= 1, got " + str(dim_) + " and " + str(hidden_));
    const Ops& ops = init.ops();
    const bool bias = init.options().get_bool("bias");
    // W1 and W3 read the same input: one [2H, D] weight makes both products one matmul.
    Buffer w1 = init.upload("w1.weight", {hidden_, dim_});
    Buffer w3 = init.upload("w3.weight", {hidden_, dim_});
    Buffer w13 = ops.empty(LOOM_DTYPE_F32, {2 * hidden_, dim_});
    ops.concat({w1.view(), w3.view()}, 0, w13.view());
    w13_ = ops.matmul_pack(w13.view(), /*transpose_b=*/true);
    w2_ = ops.matmul_pack(init.upload("w2.weight", {dim_, hidden_}).view(), /*transpose_b=*/true);
    if (bias) {
      Buffer b1 = init.upload("w1.bias", {hidden_});
      Buffer b3 = init.upload("w3.bias", {hidden_});
      b13_ = ops.empty(LOOM_DTYPE_F32, {2 * hidden_});
      ops.concat({b1.view(), b3.view()}, 0, b13_.view());
      b2_ = init.upload("w2.bias", {dim_});
    }
  }

  void forward(ForwardContext& ctx) const override {
    const Ops& ops = ctx.ops();
    View x = ctx.input("input");
    if (x.dtype() != LOOM_DTYPE_F32)
      throw invalid_argument("input has dtype " + std::string(dtype_name(x.dtype())) + ", expected f32");
    if (x.ndim() < 1 || x.dim(-1) != dim_)
      throw invalid_argument("input " + x.shape_str() + " must have dim = " + str(dim_) + " features in its last dim");
    View y = ctx.output("output", LOOM_DTYPE_F32, x.shape());
    const int64_t rows = x.numel() / dim_;
    if (rows == 0) return;
    Buffer staged;  // leading dims fold into rows, which needs a contiguous input
    if (!x.is_contiguous()) {
      staged = ops.empty(LOOM_DTYPE_F32, x.shape());
      ops.copy(x, staged.view());
      x = staged.view();
    }
    // h = x [W1; W3]^T: gate a = h[:, :H], up b = h[:, H:] (strided views, no copy).
    Buffer h = ops.empty(LOOM_DTYPE_F32, {rows, 2 * hidden_});
    ops.matmul_packed(x.reshape({rows, dim_}), w13_, b13_ ? &b13_.view() : nullptr, h.view());
    const View a = h.view().slice(1, 0, hidden_), b = h.view().slice(1, hidden_, 2 * hidden_);
    // g = silu(a) * b = sigmoid(a) * a * b, in place in one scratch buffer.
    Buffer g = ops.empty(LOOM_DTYPE_F32, {rows, hidden_});
    ops.unary(LOOM_UNARY_SIGMOID, a, g.view());
    ops.binary(LOOM_BINARY_MUL, g.view(), a, g.view());
    ops.binary(LOOM_BINARY_MUL, g.view(), b, g.view());
    ops.matmul_packed(g.view(), w2_, b2_ ? &b2_.view() : nullptr, y.reshape({rows, dim_}));
  }

 private:
  int64_t dim_, hidden_;
  PackedRef w13_, w2_;
  Buffer b13_, b2_;
};

}  // namespace

LOOM_PLUGIN("swiglu", "0.1.0", "Loom SDK example", LOOM_LAYER(SwigluFfn))
