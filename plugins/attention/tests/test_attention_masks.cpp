// Mask kinds and their combinations: fully masked rows stay finite (zeros),
// and every way of saying the same mask gives the same result.
#include <doctest/doctest.h>

#include <limits>

#include "attention_test_util.hpp"

namespace loom::attention_test {
namespace {

const float kNegInf = -std::numeric_limits<float>::infinity();

// The same values as `mask` (bool) in another dtype: u8 (1 = masked) or f32 (-inf = masked).
Tensor mask_as(const Tensor& mask, DType dtype) {
  Tensor out = Tensor::host(dtype, mask.shape());
  for (int64_t i = 0; i < mask.numel(); ++i) {
    const bool m = mask.data_as<uint8_t>()[i] != 0;
    if (dtype == DType::u8) out.data_as<uint8_t>()[i] = m ? 1 : 0;
    else out.data_as<float>()[i] = m ? kNegInf : 0.0f;
  }
  return out;
}

Tensor causal_mask(int64_t l, DType dtype) {
  Tensor m = Tensor::host(DType::boolean, {l, l});
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) m.data_as<uint8_t>()[i * l + j] = j > i ? 1 : 0;
  return dtype == DType::boolean ? m : mask_as(m, dtype);
}

TEST_CASE("fully masked rows give zero weights and finite outputs") {
  // Item 1 has no key at all; query row 2 of every item sees no key. torch
  // gives NaN there; the fixture holds Loom's rule: weights 0, output
  // out_proj(0) = out_proj.bias.
  const Fixture f = Fixture::load("mha_fully_masked");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    TensorMap out = layer->forward(upload(be, f.inputs), true);
    const Tensor o = get(be, out, "output"), w = get(be, out, "attention");
    CHECK(all_finite(o));
    CHECK(all_finite(w));
    check_close(o, f.output, "output");
    check_close(w, f.attention, "attention");
    // [N, H, L, S]: item 1 and row 2 are all zeros.
    double dead = 0;
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t j = 0; j < 4; ++j) {
        for (int64_t i = 0; i < 4; ++i) dead = std::max<double>(dead, std::fabs(w.data_as<float>()[((1 * 2 + h) * 4 + i) * 4 + j]));
        for (int64_t n = 0; n < 2; ++n) dead = std::max<double>(dead, std::fabs(w.data_as<float>()[((n * 2 + h) * 4 + 2) * 4 + j]));
      }
    CHECK(dead == 0.0);

    // The same masks as u8 and as additive -inf give the same result.
    TensorMap in = upload(be, f.inputs);
    in["key_padding_mask"] = be->upload(mask_as(f.inputs.at("key_padding_mask"), DType::u8));
    in["attn_mask"] = be->upload(mask_as(f.inputs.at("attn_mask"), DType::f32));
    out = layer->forward(in, true);
    check_close(get(be, out, "output"), f.output, "output, u8 + f32 masks");
    check_close(get(be, out, "attention"), f.attention, "attention, u8 + f32 masks");
  });
}

TEST_CASE("scaled_dot_product and bahdanau keep fully masked rows finite") {
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto sdpa = test::plugins().create_layer("scaled_dot_product", be, {}, nullptr, "sdpa");
    Tensor mask = Tensor::host(DType::boolean, {3, 4});
    std::memset(mask.data(), 0, 12);
    for (int64_t j = 0; j < 4; ++j) mask.data_as<uint8_t>()[1 * 4 + j] = 1;  // query 1 sees nothing
    TensorMap out = sdpa->forward({{"query", be->upload(test::random_tensor({2, 3, 5}, 1))},
                                   {"key", be->upload(test::random_tensor({2, 4, 5}, 2))},
                                   {"value", be->upload(test::random_tensor({2, 4, 6}, 3))},
                                   {"attn_mask", be->upload(mask)}},
                                  true);
    const Tensor o = get(be, out, "output"), w = get(be, out, "attention");
    CHECK(all_finite(o));
    CHECK(all_finite(w));
    for (int64_t n = 0; n < 2; ++n) {
      for (int64_t d = 0; d < 6; ++d) CHECK(o.data_as<float>()[(n * 3 + 1) * 6 + d] == 0.0f);
      for (int64_t j = 0; j < 4; ++j) CHECK(w.data_as<float>()[(n * 3 + 1) * 4 + j] == 0.0f);
    }

    // Bahdanau with an item whose every key is padding.
    const Fixture f = Fixture::load("bahdanau_step");
    auto bah = f.make(be);
    TensorMap in = upload(be, f.inputs);
    Tensor kpm = clone(f.inputs.at("key_padding_mask"));
    for (int64_t j = 0; j < 5; ++j) kpm.data_as<uint8_t>()[2 * 5 + j] = 1;
    in["key_padding_mask"] = be->upload(kpm);
    out = bah->forward(in, true);
    const Tensor c = get(be, out, "output"), a = get(be, out, "attention");
    CHECK(all_finite(c));
    CHECK(all_finite(a));
    for (int64_t d = 0; d < 6; ++d) CHECK(c.data_as<float>()[2 * 6 + d] == 0.0f);
    // The other items are unchanged.
    check_close(c.slice(0, 0, 2), f.output.slice(0, 0, 2), "other items' context");
  });
}

