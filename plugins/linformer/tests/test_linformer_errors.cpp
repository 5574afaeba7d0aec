// Bad configurations, weights and inputs give errors that name what is wrong.
#include <doctest/doctest.h>

#include <cstring>

#include "linformer_test_util.hpp"

namespace loom::linformer_test {
namespace {

Tensor f32(const Shape& shape) {
  Tensor t = Tensor::host(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.01f * static_cast<float>(i % 17);
  return t;
}

Tensor flags(DType dtype, const Shape& shape) {
  Tensor t = Tensor::host(dtype, shape);
  std::memset(t.data(), 0, static_cast<size_t>(t.numel()) * dtype_size(dtype));
  return t;
}

TEST_CASE("linformer_self_attention rejects sequences longer than seq_len") {
  const Fixture f = Fixture::load("headwise_full");  // dim 16, seq_len 12, k 5
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in{{"input", be->upload(f32({2, 13, 16}))}};
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'input' has 13 positions, more than seq_len = 12"), m);
    in = {{"input", be->upload(f32({2, 4, 16}))}, {"context", be->upload(f32({2, 20, 16}))}};
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'context' has 20 positions, more than seq_len = 12"), m);
  });
}

TEST_CASE("linformer_self_attention names a missing or misshaped weight") {
  const Fixture f = Fixture::load("headwise_full");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    MemoryWeights no_proj_v = f.weights_without("proj_v");
    std::string m = error_of([&] { f.make(be, {}, &no_proj_v); });
    CHECK_MESSAGE(contains(m, "missing weight 'proj_v' [12, 5]"), m);
    MemoryWeights no_to_v = f.weights_without("to_v.weight");
    m = error_of([&] { f.make(be, {}, &no_to_v); });
    CHECK_MESSAGE(contains(m, "missing weight 'to_v.weight' [16, 16]"), m);
    MemoryWeights short_proj = f.weights_without("proj_k", {{"proj_k", f32({12, 4})}});
    m = error_of([&] { f.make(be, {}, &short_proj); });
    CHECK_MESSAGE(contains(m, "weight 'proj_k' has shape [12, 4], expected [12, 5]"), m);
    // The options must fit the weights: per-head projections are [heads, seq_len, k].
    m = error_of([&] { f.make(be, {{"sharing", "none"}}); });
    CHECK_MESSAGE(contains(m, "weight 'proj_k' has shape [12, 5], expected [2, 12, 5]"), m);
    m = error_of([&] { f.make(be, {{"seq_len", "16"}}); });
    CHECK_MESSAGE(contains(m, "weight 'proj_k' has shape [12, 5], expected [16, 5]"), m);
  });
}

TEST_CASE("linformer_self_attention rejects bad options") {
  const Fixture f = Fixture::load("headwise_full");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    std::string m = error_of([&] { f.make(be, {{"heads", "3"}}); });
    CHECK_MESSAGE(contains(m, "dim 16 is not divisible by heads 3"), m);
    m = error_of([&] { f.make(be, {{"sharing", "rowwise"}}); });
    CHECK_MESSAGE(contains(m, "sharing"), m);
    m = error_of([&] { f.make(be, {{"k", "0"}}); });
    CHECK_MESSAGE(contains(m, "option 'k' must be >= 1, got 0"), m);
  });
}

TEST_CASE("linformer_self_attention rejects inputs and masks that do not fit") {
  const Fixture f = Fixture::load("headwise_padded");  // N 2, T 10, dim 16
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap in = upload(be, f.inputs);
    in["input"] = be->upload(f32({2, 10, 15}));
    std::string m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'input' has shape [2, 10, 15], expected [N, T, dim] with dim = 16"), m);

    in = upload(be, f.inputs);
    in["key_padding_mask"] = be->upload(flags(DType::boolean, {2, 11}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "input 'key_padding_mask' has shape [2, 11], expected [N, T] = [2, 10]"), m);
    in["key_padding_mask"] = be->upload(f32({2, 10}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "expected bool or u8 (nonzero = padding)"), m);

    in = upload(be, f.inputs);
    in["context"] = be->upload(f32({3, 8, 16}));
    m = error_of([&] { layer->forward(in); });
    CHECK_MESSAGE(contains(m, "have different batch sizes"), m);
  });
}

}  // namespace
}  // namespace loom::linformer_test
