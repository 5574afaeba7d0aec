// The same torch references through other ways of calling the layers: step
// mode (one step at a time, state in and out, as a decoder runs), torch's
// unbatched input, strided inputs, lengths that are all T, empty batches and
// many threads at once.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "recurrent_test_util.hpp"

namespace loom::recurrent_test {
namespace {

// Feeds the input one step at a time, each step's h_n/c_n the next step's
// h0/c0, and compares every step's output and the final states with torch's
// full-sequence run. Returns the largest error.
double check_steps(const std::shared_ptr<Backend>& be, const Cell& c, const Stack& s, bool batch_first,
                   bool initial_state, const SafetensorsFile& weights, const SafetensorsFile& expected) {
  const Fixtures& fx = fixtures();
  auto layer = test::plugins().create_layer(c.type, be, layer_options(c, s, batch_first), &weights, "decoder",
                                            s.name() + ".");
  const std::string prefix = s.name() + (batch_first ? "_bf." : "_tm.") + (initial_state ? "h0" : "plain");
  CAPTURE(prefix);
  const Tensor x = be->upload(batch_first ? fx.input_batch_first : fx.input);
  const Tensor want_out = expected_tensor(expected, prefix + ".output");
  Tensor h, cell_state;
  if (initial_state) {
    h = be->upload(fx.h0.slice(0, 0, s.states()));
    if (c.lstm()) cell_state = be->upload(fx.c0.slice(0, 0, s.states()));
  }
  double worst = 0;
  for (int64_t t = 0; t < kSteps; ++t) {
    // One step: [1, N, I], or [N, 1, I] (a strided view) with batch_first.
    TensorMap in{{"input", batch_first ? x.slice(1, t, t + 1) : x.slice(0, t, t + 1)}};
    if (h.defined()) in["h0"] = h;
    if (cell_state.defined()) in["c0"] = cell_state;
    TensorMap out = layer->forward(in);
    const Tensor got = be->download(out.at("output"));
    const Tensor want = batch_first ? want_out.slice(1, t, t + 1) : want_out.slice(0, t, t + 1);
    REQUIRE(got.shape() == want.shape());
    const double err = test::max_abs_diff(got, want);
    CHECK_MESSAGE(err <= kTolerance, "step " << t << ": max abs error " << err);
    worst = std::max(worst, err);
    h = out.at("h_n");
    if (c.lstm()) cell_state = out.at("c_n");
  }
  for (const char* n : {"h_n", "c_n"}) {
    if (std::string(n) == "c_n" && !c.lstm()) continue;
    const Tensor got = be->download(std::string(n) == "h_n" ? h : cell_state);
    const double err = test::max_abs_diff(got, expected_tensor(expected, prefix + "." + n));
    CHECK_MESSAGE(err <= kTolerance, n << " after " << kSteps << " steps: max abs error " << err);
    worst = std::max(worst, err);
  }
  return worst;
}

TEST_CASE("step mode one step at a time matches the full sequence for every cell") {
  // SUBCASEs stay out of loops: each backend is one subcase running every cell.
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (const Cell& c : cells()) {
      CAPTURE(c.fixture);
      auto weights = fixtures().weights(c.fixture);
      auto expected = fixtures().expected(c.fixture);
      double worst = 0;
      for (int layers : {1, 2, 3})
        for (bool batch_first : {false, true})
          for (bool initial_state : {false, true})
            worst = std::max(worst, check_steps(be, c, Stack{layers, false, true}, batch_first, initial_state,
                                                *weights, *expected));
      if (verbose()) MESSAGE(c.fixture << " step mode on " << be->name() << ": max abs error " << worst);
    }
  });
}