TEST_CASE("the causal option equals an explicit causal mask in bool u8 and f32") {
  const Fixture f = Fixture::load("mha_self_causal");  // L = 7, torch got triu(1) as a bool mask
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be, {{"causal", "false"}});
    for (DType dt : {DType::boolean, DType::u8, DType::f32}) {
      TensorMap in = upload(be, f.inputs);
      in["attn_mask"] = be->upload(causal_mask(7, dt));
      TensorMap out = layer->forward(in, true);
      check_close(get(be, out, "output"), f.output, std::string("output, mask ") + dtype_name(dt));
      check_close(get(be, out, "attention"), f.attention, std::string("attention, mask ") + dtype_name(dt));
    }
  });
}

TEST_CASE("the causal option equals an explicit causal mask when S differs from L") {
  // Top-left aligned: query i sees keys j <= i, also when there are more
  // keys than queries (keys past L are never seen) or fewer (late queries see all).
  for (const auto& [l, s] : {std::pair<int64_t, int64_t>{4, 7}, {7, 4}}) {
    Tensor mask = Tensor::host(DType::boolean, {l, s});
    for (int64_t i = 0; i < l; ++i)
      for (int64_t j = 0; j < s; ++j) mask.data_as<uint8_t>()[i * s + j] = j > i ? 1 : 0;
    const Tensor q = test::random_tensor({2, 3, l, 5}, 31), k = test::random_tensor({2, 3, s, 5}, 32),
                 v = test::random_tensor({2, 3, s, 4}, 33);
    const Fixture f = Fixture::load("mha_cross_seq_first_float");  // E 8, H 2, kdim = vdim = 8, seq-first
    const Tensor xq = test::random_tensor({l, 2, 8}, 34), xk = test::random_tensor({s, 2, 8}, 35);
    for_each_backend([&](const std::shared_ptr<Backend>& be) {
      for (const char* block : {"2", "128"}) {
        auto causal = test::plugins().create_layer("scaled_dot_product", be, {{"causal", "true"}, {"block_size", block}},
                                                   nullptr, "sdpa");
        auto plain = test::plugins().create_layer("scaled_dot_product", be, {}, nullptr, "sdpa");
        const TensorMap in{{"query", be->upload(q)}, {"key", be->upload(k)}, {"value", be->upload(v)}};
        TensorMap with_mask = in;
        with_mask["attn_mask"] = be->upload(mask);
        TensorMap a = causal->forward(in, true), b = plain->forward(with_mask, true);
        const std::string what = "L " + std::to_string(l) + " S " + std::to_string(s) + " block " + block;
        check_close(get(be, a, "output"), get(be, b, "output"), "sdpa output, " + what);
        check_close(get(be, a, "attention"), get(be, b, "attention"), "sdpa attention, " + what);

        auto mha_causal = f.make(be, {{"causal", "true"}, {"block_size", block}});
        auto mha_plain = f.make(be);
        const TensorMap xin{{"query", be->upload(xq)}, {"key", be->upload(xk)}};
        TensorMap xmask = xin;
        xmask["attn_mask"] = be->upload(mask);
        a = mha_causal->forward(xin, true);
        b = mha_plain->forward(xmask, true);
        check_close(get(be, a, "output"), get(be, b, "output"), "mha output, " + what);
        check_close(get(be, a, "attention"), get(be, b, "attention"), "mha attention, " + what);
      }
    });
  }
}

