// What rnn, lstm and gru say when given something wrong. Every message names
// the layer (the host adds it), the tensor or option, and what was expected.
#include <doctest/doctest.h>

#include "recurrent_test_util.hpp"

namespace loom::recurrent_test {
namespace {

// An lstm "enc" of one of the fixtures' stacks: from the fixture file (under
// the stack's prefix) or from memory weights without a prefix.
std::unique_ptr<Layer> make_lstm(const std::shared_ptr<Backend>& be, const Stack& s, const SafetensorsFile& w) {
  return test::plugins().create_layer("lstm", be, layer_options(cell("lstm"), s, false), &w, "enc", s.name() + ".");
}
std::unique_ptr<Layer> make_lstm(const std::shared_ptr<Backend>& be, const Stack& s, const MemoryWeights& w) {
  return test::plugins().create_layer("lstm", be, layer_options(cell("lstm"), s, false), &w, "enc");
}

Tensor host_i64(std::initializer_list<int64_t> values) {
  Tensor t = Tensor::host(DType::i64, {static_cast<int64_t>(values.size())});
  int64_t i = 0;
  for (int64_t v : values) t.data_as<int64_t>()[i++] = v;
  return t;
}

// The fixture weights of one stack copied into memory (without the prefix), minus `drop`.
MemoryWeights stack_weights(const std::string& fixture, const Stack& s, const std::string& drop = "") {
  auto file = fixtures().weights(fixture);
  MemoryWeights m;
  for (int l = 0; l < s.layers; ++l)
    for (const char* sfx : {"", "_reverse"}) {
      if (*sfx && !s.bidirectional) continue;
      for (const char* kind : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
        const std::string name = std::string(kind) + "_l" + std::to_string(l) + sfx;
        if (name != drop) m.add(name, *file->find(s.name() + "." + name));
      }
    }
  return m;
}

TEST_CASE("an input with the wrong feature size or rank or dtype is named with what was expected") {
  auto weights = fixtures().weights("lstm");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = make_lstm(be, Stack{1, false, true}, *weights);
    std::string m = error_of([&] { layer->forward(be->upload(test::random_tensor({4, 3, 6}, 1))); });
    CHECK_MESSAGE(contains(m, "'enc' (lstm)"), m);
    CHECK_MESSAGE(contains(m, "6 features"), m);
    CHECK_MESSAGE(contains(m, "[4, 3, 6]"), m);
    CHECK_MESSAGE(contains(m, "input_size = 7"), m);

    m = error_of([&] { layer->forward(be->upload(test::random_tensor({2, 4, 3, 7}, 1))); });
    CHECK_MESSAGE(contains(m, "'enc'"), m);
    CHECK_MESSAGE(contains(m, "[2, 4, 3, 7]"), m);
    CHECK_MESSAGE(contains(m, "[T, N, input_size = 7]"), m);

    m = error_of([&] { layer->forward(be->upload(Tensor::host(DType::i64, {4, 3, 7}))); });
    CHECK_MESSAGE(contains(m, "'enc'"), m);
    CHECK_MESSAGE(contains(m, "i64"), m);
    CHECK_MESSAGE(contains(m, "f32"), m);

    // batch_first says so in the expected layout.
    auto bf = test::plugins().create_layer("gru", be, layer_options(cell("gru"), Stack{1, false, true}, true),
                                           fixtures().weights("gru").get(), "dec", "l1_uni.");
    m = error_of([&] { bf->forward(be->upload(test::random_tensor({7}, 1))); });
    CHECK_MESSAGE(contains(m, "'dec' (gru)"), m);
    CHECK_MESSAGE(contains(m, "[N, T, input_size = 7]"), m);
  });
}

TEST_CASE("a missing weight is named with its full name and the file") {
  auto weights = fixtures().weights("lstm");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    // A bidirectional layer over unidirectional weights: the reverse ones are missing.
    std::string m = error_of([&] {
      test::plugins().create_layer("lstm", be, layer_options(cell("lstm"), Stack{1, true, true}, false),
                                   weights.get(), "enc", "l1_uni.");
    });
    CHECK_MESSAGE(contains(m, "'enc'"), m);
    CHECK_MESSAGE(contains(m, "l1_uni.weight_ih_l0_reverse"), m);
    CHECK_MESSAGE(contains(m, "lstm.safetensors"), m);

    // More layers than the file has.
    m = error_of([&] {
      test::plugins().create_layer("lstm", be, layer_options(cell("lstm"), Stack{3, false, true}, false),
                                   weights.get(), "enc", "l2_uni.");
    });
    CHECK_MESSAGE(contains(m, "l2_uni.weight_ih_l2"), m);

    for (const char* drop : {"weight_hh_l1", "bias_ih_l0_reverse", "bias_hh_l1"}) {
      const Stack s{2, true, true};
      MemoryWeights w = stack_weights("lstm", s, drop);
      m = error_of([&] { make_lstm(be, s, w); });
      CHECK_MESSAGE(contains(m, "'enc'"), m);
      CHECK_MESSAGE(contains(m, "'" + std::string(drop) + "'"), m);
    }
  });
}

