// transformer_encoder_layer / transformer_encoder with attention: linformer
// and longformer, against torch.nn.TransformerEncoderLayer with its
// self-attention block swapped for the linformer package's
// LinformerSelfAttention or Hugging Face's LongformerSelfAttention
// (tests/fixtures/linformer/gen_linformer.py, tests/fixtures/longformer/
// gen_longformer.py), on every backend.
#include <doctest/doctest.h>

#include <cmath>

#include "transformer_test_util.hpp"

namespace loom::transformer_test {
namespace {

// Max |got - want| over the entries the reference defines (the linformer
// fixtures leave padded rows NaN: the package has no padding mask).
void check_defined(const Tensor& got, const Tensor& want, const std::string& what, double tolerance) {
  REQUIRE_MESSAGE(got.shape() == want.shape(),
                  what << ": shape " << shape_str(got.shape()) << ", expected " << shape_str(want.shape()));
  REQUIRE(got.is_contiguous());
  REQUIRE(want.is_contiguous());
  double worst = 0;
  int64_t defined = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const float w = want.data_as<float>()[i], g = got.data_as<float>()[i];
    if (std::isnan(w)) continue;
    ++defined;
    worst = std::max(worst, std::isnan(g) ? INFINITY : std::fabs(static_cast<double>(g) - w));
  }
  CHECK_MESSAGE((defined > 0 || want.numel() == 0), what << ": no defined entries");
  if (verbose()) MESSAGE(what << ": max abs error " << worst);
  CHECK_MESSAGE(worst <= tolerance, what << ": max abs error " << worst);
}

void check_fixture(const std::string& name) {
  const Fixture f = Fixture::load(name);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    const TensorMap inputs = upload(be, f.inputs);
    const TensorMap out = layer->forward(inputs, /*want_attention=*/true);
    for (const auto& [k, want] : f.expected)
      check_defined(get(be, out, k), want, name + " " + k + " on " + be->name(), kLayerTolerance);
    const TensorMap plain = layer->forward(inputs, /*want_attention=*/false);
    CHECK(plain.count("attention") == 0);
    CHECK(plain.count("global_attention") == 0);
    CHECK(test::max_abs_diff(get(be, plain, "output"), get(be, out, "output")) == 0.0);
  });
}

TEST_CASE("transformer_encoder_layer with linformer attention matches torch: relu post-norm seq-first, padding") {
  check_fixture("linformer/enc_relu_post_seq_headwise");
}
TEST_CASE("transformer_encoder_layer with linformer attention matches torch: gelu pre-norm batch_first, kv sharing") {
  check_fixture("linformer/enc_gelu_pre_bf_kv");
}
TEST_CASE("transformer_encoder with linformer attention matches torch: 2 layers sharing one projection") {
  check_fixture("linformer/enc2_layerwise_bf");
}
TEST_CASE("transformer_encoder_layer with longformer attention matches torch: relu post-norm batch_first, globals") {
  check_fixture("longformer/enc_relu_post_bf_global");
}
TEST_CASE("transformer_encoder_layer with longformer attention matches torch: gelu pre-norm seq-first, local only") {
  check_fixture("longformer/enc_gelu_pre_seq_local");
}

Tensor f32(const Shape& shape) {
  Tensor t = Tensor::host(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.01f * static_cast<float>(i % 17);
  return t;
}

TEST_CASE("transformer encoders reject options that do not fit the attention kind") {
  const Fixture lin = Fixture::load("linformer/enc_gelu_pre_bf_kv");  // E 16, seq_len 12
  const Fixture lon = Fixture::load("longformer/enc_relu_post_bf_global");
  const Fixture full = Fixture::load("enc_relu_post_seq");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    std::string m = error_of([&] { lin.make(be, {{"causal", "true"}}); });
    CHECK_MESSAGE(contains(m, "option 'causal' needs attention: full"), m);
    m = error_of([&] { lin.make(be, {{"linformer_seq_len", "0"}}); });
    CHECK_MESSAGE(contains(m, "option 'linformer_seq_len' must be >= 1 with attention: linformer"), m);
    m = error_of([&] { lon.make(be, {{"attention_window", "5"}}); });
    CHECK_MESSAGE(contains(m, "option 'attention_window' must be even and >= 2"), m);
    // The weights must be those of the kind asked for.
    m = error_of([&] { full.make(be, {{"attention", "linformer"}, {"linformer_seq_len", "12"}}); });
    CHECK_MESSAGE(contains(m, "missing weight 'self_attn.to_q.weight'"), m);
    m = error_of([&] { lin.make(be, {{"attention", "full"}}); });
    CHECK_MESSAGE(contains(m, "missing weight 'self_attn.in_proj_weight'"), m);
    MemoryWeights no_out;
    for (const auto& e : lon.file->entries())
      if (e.name != "self_attn.out_proj.bias") no_out.add(e.name, *lon.file->find(e.name));
    m = error_of([&] { lon.make(be, {}, &no_out); });
    CHECK_MESSAGE(contains(m, "missing weight 'self_attn.out_proj.bias'"), m);
  });
}

TEST_CASE("transformer encoders reject inputs that do not fit the attention kind") {
  const Fixture lin = Fixture::load("linformer/enc_gelu_pre_bf_kv");  // batch_first, E 16, seq_len 12
  const Fixture lon = Fixture::load("longformer/enc_relu_post_bf_global");  // batch_first, N 2, T 10
  const Fixture full = Fixture::load("enc_gelu_pre_bf");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = lin.make(be);
    TensorMap in{{"src", be->upload(f32({2, 13, 16}))}};
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'src' has 13 positions, more than seq_len = 12"), m);
    in = {{"src", be->upload(f32({2, 10, 16}))}, {"src_key_padding_mask", be->upload(f32({2, 10}))}};
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'src_key_padding_mask' has dtype f32"), m);

    auto lf = lon.make(be);
    in = upload(be, lon.inputs);
    in["global_attention_mask"] = be->upload(f32({2, 9}));
    m = error_of([&] { lf->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'global_attention_mask' has shape [2, 9], expected [N, T] = [2, 10]"), m);

    auto fl = full.make(be);
    in = upload(be, full.inputs);
    in["global_attention_mask"] = be->upload(f32({2, 5}));
    m = error_of([&] { fl->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'global_attention_mask' needs option attention = longformer"), m);
  });
}

}  // namespace
}  // namespace loom::transformer_test
