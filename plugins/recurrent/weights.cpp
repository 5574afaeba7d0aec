#include "weights.hpp"

#include <string>
#include <vector>

namespace loom::recurrent {

namespace {

// "weight_ih_l2_reverse" and friends, as torch.nn.RNNBase names them.
std::string weight_name(const char* kind, int64_t layer, int64_t direction) {
  return std::string(kind) + "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
}

// What an expected shape means, for messages: "[4 * hidden_size, input_size]".
std::string shape_meaning(const Config& cfg, const char* kind, int64_t layer) {
  const std::string rows = cfg.gates() == 1 ? "hidden_size" : std::to_string(cfg.gates()) + " * hidden_size";
  if (kind[0] == 'b') return "[" + rows + "]";
  if (std::string(kind) == "weight_hh") return "[" + rows + ", hidden_size]";
  if (layer == 0) return "[" + rows + ", input_size]";
  return "[" + rows + ", " + (cfg.bidirectional ? "2 * hidden_size" : "hidden_size") + "] (layer " +
         std::to_string(layer) + " reads layer " + std::to_string(layer - 1) + "'s output)";
}

sdk::Buffer upload_checked(const sdk::LayerInit& init, const Config& cfg, const char* kind, int64_t layer,
                           int64_t direction, const Shape& expected) {
  const std::string name = weight_name(kind, layer, direction);
  // weight() reports a missing tensor with the file and full (prefixed) name.
  const View host = init.weight(name);
  if (host.shape() != expected)
    throw sdk::invalid_argument("weight '" + name + "' has shape " + host.shape_str() + ", expected " +
                                sdk::shape_string(expected) + " = " + shape_meaning(cfg, kind, layer) + " for " +
                                cfg.type + " with input_size " + std::to_string(cfg.input_size) + ", hidden_size " +
                                std::to_string(cfg.hidden_size) + (cfg.bidirectional ? ", bidirectional" : ""));
  return init.upload(name, expected);  // checks dtype f32 and contiguity, copies to the backend
}

}  // namespace

sdk::PackedRef pack_weights(const sdk::LayerInit& init, const Config& cfg) {
  // torch.nn.LSTM(proj_size > 0) adds weight_hr_l{k}; its h_n has another size.
  if (cfg.lstm() && init.has_weight("weight_hr_l0"))
    throw sdk::unsupported("the weights include 'weight_hr_l0': LSTM projections (torch's proj_size > 0) are not "
                           "supported");
  const int64_t rows = cfg.gates() * cfg.hidden_size;
  std::vector<sdk::Buffer> kept;  // the uploads, alive until rnn_pack has copied them
  std::vector<View> w_ih, w_hh, b_ih, b_hh;
  auto add = [&](std::vector<View>& into, const char* kind, int64_t l, int64_t d, const Shape& shape) {
    kept.push_back(upload_checked(init, cfg, kind, l, d, shape));
    into.push_back(kept.back().view());
  };
  kept.reserve(static_cast<size_t>(cfg.states() * 4));
  for (int64_t l = 0; l < cfg.num_layers; ++l)
    for (int64_t d = 0; d < cfg.dirs(); ++d) {
      const int64_t in = l == 0 ? cfg.input_size : cfg.output_size();
      add(w_ih, "weight_ih", l, d, {rows, in});
      add(w_hh, "weight_hh", l, d, {rows, cfg.hidden_size});
      if (cfg.bias) {
        add(b_ih, "bias_ih", l, d, {rows});
        add(b_hh, "bias_hh", l, d, {rows});
      }
    }
  return init.ops().rnn_pack(cfg.rnn_args(), w_ih, w_hh, b_ih, b_hh);
}

}  // namespace loom::recurrent
