// linformer_self_attention against LinformerSelfAttention of the linformer
// package on the committed fixtures, on every backend: outputs and the
// attention weights over the k projected positions.
#include <doctest/doctest.h>

#include "linformer_test_util.hpp"

namespace loom::linformer_test {
namespace {

// Runs fixture `name` (with `extra` options), checks every expected tensor,
// and checks that asking for the attention weights does not change the output.
void check_fixture(const std::string& name, const OptionMap& extra = {}) {
  const Fixture f = Fixture::load(name);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, extra);
    const TensorMap inputs = upload(be, f.inputs);
    const TensorMap out = layer->forward(inputs, /*want_attention=*/true);
    for (const auto& [k, want] : f.expected) check_defined(get(be, out, k), want, name + " " + k + " on " + be->name(), kTolerance);
    const TensorMap plain = layer->forward(inputs, /*want_attention=*/false);
    CHECK(plain.count("attention") == 0);
    CHECK(test::max_abs_diff(get(be, plain, "output"), get(be, out, "output")) == 0.0);
  });
}

TEST_CASE("linformer_self_attention matches the linformer package: headwise sharing, full length") {
  check_fixture("headwise_full");
}
TEST_CASE("linformer_self_attention matches the linformer package: headwise sharing, shorter than seq_len") {
  check_fixture("headwise_short");
}
TEST_CASE("linformer_self_attention matches the linformer package: padded batch as each item alone") {
  check_fixture("headwise_padded");
}
TEST_CASE("linformer_self_attention matches the linformer package: kv sharing (share_kv), full length") {
  check_fixture("kv_full");
}
TEST_CASE("linformer_self_attention matches the linformer package: kv sharing, shorter than seq_len") {
  check_fixture("kv_short");
}
TEST_CASE("linformer_self_attention matches the linformer package: one_kv_head") { check_fixture("one_kv_head_short"); }
TEST_CASE("linformer_self_attention matches the linformer package: dim_head other than dim / heads") {
  check_fixture("dim_head_full");
}
TEST_CASE("linformer_self_attention matches the linformer package: attention to a context sequence") {
  check_fixture("context_short");
}
TEST_CASE("linformer_self_attention matches per-head package modules: no sharing, full length") {
  check_fixture("none_full");
}
TEST_CASE("linformer_self_attention matches per-head package modules: no sharing, shorter than seq_len") {
  check_fixture("none_short");
}
TEST_CASE("linformer_self_attention matches the package's Linformer with a tied projection: layerwise sharing") {
  check_fixture("layerwise_full");
  check_fixture("layerwise_short");
}

TEST_CASE("linformer_self_attention gives the same result for any block size") {
  for (const char* block : {"1", "5", "64"}) {
    CAPTURE(block);
    check_fixture("headwise_padded", {{"block_size", block}});
    check_fixture("none_short", {{"block_size", block}});
  }
}

}  // namespace
}  // namespace loom::linformer_test
