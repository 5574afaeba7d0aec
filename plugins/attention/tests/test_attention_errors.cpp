// What the attention layers say when given something wrong. Every message
// names the layer (added by the host) and the shapes involved.
#include <doctest/doctest.h>

#include "attention_test_util.hpp"

namespace loom::attention_test {
namespace {

Tensor f32(const Shape& shape) { return test::random_tensor(shape, 3); }
Tensor bools(const Shape& shape) {
  Tensor t = Tensor::host(DType::boolean, shape);
  std::memset(t.data(), 0, t.nbytes());
  return t;
}

TEST_CASE("multihead_attention rejects embed_dim not divisible by num_heads") {
  MemoryWeights w;
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    std::string m = error_of([&] {
      test::plugins().create_layer("multihead_attention", be, {{"embed_dim", "10"}, {"num_heads", "3"}}, &w, "attn");
    });
    CHECK_MESSAGE(contains(m, "'attn'"), m);
    CHECK_MESSAGE(contains(m, "multihead_attention"), m);
    CHECK_MESSAGE(contains(m, "embed_dim 10 is not divisible by num_heads 3"), m);
  });
}

TEST_CASE("multihead_attention names missing and misshapen weights") {
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    MemoryWeights none;
    std::string m = error_of([&] {
      test::plugins().create_layer("multihead_attention", be, {{"embed_dim", "8"}, {"num_heads", "2"}}, &none, "attn");
    });
    CHECK_MESSAGE(contains(m, "'attn'"), m);
    CHECK_MESSAGE(contains(m, "in_proj_weight"), m);
    CHECK_MESSAGE(contains(m, "q_proj.weight"), m);

    MemoryWeights bad;
    bad.add("in_proj_weight", f32({24, 8}));
    bad.add("in_proj_bias", f32({24}));
    bad.add("out_proj.weight", f32({8, 7}));
    bad.add("out_proj.bias", f32({8}));
    m = error_of([&] {
      test::plugins().create_layer("multihead_attention", be, {{"embed_dim", "8"}, {"num_heads", "2"}}, &bad, "attn");
    });
    CHECK_MESSAGE(contains(m, "'attn'"), m);
    CHECK_MESSAGE(contains(m, "out_proj.weight"), m);
    CHECK_MESSAGE(contains(m, "[8, 7]"), m);
    CHECK_MESSAGE(contains(m, "[8, 8]"), m);

    // torch packs q/k/v only when kdim = vdim = embed_dim.
    m = error_of([&] {
      test::plugins().create_layer("multihead_attention", be, {{"embed_dim", "8"}, {"num_heads", "2"}, {"kdim", "6"}},
                                   &bad, "attn");
    });
    CHECK_MESSAGE(contains(m, "'attn'"), m);
    CHECK_MESSAGE(contains(m, "in_proj_weight"), m);
    CHECK_MESSAGE(contains(m, "kdim 6"), m);
  });
}

