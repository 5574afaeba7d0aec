// longformer_self_attention against Hugging Face's LongformerSelfAttention on
// the committed fixtures, on every backend: outputs, the per-token window and
// global-column weights, and the global tokens' rows.
#include <doctest/doctest.h>

#include "longformer_test_util.hpp"

namespace loom::longformer_test {
namespace {

// Runs fixture `name` (with `extra` options), checks every expected tensor,
// and checks that asking for the attention weights does not change the output.
void check_fixture(const std::string& name, const OptionMap& extra = {}) {
  const Fixture f = Fixture::load(name);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, extra);
    const TensorMap inputs = upload(be, f.inputs);
    const TensorMap out = layer->forward(inputs, /*want_attention=*/true);
    for (const auto& [k, want] : f.expected) check_close(get(be, out, k), want, name + " " + k + " on " + be->name(), kTolerance);
    const TensorMap plain = layer->forward(inputs, /*want_attention=*/false);
    CHECK(plain.count("attention") == 0);
    CHECK(plain.count("global_attention") == 0);
    CHECK(test::max_abs_diff(get(be, plain, "output"), get(be, out, "output")) == 0.0);
  });
}

TEST_CASE("longformer_self_attention matches Hugging Face: local only, length a window multiple") {
  check_fixture("w4_local_multiple");
}
TEST_CASE("longformer_self_attention matches Hugging Face: local only, length not a window multiple") {
  check_fixture("w4_local_not_multiple");
}
TEST_CASE("longformer_self_attention matches Hugging Face: one global token") { check_fixture("w4_one_global"); }
TEST_CASE("longformer_self_attention matches Hugging Face: several global tokens, padding, int64 masks") {
  check_fixture("w6_several_global_padding");
}
TEST_CASE("longformer_self_attention matches Hugging Face: global tokens in one item only, chunks of 2") {
  check_fixture("w8_block2_global_one_item");
}
TEST_CASE("longformer_self_attention matches Hugging Face: padding, chunk = window") {
  check_fixture("w8_block8_padding");
}

TEST_CASE("longformer_self_attention matches Hugging Face: a long sequence, many chunk groups") {
  check_fixture("w4_long_global_padding");
}

TEST_CASE("longformer_self_attention gives the same result for any chunk size") {
  for (const char* block : {"1", "3", "4", "100"}) {
    CAPTURE(block);
    check_fixture("w6_several_global_padding", {{"block_size", block}});
    check_fixture("w8_block2_global_one_item", {{"block_size", block}});
    check_fixture("w4_long_global_padding", {{"block_size", block}});
  }
}

}  // namespace
}  // namespace loom::longformer_test