TEST_CASE("a weight of the wrong shape names the tensor and both shapes") {
  auto weights = fixtures().weights("lstm");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    OptionMap o = layer_options(cell("lstm"), Stack{1, false, true}, false);
    o["hidden_size"] = "6";
    std::string m = error_of([&] { test::plugins().create_layer("lstm", be, o, weights.get(), "enc", "l1_uni."); });
    CHECK_MESSAGE(contains(m, "'enc' (lstm)"), m);
    CHECK_MESSAGE(contains(m, "'weight_ih_l0'"), m);
    CHECK_MESSAGE(contains(m, "[20, 7]"), m);
    CHECK_MESSAGE(contains(m, "[24, 7]"), m);
    CHECK_MESSAGE(contains(m, "4 * hidden_size"), m);

    o = layer_options(cell("gru"), Stack{1, false, true}, false);
    o["input_size"] = "8";
    m = error_of([&] {
      test::plugins().create_layer("gru", be, o, fixtures().weights("gru").get(), "enc", "l1_uni.");
    });
    CHECK_MESSAGE(contains(m, "'enc' (gru)"), m);
    CHECK_MESSAGE(contains(m, "[15, 7]"), m);
    CHECK_MESSAGE(contains(m, "[15, 8]"), m);

    // Layer 1 of a bidirectional stack reads 2 * hidden_size features.
    const Stack s{2, true, true};
    MemoryWeights w = stack_weights("lstm", s, "weight_ih_l1");
    w.add("weight_ih_l1", test::random_tensor({20, 5}, 3));
    m = error_of([&] { make_lstm(be, s, w); });
    CHECK_MESSAGE(contains(m, "'weight_ih_l1'"), m);
    CHECK_MESSAGE(contains(m, "[20, 5]"), m);
    CHECK_MESSAGE(contains(m, "[20, 10]"), m);
    CHECK_MESSAGE(contains(m, "2 * hidden_size"), m);

    // A bias of the wrong dtype.
    MemoryWeights w2 = stack_weights("lstm", s, "bias_hh_l0");
    w2.add("bias_hh_l0", Tensor::host(DType::f16, {20}));
    m = error_of([&] { make_lstm(be, s, w2); });
    CHECK_MESSAGE(contains(m, "'bias_hh_l0'"), m);
    CHECK_MESSAGE(contains(m, "f16"), m);
  });
}

TEST_CASE("lengths larger than T or below 1 or of the wrong shape are refused") {
  auto weights = fixtures().weights("lstm");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (bool bidirectional : {false, true}) {
      auto layer = make_lstm(be, Stack{1, bidirectional, true}, *weights);
      const Tensor x = be->upload(fixtures().input);  // [4, 3, 7]
      auto run = [&](const Tensor& lengths) {
        return error_of([&] { layer->forward(TensorMap{{"input", x}, {"lengths", be->upload(lengths)}}); });
      };
      std::string m = run(host_i64({3, 5, 1}));
      CHECK_MESSAGE(contains(m, "'enc' (lstm)"), m);
      CHECK_MESSAGE(contains(m, "lengths[1] = 5"), m);
      CHECK_MESSAGE(contains(m, "T = 4"), m);

      m = run(host_i64({3, 0, 1}));
      CHECK_MESSAGE(contains(m, "'enc'"), m);
      CHECK_MESSAGE(contains(m, "lengths[1] = 0 is below 1"), m);

      m = run(host_i64({-2, 1, 1}));
      CHECK_MESSAGE(contains(m, "lengths[0] = -2"), m);

      m = run(host_i64({3, 1}));
      CHECK_MESSAGE(contains(m, "'enc'"), m);
      CHECK_MESSAGE(contains(m, "[2]"), m);
      CHECK_MESSAGE(contains(m, "[N] = [3]"), m);

      m = run(test::random_tensor({3}, 1, 1, 4));
      CHECK_MESSAGE(contains(m, "lengths has dtype f32"), m);

      // An unbatched input has no batch to give lengths for.
      m = error_of([&] {
        layer->forward(TensorMap{{"input", be->upload(test::random_tensor({4, 7}, 1))},
                                 {"lengths", be->upload(host_i64({4}))}});
      });
      CHECK_MESSAGE(contains(m, "unbatched"), m);
    }
  });
}

