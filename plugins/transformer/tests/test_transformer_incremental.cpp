// Incremental decoding: feeding the target one position (or a chunk) at a
// time with the explicit key/value cache gives the rows of the full-sequence
// decoder (torch's nn.TransformerDecoder, 6 layers, 20 positions).
#include <doctest/doctest.h>

#include "transformer_test_util.hpp"

namespace loom::transformer_test {
namespace {

// Positions [a, b) of a contiguous 3-D host sequence along `axis` (1 when
// batch_first, else 0).
Tensor positions(const Tensor& x, int axis, int64_t a, int64_t b) {
  Shape shape = x.shape();
  shape[static_cast<size_t>(axis)] = b - a;
  Tensor out = Tensor::host(DType::f32, shape);
  const int64_t d0 = x.shape()[0], d1 = x.shape()[1], e = x.shape()[2];
  const float* src = x.data_as<float>();
  float* dst = out.data_as<float>();
  int64_t k = 0;
  for (int64_t i = 0; i < d0; ++i)
    for (int64_t j = 0; j < d1; ++j) {
      const int64_t p = axis == 0 ? i : j;
      if (p < a || p >= b) continue;
      std::memcpy(dst + k * e, src + (i * d1 + j) * e, static_cast<size_t>(e) * sizeof(float));
      ++k;
    }
  return out;
}

// Decodes `name` in chunks of the given sizes and checks every chunk's
// output against the same rows of the full decoder. With `reuse_memory` the
// memory's cross-attention keys/values of the first call are passed back.
void check_incremental(const std::string& name, const std::vector<int64_t>& chunks, bool reuse_memory = true) {
  const Fixture f = Fixture::load(name);
  const int axis = f.options.at("batch_first") == "true" ? 1 : 0;
  const Tensor& tgt = f.inputs.at("tgt");
  const Tensor& want = f.expected.at("output");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, {{"incremental", "true"}});
    TensorMap fixed = upload(be, f.inputs);
    fixed.erase("tgt");
    TensorMap cache;
    int64_t t0 = 0;
    double worst = 0;
    for (int64_t len : chunks) {
      TensorMap in = fixed;
      in["tgt"] = be->upload(positions(tgt, axis, t0, t0 + len));
      for (const auto& [k, v] : cache) in[k] = v;
      TensorMap out = layer->forward(in);
      const Tensor got = get(be, out, "output");
      const Tensor ref = positions(want, axis, t0, t0 + len);
      REQUIRE(got.shape() == ref.shape());
      const double err = test::max_abs_diff(got, ref);
      worst = std::max(worst, err);
      CHECK_MESSAGE(err <= kStackTolerance, name << " positions " << t0 << ".." << t0 + len << ": " << err);
      t0 += len;
      if (t0 == len) {  // first call: the memory's keys/values come out
        REQUIRE(out.count("memory_key") == 1);
        CHECK(be->download(out.at("memory_key")).shape() == Shape{6, 2, 7, 8});
      } else {
        CHECK(out.count("memory_key") == static_cast<size_t>(reuse_memory ? 0 : 1));
      }
      TensorMap next{{"cache_key", out.at("cache_key")}, {"cache_value", out.at("cache_value")}};
      if (reuse_memory) {
        next["memory_key"] = cache.count("memory_key") ? cache.at("memory_key") : out.at("memory_key");
        next["memory_value"] = cache.count("memory_value") ? cache.at("memory_value") : out.at("memory_value");
      }
      cache = std::move(next);
      CHECK(be->download(cache.at("cache_key")).shape() == Shape{6, 2, t0, 8});
    }
    if (verbose()) MESSAGE(name << " incremental on " << be->name() << ": max abs error " << worst);
  });
}

TEST_CASE("transformer_decoder incremental decoding of 20 steps equals the full decoder: post-norm batch_first") {
  check_incremental("dec6_relu_post_bf", std::vector<int64_t>(20, 1));
}
TEST_CASE("transformer_decoder incremental decoding of 20 steps equals the full decoder: pre-norm seq-first") {
  check_incremental("dec6_gelu_pre_seq", std::vector<int64_t>(20, 1));
}
TEST_CASE("transformer_decoder incremental decoding in chunks keeps causality inside a chunk") {
  check_incremental("dec6_relu_post_bf", {7, 1, 5, 7});
  check_incremental("dec6_gelu_pre_seq", {20});
}
TEST_CASE("transformer_decoder incremental decoding without the memory key/value cache") {
  check_incremental("dec6_gelu_pre_seq", {3, 1, 1, 15}, /*reuse_memory=*/false);
}

TEST_CASE("transformer_decoder caches are independent per request") {
  // Two requests interleaved on one layer: each keeps its own cache object.
  const Fixture f = Fixture::load("dec6_relu_post_bf");
  const Tensor& tgt = f.inputs.at("tgt");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, {{"incremental", "true"}});
    TensorMap fixed = upload(be, f.inputs);
    fixed.erase("tgt");
    TensorMap a = fixed, b = fixed;
    a["tgt"] = be->upload(positions(tgt, 1, 0, 3));
    TensorMap ra = layer->forward(a);
    b["tgt"] = be->upload(positions(tgt, 1, 0, 1));
    TensorMap rb = layer->forward(b);
    a["tgt"] = be->upload(positions(tgt, 1, 3, 4));
    a["cache_key"] = ra.at("cache_key");
    a["cache_value"] = ra.at("cache_value");
    ra = layer->forward(a);
    const double err = test::max_abs_diff(get(be, ra, "output"), positions(f.expected.at("output"), 1, 3, 4));
    CHECK(err <= kStackTolerance);
    CHECK(get(be, rb, "cache_key").shape() == Shape{6, 2, 1, 8});
  });
}

}  // namespace
}  // namespace loom::transformer_test
