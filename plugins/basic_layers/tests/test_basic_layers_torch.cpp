// Each basic layer against torch.nn on the committed fixtures
// (tests/fixtures/layers/gen_basic_layers.py), on every backend.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "basic_layers_test_util.hpp"

namespace loom::basic_test {
namespace {

// Builds `type` with `options` from fixture `c` and checks its forward pass.
void check_against_torch(const std::string& c, const std::string& type, const OptionMap& options,
                         bool has_weights = true) {
  std::shared_ptr<SafetensorsFile> weights = has_weights ? weights_of(c) : nullptr;
  const Tensor input = input_of(c);
  const Tensor expected = output_of(c);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer(type, be, options, weights.get(), c);
    Tensor out = be->download(layer->forward(be->upload(input)));
    REQUIRE(out.shape() == expected.shape());
    CHECK(out.dtype() == DType::f32);
    const double err = test::max_abs_diff(out, expected);
    if (verbose()) MESSAGE(c << " on " << be->name() << ": max abs error " << err);
    CHECK(err <= kTolerance);
  });
}

TEST_CASE("linear matches torch.nn.Linear: 7 -> 5 with bias and a 3-D input") {
  check_against_torch("linear_7x5", "linear", {{"in_features", "7"}, {"out_features", "5"}});
}

TEST_CASE("linear matches torch.nn.Linear: 7 -> 5 without bias") {
  check_against_torch("linear_7x5_nobias", "linear", {{"in_features", "7"}, {"out_features", "5"}, {"bias", "false"}});
}

TEST_CASE("linear matches torch.nn.Linear: 13 -> 3 and a 2-D input") {
  check_against_torch("linear_13x3_2d", "linear", {{"in_features", "13"}, {"out_features", "3"}});
}

TEST_CASE("embedding matches torch.nn.Embedding: 11 x 6 and 2-D i64 ids") {
  check_against_torch("embedding_11x6", "embedding",
                      {{"num_embeddings", "11"}, {"embedding_dim", "6"}, {"padding_idx", "0"}});
}

TEST_CASE("layer_norm matches torch.nn.LayerNorm: affine and eps 1e-6") {
  check_against_torch("layer_norm_9", "layer_norm", {{"normalized_shape", "9"}, {"eps", "1e-6"}});
}

TEST_CASE("layer_norm matches torch.nn.LayerNorm: no elementwise affine") {
  check_against_torch("layer_norm_9_noaffine", "layer_norm",
                      {{"normalized_shape", "9"}, {"eps", "1e-6"}, {"elementwise_affine", "false"}}, false);
}

TEST_CASE("layer_norm matches torch.nn.LayerNorm: weight without bias") {
  check_against_torch("layer_norm_9_nobias", "layer_norm",
                      {{"normalized_shape", "9"}, {"eps", "1e-6"}, {"bias", "false"}});
}

TEST_CASE("gelu matches torch.nn.GELU: exact") { check_against_torch("gelu", "gelu", {}, false); }
TEST_CASE("gelu matches torch.nn.GELU: approximate tanh") {
  check_against_torch("gelu_tanh", "gelu", {{"approximate", "tanh"}}, false);
}
TEST_CASE("relu matches torch.nn.ReLU") { check_against_torch("relu", "relu", {}, false); }
TEST_CASE("tanh matches torch.nn.Tanh") { check_against_torch("tanh", "tanh", {}, false); }
TEST_CASE("sigmoid matches torch.nn.Sigmoid") { check_against_torch("sigmoid", "sigmoid", {}, false); }

// ---- the same references through other input layouts ----

const OptionMap kLinear75{{"in_features", "7"}, {"out_features", "5"}};

TEST_CASE("linear takes a strided input") {
  auto weights = weights_of("linear_7x5");
  const Tensor input = input_of("linear_7x5");  // [2, 3, 7]
  const Tensor expected = output_of("linear_7x5");
  // The same values stored as [3, 2, 7] and viewed back as [2, 3, 7].
  Tensor swapped = Tensor::host(DType::f32, {3, 2, 7});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 7; ++k)
        swapped.data_as<float>()[(j * 2 + i) * 7 + k] = input.data_as<float>()[(i * 3 + j) * 7 + k];
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("linear", be, kLinear75, weights.get(), "proj");
    Tensor strided = be->upload(swapped).transpose(0, 1);
    REQUIRE_FALSE(strided.is_contiguous());
    Tensor out = be->download(layer->forward(strided));
    CHECK(test::max_abs_diff(out, expected) <= kTolerance);
  });
}

TEST_CASE("linear takes a 1-D input and an empty batch") {
  auto weights = weights_of("linear_7x5");
  const Tensor input = input_of("linear_7x5").reshape({6, 7});
  const Tensor expected = output_of("linear_7x5").reshape({6, 5});
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("linear", be, kLinear75, weights.get(), "proj");
    Tensor out = be->download(layer->forward(be->upload(input.slice(0, 4, 5).reshape({7}))));
    REQUIRE(out.shape() == Shape{5});
    CHECK(test::max_abs_diff(out, expected.slice(0, 4, 5).reshape({5})) <= kTolerance);

    Tensor empty = layer->forward(be->empty(DType::f32, {0, 3, 7}));
    CHECK(empty.shape() == Shape{0, 3, 5});
  });
}

TEST_CASE("linear is safe to call from several threads at once") {
  auto weights = weights_of("linear_7x5");
  const Tensor input = input_of("linear_7x5");
  const Tensor expected = output_of("linear_7x5");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("linear", be, kLinear75, weights.get(), "proj");
    const Tensor x = be->upload(input);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          Tensor out = be->download(layer->forward(x));
          if (test::max_abs_diff(out, expected) > kTolerance) ++bad;
        }
      });
    for (auto& t : threads) t.join();
    CHECK(bad.load() == 0);
  });
}

TEST_CASE("embedding takes i32 ids and a scalar id and an empty id tensor") {
  auto weights = weights_of("embedding_11x6");
  const Tensor ids64 = input_of("embedding_11x6");  // [3, 4]
  const Tensor expected = output_of("embedding_11x6");  // [3, 4, 6]
  Tensor ids32 = Tensor::host(DType::i32, ids64.shape());
  for (int64_t i = 0; i < ids64.numel(); ++i) ids32.data_as<int32_t>()[i] = static_cast<int32_t>(ids64.data_as<int64_t>()[i]);
  const OptionMap options{{"num_embeddings", "11"}, {"embedding_dim", "6"}};
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("embedding", be, options, weights.get(), "tok");
    Tensor out = be->download(layer->forward(be->upload(ids32)));
    REQUIRE(out.shape() == expected.shape());
    CHECK(test::max_abs_diff(out, expected) <= kTolerance);

    // ids[1, 2] alone, as a 0-d tensor.
    Tensor scalar = be->upload(ids64.slice(0, 1, 2).slice(1, 2, 3).reshape({}));
    Tensor row = be->download(layer->forward(scalar));
    REQUIRE(row.shape() == Shape{6});
    CHECK(test::max_abs_diff(row, expected.slice(0, 1, 2).slice(1, 2, 3).reshape({6})) == 0.0);

    Tensor none = layer->forward(be->empty(DType::i64, {2, 0}));
    CHECK(none.shape() == Shape{2, 0, 6});
  });
}

}  // namespace
}  // namespace loom::basic_test