TEST_CASE("an unbatched input follows torch with a 2-D input and 2-D states") {
  const Fixtures& fx = fixtures();
  const Stack s{2, true, true};
  // What gen_recurrent.py fed torch: sequence 1 of the batch.
  const Tensor x = contiguous_f32(fx.input.slice(1, 1, 2)).reshape({kSteps, kInput});
  const Tensor h0 = contiguous_f32(fx.h0.slice(0, 0, 4).slice(1, 1, 2)).reshape({4, kHidden});
  const Tensor c0 = contiguous_f32(fx.c0.slice(0, 0, 4).slice(1, 1, 2)).reshape({4, kHidden});
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (const Cell& c : cells()) {
      CAPTURE(c.fixture);
      auto weights = fixtures().weights(c.fixture);
      auto expected = fixtures().expected(c.fixture);
      // batch_first does not apply to an unbatched input, as in torch.
      for (bool batch_first : {false, true}) {
        auto layer = test::plugins().create_layer(c.type, be, layer_options(c, s, batch_first), weights.get(), "one",
                                                  "l2_bi.");
        compare_outputs(be, layer->forward(TensorMap{{"input", be->upload(x)}}), *expected,
                        "l2_bi_unbatched.plain", c.lstm());
        TensorMap in{{"input", be->upload(x)}, {"h0", be->upload(h0)}};
        if (c.lstm()) in["c0"] = be->upload(c0);
        compare_outputs(be, layer->forward(in), *expected, "l2_bi_unbatched.h0", c.lstm());
      }
    }
  });
}

TEST_CASE("strided inputs and states give the same results") {
  const Fixtures& fx = fixtures();
  const Cell& c = cell("lstm");
  auto weights = fx.weights("lstm");
  auto expected = fx.expected("lstm");
  // The input inside a wider buffer [T, N, I + 3]: rows are not contiguous.
  Tensor wide = Tensor::host(DType::f32, {kSteps, kBatch, kInput + 3});
  for (int64_t t = 0; t < kSteps; ++t)
    for (int64_t n = 0; n < kBatch; ++n)
      for (int64_t i = 0; i < kInput; ++i)
        wide.data_as<float>()[(t * kBatch + n) * (kInput + 3) + i] = fx.input.data_as<float>()[(t * kBatch + n) * kInput + i];
  // h0 stored batch-major [N, S, H] and viewed as [S, N, H].
  const Tensor h0_bm = contiguous_f32(fx.h0.slice(0, 0, 2).transpose(0, 1));
  const Tensor c0_bm = contiguous_f32(fx.c0.slice(0, 0, 2).transpose(0, 1));
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (bool bidirectional : {false, true}) {
      const Stack s{bidirectional ? 1 : 2, bidirectional, true};
      CAPTURE(s.name());
      auto layer = test::plugins().create_layer("lstm", be, layer_options(c, s, false), weights.get(), "enc",
                                                s.name() + ".");
      const Tensor x = be->upload(wide).slice(2, 0, kInput);
      REQUIRE_FALSE(x.is_contiguous());
      const Tensor h0 = be->upload(h0_bm).transpose(0, 1), c0 = be->upload(c0_bm).transpose(0, 1);
      REQUIRE_FALSE(h0.is_contiguous());
      for (const char* variant : {"h0", "h0_lenA", "h0_lenB"}) {
        TensorMap in{{"input", x}, {"h0", h0}, {"c0", c0}};
        if (std::string(variant) == "h0_lenA") in["lengths"] = be->upload(fx.lengths_a);
        if (std::string(variant) == "h0_lenB") in["lengths"] = be->upload(fx.lengths_b);
        compare_outputs(be, layer->forward(in), *expected, s.name() + "_tm." + variant, true);
      }
    }
  });
}

TEST_CASE("lengths that are all T give the full-sequence result in i64 and i32") {
  const Fixtures& fx = fixtures();
  Tensor full64 = Tensor::host(DType::i64, {kBatch});
  Tensor full32 = Tensor::host(DType::i32, {kBatch});
  for (int64_t n = 0; n < kBatch; ++n) {
    full64.data_as<int64_t>()[n] = kSteps;
    full32.data_as<int32_t>()[n] = static_cast<int32_t>(kSteps);
  }
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (const Cell& c : cells()) {
      CAPTURE(c.fixture);
      auto weights = fx.weights(c.fixture);
      auto expected = fx.expected(c.fixture);
      for (bool bidirectional : {false, true}) {
        const Stack s{2, bidirectional, true};
        auto layer = test::plugins().create_layer(c.type, be, layer_options(c, s, true), weights.get(), "enc",
                                                  s.name() + ".");
        for (const Tensor& lengths : {full64, full32})
          compare_outputs(be,
                          layer->forward(TensorMap{{"input", be->upload(fx.input_batch_first)},
                                                   {"lengths", be->upload(lengths)}}),
                          *expected, s.name() + "_bf.plain", c.lstm());
      }
    }
  });
}

