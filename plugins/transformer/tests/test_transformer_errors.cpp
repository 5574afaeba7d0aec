// Bad configurations and inputs give errors that name what is wrong.
#include <doctest/doctest.h>

#include "transformer_test_util.hpp"

namespace loom::transformer_test {
namespace {

Tensor f32(const Shape& shape) {
  Tensor t = Tensor::host(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.01f * static_cast<float>(i % 17);
  return t;
}

TEST_CASE("transformer layers reject d_model not divisible by nhead") {
  const Fixture f = Fixture::load("enc_relu_post_seq");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    const std::string m = error_of([&] { f.make(be, {{"nhead", "3"}}); });
    CHECK_MESSAGE(contains(m, "d_model 8 is not divisible by nhead 3"), m);
  });
}

TEST_CASE("transformer stacks name the first missing layer weight") {
  const Fixture f = Fixture::load("enc6_relu_post_seq_norm");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    MemoryWeights w;
    for (const auto& e : f.file->entries())
      if (e.name.rfind("layers.3.linear1.", 0) != 0 && e.name.rfind("layers.4.", 0) != 0)
        w.add(e.name, *f.file->find(e.name));
    const std::string m = error_of([&] { f.make(be, {}, &w); });
    CHECK_MESSAGE(contains(m, "missing weight 'layers.3.linear1.weight'"), m);

    // More layers than the checkpoint holds.
    const std::string m7 = error_of([&] { f.make(be, {{"num_layers", "7"}}); });
    CHECK_MESSAGE(contains(m7, "missing weight 'layers.6.self_attn.in_proj_weight'"), m7);
  });
}

TEST_CASE("learned_positional_embedding rejects sequences longer than its table") {
  const Fixture f = Fixture::load("positional_learned");  // max_len 12, d 6, seq-first
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in{{"input", be->upload(f32({13, 2, 6}))}};
    const std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "sequence of 13 positions is longer than the learned position table of max_len = 12"),
                  m);
    in["input"] = be->upload(f32({12, 2, 5}));
    const std::string m2 = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m2, "d_model = 6"), m2);
  });
}

TEST_CASE("transformer layers reject inputs and masks that do not fit") {
  const Fixture f = Fixture::load("dec_relu_post_seq");  // seq-first, N 2, T 5, S 6, E 8
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    in["tgt"] = be->upload(f32({5, 2, 7}));
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'tgt' has shape [5, 2, 7]"), m);

    in = upload(be, f.inputs);
    in["memory_key_padding_mask"] = be->upload(Tensor::host(DType::boolean, {2, 5}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'memory_key_padding_mask' has shape [2, 5], expected [N, S] = [2, 6]"), m);

    in = upload(be, f.inputs);
    in["cache_key"] = be->upload(f32({1, 2, 3, 8}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'cache_key' needs option incremental = true"), m);

    auto inc = f.make(be, {{"incremental", "true"}});
    in = upload(be, f.inputs);
    in["cache_key"] = be->upload(f32({1, 2, 3, 8}));
    in["cache_value"] = be->upload(f32({1, 3, 3, 8}));
    m = error_of([&] { inc->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'cache_value' has shape [1, 3, 3, 8]"), m);

    in = upload(be, f.inputs);
    in["memory_key"] = be->upload(f32({1, 2, 5, 8}));
    in["memory_value"] = be->upload(f32({1, 2, 5, 8}));
    m = error_of([&] { inc->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'memory_key' has shape [1, 2, 5, 8], expected [layers, N, S, d_model] = [1, 2, 6, 8]"),
                  m);
  });
}

}  // namespace
}  // namespace loom::transformer_test
