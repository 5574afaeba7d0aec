// Bad configurations, weights and inputs give errors that name what is wrong.
#include <doctest/doctest.h>

#include <cstring>

#include "longformer_test_util.hpp"

namespace loom::longformer_test {
namespace {

Tensor f32(const Shape& shape) {
  Tensor t = Tensor::host(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.01f * static_cast<float>(i % 17);
  return t;
}

Tensor zeros(DType dtype, const Shape& shape) {
  Tensor t = Tensor::host(dtype, shape);
  std::memset(t.data(), 0, t.nbytes());
  return t;
}

TEST_CASE("longformer_self_attention rejects an odd or empty window") {
  const Fixture f = Fixture::load("w4_one_global");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (const char* w : {"5", "0", "-2"}) {
      const std::string m = error_of([&] { f.make(be, {{"attention_window", w}}); });
      CHECK_MESSAGE(contains(m, std::string("option 'attention_window' must be even and >= 2") +
                                    " (the total window: attention_window / 2 tokens on each side), got " + w),
                    m);
    }
    const std::string m = error_of([&] { f.make(be, {{"num_attention_heads", "3"}}); });
    CHECK_MESSAGE(contains(m, "hidden_size 16 is not divisible by num_attention_heads 3"), m);
  });
}

TEST_CASE("longformer_self_attention names a missing or misshaped weight") {
  const Fixture f = Fixture::load("w4_one_global");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    MemoryWeights no_kg = f.weights_without("key_global.bias");
    std::string m = error_of([&] { f.make(be, {}, &no_kg); });
    CHECK_MESSAGE(contains(m, "missing weight 'key_global.bias' [16]"), m);
    MemoryWeights bad = f.weights_without("value.weight", {{"value.weight", f32({16, 15})}});
    m = error_of([&] { f.make(be, {}, &bad); });
    CHECK_MESSAGE(contains(m, "weight 'value.weight' has shape [16, 15], expected [16, 16]"), m);
  });
}

TEST_CASE("longformer_self_attention rejects a global or padding mask of the wrong shape or dtype") {
  const Fixture f = Fixture::load("w6_several_global_padding");  // N 2, L 13, E 16
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    in["global_attention_mask"] = be->upload(zeros(DType::i64, {2, 12}));
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'global_attention_mask' has shape [2, 12], expected [N, T] = [2, 13]"), m);
    in["global_attention_mask"] = be->upload(zeros(DType::i64, {13}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'global_attention_mask' has shape [13], expected [N, T] = [2, 13]"), m);
    in["global_attention_mask"] = be->upload(zeros(DType::f16, {2, 13}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'global_attention_mask' has dtype f16"), m);

    in = upload(be, f.inputs);
    in["attention_mask"] = be->upload(zeros(DType::boolean, {3, 13}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'attention_mask' has shape [3, 13], expected [N, T] = [2, 13]"), m);

    in = upload(be, f.inputs);
    in["hidden_states"] = be->upload(f32({2, 13, 8}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'hidden_states' has shape [2, 13, 8], expected [N, L, hidden_size]"), m);
  });
}

TEST_CASE("longformer_self_attention treats every token as padding or global consistently") {
  // All padding: outputs 0 (Hugging Face zeroes padded rows); a global flag on
  // a padding token is ignored, as LongformerModel's mask merge does.
  const Fixture f = Fixture::load("w4_one_global");  // N 2, L 11
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    in["attention_mask"] = be->upload(zeros(DType::i64, {2, 11}));
    const TensorMap out = layer->forward(in, true);
    const Tensor y = get(be, out, "output");
    CHECK(test::max_abs_diff(y, zeros(DType::f32, {2, 11, 16})) == 0.0);
    CHECK(get(be, out, "global_attention").shape() == Shape{2, 2, 0, 11});
    CHECK(get(be, out, "attention").shape() == Shape{2, 2, 11, 5});
  });
}

}  // namespace
}  // namespace loom::longformer_test
