// Each attention layer against PyTorch on the committed fixtures, on every
// backend: outputs and attention weights, with and without the weights
// requested.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "attention_test_util.hpp"

namespace loom::attention_test {
namespace {

// Runs fixture `name` with weights requested and without, and checks both.
void check_fixture(const std::string& name, const OptionMap& extra = {}) {
  const Fixture f = Fixture::load(name);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, extra);
    const TensorMap inputs = upload(be, f.inputs);
    TensorMap out = layer->forward(inputs, /*want_attention=*/true);
    check_close(get(be, out, "output"), f.output, name + " output on " + be->name());
    check_close(get(be, out, "attention"), f.attention, name + " attention on " + be->name());

    // Not requested: not produced, and the output does not change.
    TensorMap plain = layer->forward(inputs, /*want_attention=*/false);
    CHECK(plain.count("attention") == 0);
    CHECK(test::max_abs_diff(get(be, plain, "output"), get(be, out, "output")) == 0.0);
  });
}

TEST_CASE("multihead_attention matches torch: self attention seq-first without masks") { check_fixture("mha_self"); }
TEST_CASE("multihead_attention matches torch: self attention batch_first with a key padding mask") {
  check_fixture("mha_self_batch_first_kpm");
}
TEST_CASE("multihead_attention matches torch: causal option vs a torch LxL bool mask") {
  check_fixture("mha_self_causal");
}
TEST_CASE("multihead_attention matches torch: additive float LxS mask with -inf") {
  check_fixture("mha_self_float_mask");
}
TEST_CASE("multihead_attention matches torch: cross attention with kdim and vdim != embed_dim") {
  // bool key padding mask and bool [N*H, L, S] attn_mask together
  check_fixture("mha_cross_kvdim");
}
TEST_CASE("multihead_attention matches torch: cross attention seq-first with float masks") {
  check_fixture("mha_cross_seq_first_float");
}
TEST_CASE("multihead_attention matches torch: no bias") { check_fixture("mha_nobias"); }
TEST_CASE("multihead_attention matches torch: weights averaged over heads") { check_fixture("mha_average"); }
TEST_CASE("multihead_attention matches torch: unbatched 2-D query") { check_fixture("mha_unbatched"); }
TEST_CASE("multihead_attention matches torch: separate q_proj k_proj v_proj modules") {
  check_fixture("mha_modules_self");
  check_fixture("mha_modules_cross");
}
TEST_CASE("multihead_attention matches torch: longer causal self attention with padding") {
  check_fixture("mha_long_causal_kpm");
}
TEST_CASE("multihead_attention matches torch: longer cross attention with a bool LxS mask") {
  check_fixture("mha_long_cross_mask");
}

TEST_CASE("scaled_dot_product matches torch: 4-D inputs without a mask") { check_fixture("sdpa_basic"); }
TEST_CASE("scaled_dot_product matches torch: causal") { check_fixture("sdpa_causal"); }
TEST_CASE("scaled_dot_product matches torch: bool LxS mask broadcast over batch dims") {
  check_fixture("sdpa_bool_mask");
}
TEST_CASE("scaled_dot_product matches torch: float mask and an explicit scale") {
  check_fixture("sdpa_float_mask_scale");
}

TEST_CASE("bahdanau matches the equations: one decoder step with padding") { check_fixture("bahdanau_step"); }
TEST_CASE("bahdanau matches the equations: several steps with biases and separate values") {
  check_fixture("bahdanau_steps_bias_values");
}
TEST_CASE("luong matches the equations: dot score") { check_fixture("luong_dot"); }
TEST_CASE("luong matches the equations: general score over several steps") { check_fixture("luong_general"); }
TEST_CASE("luong matches the equations: concat score with bias") { check_fixture("luong_concat"); }
TEST_CASE("luong matches the equations: concat score over several steps") { check_fixture("luong_concat_steps"); }

// ---- the same references through other input layouts ----

