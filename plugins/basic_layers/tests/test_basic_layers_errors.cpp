// What the basic layers say when they are given something wrong. Every
// message must name the layer (added by the host) and what is wrong.
#include <doctest/doctest.h>

#include "basic_layers_test_util.hpp"

namespace loom::basic_test {
namespace {

const OptionMap kLinear75{{"in_features", "7"}, {"out_features", "5"}};

Tensor host_f32(const Shape& shape) { return test::random_tensor(shape, 7); }

TEST_CASE("linear rejects an input with the wrong number of features") {
  auto weights = weights_of("linear_7x5");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("linear", be, kLinear75, weights.get(), "proj");
    std::string m = error_of([&] { layer->forward(be->upload(host_f32({2, 6}))); });
    CHECK_MESSAGE(contains(m, "'proj'"), m);
    CHECK_MESSAGE(contains(m, "6 features"), m);
    CHECK_MESSAGE(contains(m, "[2, 6]"), m);
    CHECK_MESSAGE(contains(m, "in_features = 7"), m);

    m = error_of([&] { layer->forward(be->upload(Tensor::host(DType::i64, {2, 7}))); });
    CHECK_MESSAGE(contains(m, "'proj'"), m);
    CHECK_MESSAGE(contains(m, "i64"), m);
    CHECK_MESSAGE(contains(m, "f32"), m);
  });
}

TEST_CASE("layer_norm and embedding reject inputs of the wrong shape or dtype") {
  auto ln_weights = weights_of("layer_norm_9");
  auto emb_weights = weights_of("embedding_11x6");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto ln = test::plugins().create_layer("layer_norm", be, {{"normalized_shape", "9"}}, ln_weights.get(), "norm");
    std::string m = error_of([&] { ln->forward(be->upload(host_f32({3, 8}))); });
    CHECK_MESSAGE(contains(m, "'norm'"), m);
    CHECK_MESSAGE(contains(m, "[3, 8]"), m);
    CHECK_MESSAGE(contains(m, "normalized_shape = 9"), m);

    auto emb = test::plugins().create_layer("embedding", be, {{"num_embeddings", "11"}, {"embedding_dim", "6"}},
                                            emb_weights.get(), "tok");
    m = error_of([&] { emb->forward(be->upload(host_f32({2, 3}))); });
    CHECK_MESSAGE(contains(m, "'tok'"), m);
    CHECK_MESSAGE(contains(m, "f32"), m);
    CHECK_MESSAGE(contains(m, "i64"), m);

    auto relu = test::plugins().create_layer("relu", be, {}, nullptr, "act");
    m = error_of([&] { relu->forward(be->upload(Tensor::host(DType::i32, {4}))); });
    CHECK_MESSAGE(contains(m, "'act'"), m);
    CHECK_MESSAGE(contains(m, "i32"), m);
  });
}

TEST_CASE("a missing weight is named with its full name and file") {
  // The no-bias fixture has 'weight' only.
  auto weights = weights_of("linear_7x5_nobias");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    std::string m = error_of([&] { test::plugins().create_layer("linear", be, kLinear75, weights.get(), "proj"); });
    CHECK_MESSAGE(contains(m, "'proj'"), m);
    CHECK_MESSAGE(contains(m, "'bias'"), m);
    CHECK_MESSAGE(contains(m, "linear_7x5_nobias.safetensors"), m);

    // Under a prefix the full name is reported.
    MemoryWeights memory;
    memory.add("encoder.fc.weight", test::random_tensor({5, 7}, 1));
    m = error_of([&] {
      test::plugins().create_layer("linear", be, kLinear75, &memory, "fc", "encoder.fc.");
    });
    CHECK_MESSAGE(contains(m, "'fc'"), m);
    CHECK_MESSAGE(contains(m, "encoder.fc.bias"), m);

    m = error_of([&] {
      test::plugins().create_layer("layer_norm", be, {{"normalized_shape", "9"}}, nullptr, "norm");
    });
    CHECK_MESSAGE(contains(m, "'norm'"), m);
    CHECK_MESSAGE(contains(m, "'weight'"), m);
  });
}