TEST_CASE("masks in u8 or additive f32 give the bool masks' result") {
  // Two bool masks (one is converted to an additive one inside the layer),
  // and the same masks as u8, as f32, and mixed.
  const Fixture f = Fixture::load("mha_cross_kvdim");
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = f.make(be);
    for (DType kpm : {DType::boolean, DType::u8, DType::f32})
      for (DType am : {DType::boolean, DType::u8, DType::f32}) {
        TensorMap in = upload(be, f.inputs);
        if (kpm != DType::boolean) in["key_padding_mask"] = be->upload(mask_as(f.inputs.at("key_padding_mask"), kpm));
        if (am != DType::boolean) in["attn_mask"] = be->upload(mask_as(f.inputs.at("attn_mask"), am));
        TensorMap out = layer->forward(in, true);
        const std::string what = std::string("key_padding_mask ") + dtype_name(kpm) + ", attn_mask " + dtype_name(am);
        check_close(get(be, out, "output"), f.output, "output, " + what);
        check_close(get(be, out, "attention"), f.attention, "attention, " + what);
      }
  });
}

TEST_CASE("causal plus a key padding mask plus a bool attn_mask equals one additive mask") {
  // Three mask terms at once against the same mask said as one f32 [N*H, L, S] tensor.
  const int64_t n = 2, h = 2, l = 9, e = 8;
  const Fixture f = Fixture::load("mha_long_causal_kpm");  // weights for E 8, H 2, batch_first
  Tensor kpm = Tensor::host(DType::boolean, {n, l});
  Tensor am = Tensor::host(DType::boolean, {l, l});
  Tensor combined = Tensor::host(DType::f32, {n * h, l, l});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < l; ++j) kpm.data_as<uint8_t>()[b * l + j] = b == 1 && j >= 6;
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) am.data_as<uint8_t>()[i * l + j] = (i * 7 + j * 3) % 5 == 0 && j != 0;
  for (int64_t b = 0; b < n * h; ++b)
    for (int64_t i = 0; i < l; ++i)
      for (int64_t j = 0; j < l; ++j) {
        const bool masked = j > i || kpm.data_as<uint8_t>()[(b / h) * l + j] || am.data_as<uint8_t>()[i * l + j];
        combined.data_as<float>()[(b * l + i) * l + j] = masked ? kNegInf : 0.0f;
      }
  const Tensor x = test::random_tensor({n, l, e}, 11);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    for (const char* block : {"2", "128"}) {
      auto three = f.make(be, {{"causal", "true"}, {"block_size", block}});
      auto one = f.make(be, {{"causal", "false"}});
      TensorMap a = three->forward(
          {{"query", be->upload(x)}, {"key_padding_mask", be->upload(kpm)}, {"attn_mask", be->upload(am)}}, true);
      TensorMap b = one->forward({{"query", be->upload(x)}, {"attn_mask", be->upload(combined)}}, true);
      check_close(get(be, a, "output"), get(be, b, "output"), std::string("output, block ") + block);
      check_close(get(be, a, "attention"), get(be, b, "attention"), std::string("attention, block ") + block);
    }
  });
}

TEST_CASE("scaled_dot_product key_padding_mask equals the same attn_mask") {
  const int64_t n = 2, h = 3, l = 4, s = 5, e = 6;
  Tensor kpm = Tensor::host(DType::boolean, {n, s});
  for (int64_t i = 0; i < n * s; ++i) kpm.data_as<uint8_t>()[i] = i % s >= (i / s == 0 ? 5 : 2);
  const Tensor am = kpm.reshape({n, 1, 1, s});
  const Tensor q = test::random_tensor({n, h, l, e}, 4), k = test::random_tensor({n, h, s, e}, 5),
               v = test::random_tensor({n, h, s, e}, 6);
  for_each_backend([&](const std::shared_ptr<Backend>& be) {
    auto layer = test::plugins().create_layer("scaled_dot_product", be, {}, nullptr, "sdpa");
    TensorMap base{{"query", be->upload(q)}, {"key", be->upload(k)}, {"value", be->upload(v)}};
    TensorMap a = base, b = base;
    a["key_padding_mask"] = be->upload(kpm);
    b["attn_mask"] = be->upload(am);
    TensorMap ra = layer->forward(a, true), rb = layer->forward(b, true);
    check_close(get(be, ra, "output"), get(be, rb, "output"), "output");
    check_close(get(be, ra, "attention"), get(be, rb, "attention"), "attention");
  });
}

}  // namespace
}  // namespace loom::attention_test