TEST_CASE("multihead_attention rejects inputs whose features do not match the weights") {
  const Fixture f = Fixture::load("mha_cross_kvdim");  // E 8, kdim 6, vdim 7, batch_first, N 3, L 4, S 6
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    in["key"] = be->upload(f32({3, 6, 5}));
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "'mha_cross_kvdim'"), m);
    CHECK_MESSAGE(contains(m, "input 'key' has 5 features"), m);
    CHECK_MESSAGE(contains(m, "[3, 6, 5]"), m);
    CHECK_MESSAGE(contains(m, "kdim = 6"), m);

    in = upload(be, f.inputs);
    in["query"] = be->upload(f32({3, 4, 6}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'query' has 6 features"), m);
    CHECK_MESSAGE(contains(m, "embed_dim = 8"), m);

    in = upload(be, f.inputs);
    in["value"] = be->upload(f32({3, 6, 8}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'value' has 8 features"), m);
    CHECK_MESSAGE(contains(m, "vdim = 7"), m);

    in = upload(be, f.inputs);
    in["value"] = be->upload(f32({3, 5, 7}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "different sequence lengths"), m);
    CHECK_MESSAGE(contains(m, "[3, 5, 7]"), m);

    in = upload(be, f.inputs);
    in["key"] = be->upload(f32({2, 6, 6}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "different batch sizes"), m);

    in = upload(be, f.inputs);
    in["query"] = be->upload(Tensor::host(DType::i64, {3, 4, 8}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "'query'"), m);
    CHECK_MESSAGE(contains(m, "i64"), m);

    in = upload(be, f.inputs);
    in["query"] = be->upload(f32({8}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'query' has shape [8]"), m);
  });
}

TEST_CASE("multihead_attention rejects masks that do not fit") {
  const Fixture f = Fixture::load("mha_cross_kvdim");  // N 3, H 2, L 4, S 6
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    in["attn_mask"] = be->upload(bools({4, 5}));
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "'mha_cross_kvdim'"), m);
    CHECK_MESSAGE(contains(m, "input 'attn_mask' has shape [4, 5]"), m);
    CHECK_MESSAGE(contains(m, "[L, S] = [4, 6]"), m);
    CHECK_MESSAGE(contains(m, "[N * num_heads, L, S] = [6, 4, 6]"), m);

    in = upload(be, f.inputs);
    in["key_padding_mask"] = be->upload(bools({3, 4}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'key_padding_mask' has shape [3, 4]"), m);
    CHECK_MESSAGE(contains(m, "[N, S] = [3, 6]"), m);

    in = upload(be, f.inputs);
    in["key_padding_mask"] = be->upload(Tensor::host(DType::i64, {3, 6}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "'key_padding_mask'"), m);
    CHECK_MESSAGE(contains(m, "i64"), m);
  });
}

TEST_CASE("bahdanau and luong reject bad sizes") {
  const Fixture bah = Fixture::load("bahdanau_step");  // Dq 5, Dk 6, N 3, S 5
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = bah.make(be);
    TensorMap in = upload(be, bah.inputs);
    in["query"] = be->upload(f32({3, 4}));
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "'bahdanau_step'"), m);
    CHECK_MESSAGE(contains(m, "bahdanau"), m);
    CHECK_MESSAGE(contains(m, "input 'query' has 4 features"), m);
    CHECK_MESSAGE(contains(m, "query_size = 5"), m);

    in = upload(be, bah.inputs);
    in["keys"] = be->upload(f32({3, 5, 7}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'keys' has 7 features"), m);
    CHECK_MESSAGE(contains(m, "key_size = 6"), m);

    in = upload(be, bah.inputs);
    in["values"] = be->upload(f32({3, 4, 2}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'values' has shape [3, 4, 2]"), m);

    in = upload(be, bah.inputs);
    in["key_padding_mask"] = be->upload(bools({3, 6}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'key_padding_mask' has shape [3, 6]"), m);
    CHECK_MESSAGE(contains(m, "[N, S] = [3, 5]"), m);

    MemoryWeights none;
    m = error_of([&] {
      test::plugins().create_layer("luong", be, {{"query_size", "4"}, {"key_size", "6"}}, &none, "att");
    });
    CHECK_MESSAGE(contains(m, "'att'"), m);
    CHECK_MESSAGE(contains(m, "score 'dot' needs query_size = key_size, got 4 and 6"), m);
    m = error_of([&] {
      test::plugins().create_layer("luong", be, {{"query_size", "4"}, {"key_size", "6"}, {"score", "concat"}}, &none,
                                   "att");
    });
    CHECK_MESSAGE(contains(m, "attention_size"), m);
    m = error_of([&] {
      test::plugins().create_layer("luong", be, {{"query_size", "4"}, {"key_size", "6"}, {"score", "general"}}, &none,
                                   "att");
    });
    CHECK_MESSAGE(contains(m, "'W.weight'"), m);
  });
}

TEST_CASE("scaled_dot_product rejects shapes that do not fit") {
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("scaled_dot_product", be, {}, nullptr, "sdpa");
    TensorMap in{{"query", be->upload(f32({2, 3, 4}))}, {"key", be->upload(f32({2, 5, 6}))},
                 {"value", be->upload(f32({2, 5, 6}))}};
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "'sdpa'"), m);
    CHECK_MESSAGE(contains(m, "different feature sizes 4 and 6"), m);
    CHECK_MESSAGE(contains(m, "key [2, 5, 6]"), m);

    in["key"] = be->upload(f32({3, 5, 4}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "batch dims do not broadcast"), m);

    in["key"] = be->upload(f32({2, 5, 4}));
    in["attn_mask"] = be->upload(bools({3, 4}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'attn_mask' has shape [3, 4]"), m);
    CHECK_MESSAGE(contains(m, "[2, 3, 5]"), m);

    m = error_of([&] {
      test::plugins().create_layer("scaled_dot_product", be, {{"block_size", "0"}}, nullptr, "sdpa");
    });
    CHECK_MESSAGE(contains(m, "'block_size' must be >= 1"), m);
  });
}

}  // namespace
}  // namespace loom::attention_test