TEST_CASE("a weight of the wrong shape names the tensor and both shapes") {
  auto weights = weights_of("linear_7x5");  // weight [5, 7]
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    std::string m = error_of([&] {
      test::plugins().create_layer("linear", be, {{"in_features", "6"}, {"out_features", "5"}}, weights.get(), "proj");
    });
    CHECK_MESSAGE(contains(m, "'proj'"), m);
    CHECK_MESSAGE(contains(m, "'weight'"), m);
    CHECK_MESSAGE(contains(m, "[5, 7]"), m);
    CHECK_MESSAGE(contains(m, "[5, 6]"), m);

    auto emb_weights = weights_of("embedding_11x6");  // weight [11, 6]
    m = error_of([&] {
      test::plugins().create_layer("embedding", be, {{"num_embeddings", "12"}, {"embedding_dim", "6"}},
                                   emb_weights.get(), "tok");
    });
    CHECK_MESSAGE(contains(m, "'tok'"), m);
    CHECK_MESSAGE(contains(m, "[11, 6]"), m);
    CHECK_MESSAGE(contains(m, "[12, 6]"), m);
  });
}

TEST_CASE("an out-of-range embedding id is named with num_embeddings") {
  auto weights = weights_of("embedding_11x6");
  const OptionMap options{{"num_embeddings", "11"}, {"embedding_dim", "6"}};
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("embedding", be, options, weights.get(), "tok");
    for (int64_t bad : {int64_t{11}, int64_t{-1}, int64_t{1000000}}) {
      Tensor ids = Tensor::host(DType::i64, {2, 3});
      ids.data_as<int64_t>()[4] = bad;
      std::string m = error_of([&] { layer->forward(be->upload(ids)); });
      CHECK_MESSAGE(contains(m, "'tok'"), m);
      CHECK_MESSAGE(contains(m, std::to_string(bad)), m);
      CHECK_MESSAGE(contains(m, "num_embeddings = 11"), m);
    }
    Tensor ids32 = Tensor::host(DType::i32, {5});
    ids32.data_as<int32_t>()[3] = 42;
    std::string m = error_of([&] { layer->forward(be->upload(ids32)); });
    CHECK_MESSAGE(contains(m, "42"), m);
    CHECK_MESSAGE(contains(m, "num_embeddings = 11"), m);
  });
}

TEST_CASE("options that are unknown or missing or out of range") {
  auto weights = weights_of("linear_7x5");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    // The host rejects an unknown option and lists the valid ones.
    std::string m = error_of([&] {
      test::plugins().create_layer("linear", be, {{"in_features", "7"}, {"out_features", "5"}, {"in_feature", "7"}},
                                   weights.get(), "proj");
    });
    CHECK_MESSAGE(contains(m, "'proj'"), m);
    CHECK_MESSAGE(contains(m, "'in_feature'"), m);
    CHECK_MESSAGE(contains(m, "in_features, out_features, bias"), m);

    m = error_of([&] { test::plugins().create_layer("gelu", be, {{"approximate", "fast"}}, nullptr, "act"); });
    CHECK_MESSAGE(contains(m, "'act'"), m);
    CHECK_MESSAGE(contains(m, "none|tanh"), m);

    m = error_of([&] { test::plugins().create_layer("relu", be, {{"inplace", "true"}}, nullptr, "act"); });
    CHECK_MESSAGE(contains(m, "'inplace'"), m);

    m = error_of([&] { test::plugins().create_layer("linear", be, {{"in_features", "7"}}, weights.get(), "proj"); });
    CHECK_MESSAGE(contains(m, "out_features"), m);

    // Values the layers themselves refuse.
    m = error_of([&] {
      test::plugins().create_layer("linear", be, {{"in_features", "0"}, {"out_features", "5"}}, weights.get(), "proj");
    });
    CHECK_MESSAGE(contains(m, "'proj'"), m);
    CHECK_MESSAGE(contains(m, "in_features"), m);

    auto emb_weights = weights_of("embedding_11x6");
    m = error_of([&] {
      test::plugins().create_layer("embedding", be,
                                   {{"num_embeddings", "11"}, {"embedding_dim", "6"}, {"padding_idx", "11"}},
                                   emb_weights.get(), "tok");
    });
    CHECK_MESSAGE(contains(m, "'tok'"), m);
    CHECK_MESSAGE(contains(m, "padding_idx"), m);

    m = error_of([&] {
      test::plugins().create_layer("layer_norm", be, {{"normalized_shape", "9"}, {"eps", "-1"}}, nullptr, "norm");
    });
    CHECK_MESSAGE(contains(m, "'norm'"), m);
    CHECK_MESSAGE(contains(m, "eps"), m);
  });
}

}  // namespace
}  // namespace loom::basic_test