TEST_CASE("multihead_attention takes key and value equal to query or copies of it") {
  // Self attention with key omitted, the very same tensor, or an equal copy.
  const Fixture f = Fixture::load("mha_self");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    const Tensor q = be->upload(f.inputs.at("query"));
    const Tensor copy = be->upload(clone(f.inputs.at("query")));
    for (const TensorMap& in : {TensorMap{{"query", q}, {"key", q}}, TensorMap{{"query", q}, {"key", q}, {"value", q}},
                                TensorMap{{"query", q}, {"key", copy}}, TensorMap{{"query", q}, {"key", copy}, {"value", q}}}) {
      TensorMap out = layer->forward(in, true);
      check_close(get(be, out, "output"), f.output, "output");
      check_close(get(be, out, "attention"), f.attention, "attention");
    }
  });
}

TEST_CASE("multihead_attention takes strided inputs") {
  // mha_cross_kvdim's inputs stored [L, N, E] and viewed back as [N, L, E].
  const Fixture f = Fixture::load("mha_cross_kvdim");
  auto transposed_copy = [](const Tensor& t) {  // same values, storage order of dims 0 and 1 swapped
    Tensor s = Tensor::host(t.dtype(), {t.dim(1), t.dim(0), t.dim(2)});
    for (int64_t i = 0; i < t.dim(0); ++i)
      for (int64_t j = 0; j < t.dim(1); ++j)
        for (int64_t k = 0; k < t.dim(2); ++k)
          s.data_as<float>()[(j * t.dim(0) + i) * t.dim(2) + k] = t.data_as<float>()[(i * t.dim(1) + j) * t.dim(2) + k];
    return s;
  };
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    for (const char* name : {"query", "key", "value"}) {
      in[name] = be->upload(transposed_copy(f.inputs.at(name))).transpose(0, 1);
      REQUIRE_FALSE(in[name].is_contiguous());
    }
    TensorMap out = layer->forward(in, true);
    check_close(get(be, out, "output"), f.output, "output");
    check_close(get(be, out, "attention"), f.attention, "attention");
  });
}

TEST_CASE("multihead_attention is safe to call from several threads at once") {
  const Fixture f = Fixture::load("mha_cross_kvdim");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    const TensorMap in = upload(be, f.inputs);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 10; ++i) {
          TensorMap out = layer->forward(in, true);
          if (test::max_abs_diff(be->download(out.at("output")), f.output) > kTolerance ||
              test::max_abs_diff(be->download(out.at("attention")), f.attention) > kTolerance)
            ++bad;
        }
      });
    for (auto& t : threads) t.join();
    CHECK(bad.load() == 0);
  });
}

TEST_CASE("scaled_dot_product takes 2-D inputs without batch dims") {
  const Fixture f = Fixture::load("sdpa_basic");  // [2, 3, L 5, E 4], value Ev 7
  auto first = [](const Tensor& t) { return clone(t).slice(0, 1, 2).slice(1, 2, 3).reshape({t.dim(2), t.dim(3)}); };
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in;
    for (const char* name : {"query", "key", "value"}) in[name] = be->upload(first(f.inputs.at(name)));
    TensorMap out = layer->forward(in, true);
    check_close(get(be, out, "output"), first(f.output), "output");
    check_close(get(be, out, "attention"), first(f.attention), "attention");
  });
}

TEST_CASE("attention layers take empty batches and an empty query") {
  const Fixture mha = Fixture::load("mha_self_batch_first_kpm");  // E 8, batch_first
  const Fixture bah = Fixture::load("bahdanau_step");             // Dq 5, Dk 6
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = mha.make(be);
    TensorMap out = layer->forward({{"query", be->empty(DType::f32, {0, 4, 8})}}, true);
    CHECK(out.at("output").shape() == Shape{0, 4, 8});
    CHECK(out.at("attention").shape() == Shape{0, 4, 4, 4});
    out = layer->forward({{"query", be->empty(DType::f32, {2, 0, 8})}}, true);
    CHECK(out.at("output").shape() == Shape{2, 0, 8});

    auto b = bah.make(be);
    out = b->forward({{"query", be->empty(DType::f32, {0, 5})}, {"keys", be->empty(DType::f32, {0, 3, 6})}}, true);
    CHECK(out.at("output").shape() == Shape{0, 6});
    CHECK(out.at("attention").shape() == Shape{0, 3});
  });
}

}  // namespace
}  // namespace loom::attention_test
