// Query blocking: any block size gives the unblocked (torch) result.
#include <doctest/doctest.h>

#include "attention_test_util.hpp"

namespace loom::attention_test {
namespace {

void check_block_sizes(const std::string& name) {
  const Fixture f = Fixture::load(name);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    const TensorMap in = upload(be, f.inputs);
    for (const char* block : {"1", "3", "5", "4096"}) {
      auto layer = f.make(be, {{"block_size", block}});
      TensorMap out = layer->forward(in, true);
      check_close(get(be, out, "output"), f.output, name + " output, block_size " + block);
      check_close(get(be, out, "attention"), f.attention, name + " attention, block_size " + block);
      TensorMap plain = layer->forward(in, false);
      check_close(get(be, plain, "output"), f.output, name + " output without weights, block_size " + block);
    }
  });
}

TEST_CASE("small query blocks match torch: causal multihead attention with padding") {
  check_block_sizes("mha_long_causal_kpm");
}
TEST_CASE("small query blocks match torch: cross multihead attention with a bool mask") {
  check_block_sizes("mha_long_cross_mask");
}
TEST_CASE("small query blocks match torch: averaged multihead weights") { check_block_sizes("mha_average"); }
TEST_CASE("small query blocks match torch: causal scaled dot-product") { check_block_sizes("sdpa_causal"); }
TEST_CASE("small query blocks match torch: float-masked scaled dot-product") {
  check_block_sizes("sdpa_float_mask_scale");
}
TEST_CASE("small query blocks match the equations: bahdanau over several steps") {
  check_block_sizes("bahdanau_steps_bias_values");
}
TEST_CASE("small query blocks match the equations: luong general and concat over several steps") {
  check_block_sizes("luong_general");
  check_block_sizes("luong_concat_steps");
}

TEST_CASE("block size 3 matches the unblocked result on a longer random input") {
  // L = S = 41, 4 heads, causal and a padding mask: blocks of 3 leave a short last block.
  const int64_t n = 2, l = 41, e = 16;
  MemoryWeights w;
  w.add("in_proj_weight", test::random_tensor({3 * e, e}, 21, -0.5f, 0.5f));
  w.add("in_proj_bias", test::random_tensor({3 * e}, 22));
  w.add("out_proj.weight", test::random_tensor({e, e}, 23, -0.5f, 0.5f));
  w.add("out_proj.bias", test::random_tensor({e}, 24));
  Tensor kpm = Tensor::host(DType::boolean, {n, l});
  for (int64_t i = 0; i < n * l; ++i) kpm.data_as<uint8_t>()[i] = i / l == 1 && i % l >= 30;
  const Tensor x = test::random_tensor({l, n, e}, 25);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    const TensorMap in{{"query", be->upload(x)}, {"key_padding_mask", be->upload(kpm)}};
    auto make = [&](const char* block) {
      return test::plugins().create_layer(
          "multihead_attention", be,
          {{"embed_dim", "16"}, {"num_heads", "4"}, {"causal", "true"}, {"block_size", block}}, &w, "mha");
    };
    TensorMap whole = make("41")->forward(in, true);
    TensorMap blocked = make("3")->forward(in, true);
    check_close(get(be, blocked, "output"), get(be, whole, "output"), "output, block 3 vs 41");
    check_close(get(be, blocked, "attention"), get(be, whole, "attention"), "attention, block 3 vs 41");
  });
}

}  // namespace
}  // namespace loom::attention_test
