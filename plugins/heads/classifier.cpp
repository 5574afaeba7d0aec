#include "heads.hpp"

namespace loom::heads {

sdk::LayerSpec Classifier::spec() {
  sdk::LayerSpec s;
  s.type = "classifier";
  s.description =
      "linear classifier: logits = x W^T + b over the last dim, probs = softmax(logits); weights 'weight' "
      "[num_classes, in_features], 'bias' [num_classes]";
  s.options = {
      {"in_features", LOOM_OPTION_INT, std::nullopt, "features of the input's last dim", ""},
      {"num_classes", LOOM_OPTION_INT, std::nullopt, "number of classes", ""},
      {"bias", LOOM_OPTION_BOOL, std::string("true"), "add the learned bias 'bias'", ""},
      {"labels", LOOM_OPTION_STRING, std::string(""),
       "class names separated by '|' (a YAML list is joined so), num_classes of them; `loom run` adds the argmax "
       "as label_id and label",
       ""},
  };
  s.outputs = {"probs", "logits"};
  // Sample uses for `loom check-plugin`.
  s.examples = {
      {"labelled classes", {{"in_features", "6"}, {"num_classes", "3"}, {"labels", "a|b|c"}},
       {{"weight", LOOM_DTYPE_F32, {3, 6}}, {"bias", LOOM_DTYPE_F32, {3}}},
       {{"input", LOOM_DTYPE_F32, {4, 6}, -2, 2}}},
      {"input's last dim is not in_features", {{"in_features", "6"}, {"num_classes", "3"}, {"bias", "false"}},
       {{"weight", LOOM_DTYPE_F32, {3, 6}}},
       {{"input", LOOM_DTYPE_F32, {4, 5}}}, false, true},
  };
  return s;
}

Classifier::Classifier(sdk::LayerInit& init)
    : in_features_(init.options().get_int("in_features")), num_classes_(init.options().get_int("num_classes")) {
  if (in_features_ < 1 || num_classes_ < 1)
    throw sdk::invalid_argument("options 'in_features' and 'num_classes' must be >= 1");
  weight_ = init.upload("weight", {num_classes_, in_features_});
  if (init.options().get_bool("bias")) bias_ = init.upload("bias", {num_classes_});
  const std::string labels = init.options().get_string("labels");
  if (!labels.empty()) {
    int64_t count = 1;
    for (char c : labels) count += c == '|' ? 1 : 0;
    if (count != num_classes_)
      throw sdk::invalid_argument("option 'labels' names " + std::to_string(count) + " classes but num_classes is " +
                                  std::to_string(num_classes_));
  }
}

void Classifier::forward(sdk::ForwardContext& ctx) const {
  const sdk::Ops& ops = ctx.ops();
  View x = ctx.input("input");
  require_f32(x, "input");
  if (x.ndim() < 1 || x.dim(-1) != in_features_)
    throw sdk::invalid_argument("input " + x.shape_str() + " must have in_features = " + std::to_string(in_features_) +
                                " in its last dim");
  Shape out_shape = x.shape();
  out_shape.back() = num_classes_;
  View logits = ctx.output("logits", LOOM_DTYPE_F32, out_shape);
  View probs = ctx.output("probs", LOOM_DTYPE_F32, out_shape);
  if (x.numel() == 0) return;
  sdk::MatmulArgs args;
  args.transpose_b = true;
  const int64_t rows = x.numel() / in_features_;
  ops.matmul(x.reshape({rows, in_features_}), weight_.view(), bias_ ? &bias_.view() : nullptr,
             logits.reshape({rows, num_classes_}), args);
  ops.softmax(logits, nullptr, -1, probs);
}

}  // namespace loom::heads
