// rnn, lstm and gru against torch.nn.RNN / LSTM / GRU on the committed
// fixtures (tests/fixtures/recurrent/gen_recurrent.py), on every backend:
// num_layers 1-3 x uni/bidirectional x batch_first off/on, each without and
// with h0 (and c0), and with two sets of ragged lengths (pack_padded_sequence).
#include <doctest/doctest.h>

#include <algorithm>

#include "recurrent_test_util.hpp"

namespace loom::recurrent_test {
namespace {

const char* const kVariants[] = {"plain", "h0", "lenA", "h0_lenA", "lenB", "h0_lenB"};

// Runs every variant of one stack and layout; returns the largest error.
double check_stack(const std::shared_ptr<Backend>& be, const Cell& c, const Stack& s, bool batch_first,
                   const SafetensorsFile& weights, const SafetensorsFile& expected) {
  const Fixtures& fx = fixtures();
  const std::string layout = batch_first ? "_bf" : "_tm";
  auto layer = test::plugins().create_layer(c.type, be, layer_options(c, s, batch_first), &weights,
                                            c.fixture + "_" + s.name() + layout, s.name() + ".");
  const Tensor x = be->upload(batch_first ? fx.input_batch_first : fx.input);
  const Tensor h0 = be->upload(fx.h0.slice(0, 0, s.states()));
  const Tensor c0 = be->upload(fx.c0.slice(0, 0, s.states()));
  double worst = 0;
  for (const std::string variant : kVariants) {
    TensorMap in{{"input", x}};
    if (variant.rfind("h0", 0) == 0) {
      in["h0"] = h0;
      if (c.lstm()) in["c0"] = c0;
    }
    if (variant.find("lenA") != std::string::npos) in["lengths"] = be->upload(fx.lengths_a);
    if (variant.find("lenB") != std::string::npos) in["lengths"] = be->upload(fx.lengths_b);
    const std::string name = s.name() + layout + "." + variant;
    CAPTURE(name);
    worst = std::max(worst, compare_outputs(be, layer->forward(in), expected, name, c.lstm()));
  }
  return worst;
}

void check_cell(const std::string& fixture) {
  const Cell& c = cell(fixture);
  auto weights = fixtures().weights(c.fixture);
  auto expected = fixtures().expected(c.fixture);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    double worst = 0;
    int stacks = 0;
    for (int layers : {1, 2, 3})
      for (bool bidirectional : {false, true})
        for (bool batch_first : {false, true}) {
          worst = std::max(worst, check_stack(be, c, Stack{layers, bidirectional, true}, batch_first, *weights,
                                              *expected));
          ++stacks;
        }
    worst = std::max(worst, check_stack(be, c, Stack{2, true, false}, false, *weights, *expected));
    ++stacks;
    if (verbose())
      MESSAGE(c.fixture << " on " << be->name() << ": " << stacks << " stacks x 6 variants, max abs error " << worst);
  });
}

TEST_CASE("rnn with tanh matches torch.nn.RNN over layers and directions and layouts and lengths") {
  check_cell("rnn_tanh");
}
TEST_CASE("rnn with relu matches torch.nn.RNN over layers and directions and layouts and lengths") {
  check_cell("rnn_relu");
}
TEST_CASE("lstm matches torch.nn.LSTM over layers and directions and layouts and lengths") { check_cell("lstm"); }
TEST_CASE("gru matches torch.nn.GRU over layers and directions and layouts and lengths") { check_cell("gru"); }

TEST_CASE("a bare torch state_dict loads without a prefix") {
  const Fixtures& fx = fixtures();
  auto weights = SafetensorsFile::open(fixture_path("lstm_l2_bi_state_dict.safetensors"));
  auto expected = fx.expected("lstm");
  const Stack s{2, true, true};
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("lstm", be, layer_options(cell("lstm"), s, false), weights.get(), "enc");
    TensorMap in{{"input", be->upload(fx.input)},
                 {"h0", be->upload(fx.h0.slice(0, 0, 4))},
                 {"c0", be->upload(fx.c0.slice(0, 0, 4))},
                 {"lengths", be->upload(fx.lengths_a)}};
    compare_outputs(be, layer->forward(in), *expected, "l2_bi_tm.h0_lenA", true);
  });
}

}  // namespace
}  // namespace loom::recurrent_test