TEST_CASE("an empty batch gives empty outputs of the right shapes") {
  const Fixtures& fx = fixtures();
  auto weights = fx.weights("gru");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    const Stack s{2, true, true};
    auto layer = test::plugins().create_layer("gru", be, layer_options(cell("gru"), s, false), weights.get(), "enc",
                                              "l2_bi.");
    TensorMap out = layer->forward(TensorMap{{"input", be->empty(DType::f32, {kSteps, 0, kInput})},
                                             {"lengths", be->empty(DType::i64, {0})}});
    CHECK(out.at("output").shape() == Shape{kSteps, 0, 2 * kHidden});
    CHECK(out.at("h_n").shape() == Shape{4, 0, kHidden});
  });
}

TEST_CASE("a layer is safe to call from several threads at once") {
  const Fixtures& fx = fixtures();
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (const char* name : {"lstm", "gru"}) {
      const Cell& c = cell(name);
      auto weights = fx.weights(name);
      auto expected = fx.expected(name);
      for (bool bidirectional : {false, true}) {
        const Stack s{2, bidirectional, true};
        const std::string prefix = s.name() + "_tm.h0_lenB";
        auto layer = test::plugins().create_layer(c.type, be, layer_options(c, s, false), weights.get(), "enc",
                                                  s.name() + ".");
        TensorMap in{{"input", be->upload(fx.input)},
                     {"h0", be->upload(fx.h0.slice(0, 0, s.states()))},
                     {"lengths", be->upload(fx.lengths_b)}};
        if (c.lstm()) in["c0"] = be->upload(fx.c0.slice(0, 0, s.states()));
        const Tensor want = expected_tensor(*expected, prefix + ".output");
        const Tensor want_h = expected_tensor(*expected, prefix + ".h_n");
        std::atomic<int> bad{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
          threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
              TensorMap out = layer->forward(in);
              if (test::max_abs_diff(be->download(out.at("output")), want) > kTolerance ||
                  test::max_abs_diff(be->download(out.at("h_n")), want_h) > kTolerance)
                ++bad;
            }
          });
        for (auto& t : threads) t.join();
        CHECK(bad.load() == 0);
      }
    }
  });
}

}  // namespace
}  // namespace loom::recurrent_test

namespace loom::recurrent_test {
namespace {

// torch takes (h0, c0) together; Loom lets either be left out as zeros.
TEST_CASE("lstm with only h0 or only c0 equals passing zeros for the other") {
  const Fixtures& fx = fixtures();
  auto weights = fx.weights("lstm");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (bool bidirectional : {false, true}) {
      const Stack s{2, bidirectional, true};
      auto layer = test::plugins().create_layer("lstm", be, layer_options(cell("lstm"), s, false), weights.get(),
                                                "enc", s.name() + ".");
      const Tensor x = be->upload(fx.input);
      const Tensor h0 = be->upload(fx.h0.slice(0, 0, s.states())), c0 = be->upload(fx.c0.slice(0, 0, s.states()));
      const Tensor zeros = be->upload(Tensor::host(DType::f32, {s.states(), kBatch, kHidden}));
      for (bool ragged : {false, true}) {
        TensorMap base{{"input", x}};
        if (ragged) base["lengths"] = be->upload(fx.lengths_b);
        for (bool keep_h : {true, false}) {
          TensorMap alone = base, both = base;
          alone[keep_h ? "h0" : "c0"] = keep_h ? h0 : c0;
          both["h0"] = keep_h ? h0 : zeros;
          both["c0"] = keep_h ? zeros : c0;
          TensorMap a = layer->forward(alone), b = layer->forward(both);
          for (const char* n : {"output", "h_n", "c_n"})
            CHECK_MESSAGE(test::max_abs_diff(be->download(a.at(n)), be->download(b.at(n))) <= 1e-6,
                          n << (ragged ? " ragged" : " dense") << (keep_h ? " h0 alone" : " c0 alone"));
        }
      }
    }
  });
}

}  // namespace
}  // namespace loom::recurrent_test
