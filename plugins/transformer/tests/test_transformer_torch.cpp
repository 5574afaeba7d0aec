// Every transformer layer against PyTorch on the committed fixtures, on every
// backend: outputs, and for single layers the attention maps of every head.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "transformer_test_util.hpp"

namespace loom::transformer_test {
namespace {

// Runs fixture `name`, checks every expected tensor, and checks that asking
// for the attention maps does not change the output.
void check_fixture(const std::string& name, double tolerance) {
  const Fixture f = Fixture::load(name);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    const TensorMap inputs = upload(be, f.inputs);
    const TensorMap out = layer->forward(inputs, /*want_attention=*/true);
    for (const auto& [k, want] : f.expected)
      check_close(get(be, out, k), want, name + " " + k + " on " + be->name(), tolerance);
    const TensorMap plain = layer->forward(inputs, /*want_attention=*/false);
    CHECK(plain.count("attention") == 0);
    CHECK(plain.count("self_attention") == 0);
    CHECK(test::max_abs_diff(get(be, plain, "output"), get(be, out, "output")) == 0.0);
  });
}

TEST_CASE("transformer_encoder_layer matches torch: relu post-norm seq-first with padding") {
  check_fixture("enc_relu_post_seq", kLayerTolerance);
}
TEST_CASE("transformer_encoder_layer matches torch: gelu pre-norm batch_first with padding") {
  check_fixture("enc_gelu_pre_bf", kLayerTolerance);
}
TEST_CASE("transformer_encoder_layer matches torch: gelu post-norm batch_first causal") {
  check_fixture("enc_gelu_post_bf_causal", kLayerTolerance);
}
TEST_CASE("transformer_encoder_layer matches torch: relu pre-norm seq-first with padding") {
  check_fixture("enc_relu_pre_seq", kLayerTolerance);
}
TEST_CASE("transformer_decoder_layer matches torch: relu post-norm seq-first causal with padding") {
  check_fixture("dec_relu_post_seq", kLayerTolerance);
}
TEST_CASE("transformer_decoder_layer matches torch: gelu pre-norm batch_first causal with padding") {
  check_fixture("dec_gelu_pre_bf", kLayerTolerance);
}
TEST_CASE("transformer_decoder_layer matches torch: gelu post-norm batch_first without causal mask") {
  check_fixture("dec_gelu_post_bf_nocausal", kLayerTolerance);
}
TEST_CASE("transformer_decoder_layer matches torch: relu pre-norm seq-first causal with padding") {
  check_fixture("dec_relu_pre_seq", kLayerTolerance);
}
TEST_CASE("transformer_encoder matches torch: 6 relu post-norm layers with a final norm") {
  check_fixture("enc6_relu_post_seq_norm", kStackTolerance);
}
TEST_CASE("transformer_encoder matches torch: 6 gelu pre-norm batch_first layers without a final norm") {
  check_fixture("enc6_gelu_pre_bf", kStackTolerance);
}
TEST_CASE("transformer_decoder matches torch: 6 relu post-norm batch_first layers") {
  check_fixture("dec6_relu_post_bf", kStackTolerance);
}
TEST_CASE("transformer_decoder matches torch: 6 gelu pre-norm seq-first layers") {
  check_fixture("dec6_gelu_pre_seq", kStackTolerance);
}
TEST_CASE("transformer matches torch nn.Transformer: relu post-norm seq-first with all masks") {
  check_fixture("tf_relu_post_seq", kStackTolerance);
}
TEST_CASE("transformer matches torch nn.Transformer: gelu pre-norm batch_first with all masks") {
  check_fixture("tf_gelu_pre_bf", kStackTolerance);
}
TEST_CASE("positional_encoding adds the exact sinusoidal table") {
  check_fixture("positional_sinusoidal", kLayerTolerance);
}
TEST_CASE("learned_positional_embedding adds its table rows") { check_fixture("positional_learned", kLayerTolerance); }
TEST_CASE("token_embedding scales rows by sqrt of d_model") { check_fixture("token_embedding_scaled", kLayerTolerance); }

TEST_CASE("learned_positional_embedding offset starts at a later table row") {
  const Fixture f = Fixture::load("positional_learned");  // max_len 12, d 6, seq-first [9, 2, 6]
  const Tensor table = *f.file->find("weight");
  const Tensor& x = f.inputs.at("input");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, {{"offset", "3"}});
    const Tensor got = get(be, layer->forward(upload(be, f.inputs)), "output");
    double err = 0;
    for (int64_t t = 0; t < 9; ++t)
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t j = 0; j < 6; ++j) {
          const int64_t i = (t * 2 + n) * 6 + j;
          const float want = x.data_as<float>()[i] + table.data_as<float>()[(t + 3) * 6 + j];
          err = std::max(err, static_cast<double>(std::fabs(got.data_as<float>()[i] - want)));
        }
    CHECK(err == 0.0);
    // 9 rows from offset 4 need row 12 of a 12-row table.
    auto late = f.make(be, {{"offset", "4"}});
    const std::string m = error_of([&] { late->forward(upload(be, f.inputs)); });
    CHECK_MESSAGE(contains(m, "sequence of 9 positions from offset 4 is longer than"), m);
  });
}

TEST_CASE("transformer stacks return the attention maps of every layer and head") {
  const Fixture f = Fixture::load("tf_relu_post_seq");  // N 2, H 2, 6 + 6 layers, src 6, tgt 5
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    const TensorMap out = layer->forward(upload(be, f.inputs), true);
    CHECK(get(be, out, "encoder_attention").shape() == Shape{6, 2, 2, 6, 6});
    CHECK(get(be, out, "self_attention").shape() == Shape{6, 2, 2, 5, 5});
    CHECK(get(be, out, "cross_attention").shape() == Shape{6, 2, 2, 5, 6});
    // Each row of every map sums to one.
    const Tensor w = get(be, out, "cross_attention");
    for (int64_t r = 0; r < w.numel() / 6; ++r) {
      double sum = 0;
      for (int64_t j = 0; j < 6; ++j) sum += w.data_as<float>()[r * 6 + j];
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    }
  });
}

}  // namespace
}  // namespace loom::transformer_test