TEST_CASE("h0 or c0 of the wrong shape and c0 for a cell without one are refused") {
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = make_lstm(be, Stack{2, true, true}, *fixtures().weights("lstm"));
    const Tensor x = be->upload(fixtures().input);
    std::string m = error_of([&] {
      layer->forward(TensorMap{{"input", x}, {"h0", be->upload(test::random_tensor({2, 3, 5}, 1))}});
    });
    CHECK_MESSAGE(contains(m, "'enc' (lstm)"), m);
    CHECK_MESSAGE(contains(m, "h0 has shape [2, 3, 5]"), m);
    CHECK_MESSAGE(contains(m, "[4, 3, 5]"), m);
    CHECK_MESSAGE(contains(m, "num_layers * num_directions"), m);

    m = error_of([&] {
      layer->forward(TensorMap{{"input", x}, {"c0", be->upload(test::random_tensor({4, 2, 5}, 1))}});
    });
    CHECK_MESSAGE(contains(m, "c0 has shape [4, 2, 5]"), m);
    CHECK_MESSAGE(contains(m, "N = 3"), m);

    m = error_of([&] {
      layer->forward(TensorMap{{"input", x}, {"h0", be->upload(Tensor::host(DType::i32, {4, 3, 5}))}});
    });
    CHECK_MESSAGE(contains(m, "h0 has dtype i32"), m);

    // Unbatched: states are [L*D, H].
    m = error_of([&] {
      layer->forward(TensorMap{{"input", be->upload(test::random_tensor({4, 7}, 1))},
                               {"h0", be->upload(test::random_tensor({4, 1, 5}, 1))}});
    });
    CHECK_MESSAGE(contains(m, "[num_layers * num_directions, hidden_size] = [4, 5]"), m);

    auto gru = test::plugins().create_layer("gru", be, layer_options(cell("gru"), Stack{1, false, true}, false),
                                            fixtures().weights("gru").get(), "dec", "l1_uni.");
    m = error_of([&] {
      gru->forward(TensorMap{{"input", x}, {"c0", be->upload(test::random_tensor({1, 3, 5}, 1))}});
    });
    CHECK_MESSAGE(contains(m, "'dec' (gru)"), m);
    CHECK_MESSAGE(contains(m, "only lstm takes c0"), m);
  });
}

TEST_CASE("options that are unknown or out of range and unsupported projections") {
  auto weights = fixtures().weights("rnn_tanh");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    OptionMap o = layer_options(cell("rnn_tanh"), Stack{1, false, true}, false);
    o["nonlinearity"] = "sigmoid";
    std::string m = error_of([&] { test::plugins().create_layer("rnn", be, o, weights.get(), "enc", "l1_uni."); });
    CHECK_MESSAGE(contains(m, "'enc'"), m);
    CHECK_MESSAGE(contains(m, "tanh|relu"), m);

    // lstm has no nonlinearity option (as torch.nn.LSTM).
    o = layer_options(cell("lstm"), Stack{1, false, true}, false);
    o["nonlinearity"] = "tanh";
    m = error_of([&] {
      test::plugins().create_layer("lstm", be, o, fixtures().weights("lstm").get(), "enc", "l1_uni.");
    });
    CHECK_MESSAGE(contains(m, "'nonlinearity'"), m);

    for (const char* key : {"hidden_size", "num_layers", "input_size"}) {
      o = layer_options(cell("rnn_tanh"), Stack{1, false, true}, false);
      o[key] = "0";
      m = error_of([&] { test::plugins().create_layer("rnn", be, o, weights.get(), "enc", "l1_uni."); });
      CHECK_MESSAGE(contains(m, "'enc'"), m);
      CHECK_MESSAGE(contains(m, std::string("option '") + key + "' must be in [1"), m);
    }

    o = layer_options(cell("rnn_tanh"), Stack{1, false, true}, false);
    o.erase("hidden_size");
    m = error_of([&] { test::plugins().create_layer("rnn", be, o, weights.get(), "enc", "l1_uni."); });
    CHECK_MESSAGE(contains(m, "hidden_size"), m);

    // torch.nn.LSTM(proj_size=...) adds weight_hr_l0: refused, not misread.
    const Stack s{1, false, true};
    MemoryWeights w = stack_weights("lstm", s);
    w.add("weight_hr_l0", test::random_tensor({3, 5}, 1));
    m = error_of([&] { make_lstm(be, s, w); });
    CHECK_MESSAGE(contains(m, "'enc'"), m);
    CHECK_MESSAGE(contains(m, "proj_size"), m);
  });
}

}  // namespace
}  // namespace loom::recurrent_test
