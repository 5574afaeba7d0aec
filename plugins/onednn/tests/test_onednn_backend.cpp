// onednn-specific checks, each against the reference backend.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace loom;

namespace {

Backend& onednn() {
  static std::shared_ptr<Backend> b = test::backend("onednn");
  return *b;
}
Backend& reference() {
  static std::shared_ptr<Backend> b = test::backend("reference");
  return *b;
}

// Largest |got - want| / max(1, |want|).
double scaled_diff(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  const Tensor g = onednn().download(got), w = reference().download(want);
  double worst = 0;
  const float* gp = g.data_as<const float>();
  const float* wp = w.data_as<const float>();
  REQUIRE(g.is_contiguous());
  REQUIRE(w.is_contiguous());
  for (int64_t i = 0; i < g.numel(); ++i) {
    const double d = std::fabs(double(gp[i]) - double(wp[i])) / std::max(1.0, std::fabs(double(wp[i])));
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

MatmulOptions options(bool ta, float alpha, float beta, loom_unary_op act) {
  MatmulOptions o;
  o.transpose_a = ta;
  o.alpha = alpha;
  o.beta = beta;
  o.activation = act;
  return o;
}

}  // namespace

TEST_CASE("onednn: matmul_packed for many M, folded batches, transposed a, strided dst") {
  const int64_t k = 96, n = 80;
  const Tensor w = test::random_tensor({n, k}, 1);  // [N, K]: packed with transpose_b
  const Tensor bias = test::random_tensor({n}, 2);
  auto packed = onednn().matmul_pack(onednn().upload(w), true);
  for (int64_t m : {1, 5, 64, 300})
    for (int variant = 0; variant < 4; ++variant) {
      CAPTURE(m);
      CAPTURE(variant);
      const bool ta = variant == 2;
      Shape a_shape = variant == 1 ? Shape{2, m, k} : ta ? Shape{k, m} : Shape{m, k};
      const Tensor a = test::random_tensor(a_shape, 10 + uint64_t(m));
      const MatmulOptions o = options(ta, variant == 3 ? 0.5f : 1.0f, variant >= 2 ? 1.0f : 0.0f,
                                      variant == 1 ? LOOM_UNARY_GELU : LOOM_UNARY_IDENTITY);
      Shape out = a_shape;
      if (ta) std::swap(out[0], out[1]);
      out.back() = n;
      // dst is a column slice of a wider tensor, so its rows are strided.
      Shape wide = out;
      wide.back() = n + 7;
      const Tensor init = test::random_tensor(wide, 99);
      Tensor got_all = onednn().upload(init), want_all = reference().upload(init);
      Tensor got = got_all.slice(-1 + int(out.size()), 3, 3 + n);
      Tensor want = want_all.slice(-1 + int(out.size()), 3, 3 + n);
      onednn().matmul_packed(onednn().upload(a), packed, &bias, got, o);
      MatmulOptions ro = o;
      ro.transpose_b = true;
      reference().matmul(reference().upload(a), reference().upload(w), &bias, want, ro);
      CHECK(scaled_diff(got_all, want_all) <= 1e-5);
    }
}

namespace {

struct RnnRun {
  Tensor dst, hn, cn;
};

RnnRun run_rnn(Backend& b, const Backend::Packed& packed, loom_rnn_cell cell, int64_t states, const Tensor& src,
               const Tensor& h0, const Tensor& c0, int64_t dirs, int64_t hidden) {
  Backend::RnnIO io;
  io.src = b.upload(src);
  io.h0 = b.upload(h0);
  if (cell == LOOM_RNN_LSTM) io.c0 = b.upload(c0);
  io.dst = b.empty(DType::f32, {src.dim(0), src.dim(1), dirs * hidden});
  io.hn = b.empty(DType::f32, {states, src.dim(1), hidden});
  if (cell == LOOM_RNN_LSTM) io.cn = b.empty(DType::f32, {states, src.dim(1), hidden});
  b.rnn_forward(packed, io);
  return {io.dst, io.hn, io.cn};
}

}  // namespace

TEST_CASE("onednn: rnn at sizes that reach the JIT kernels, then at other N and T (weights repacked lazily)") {
  for (loom_rnn_cell cell : {LOOM_RNN_TANH, LOOM_RNN_LSTM, LOOM_RNN_GRU})
    for (int bidir = 0; bidir < 2; ++bidir) {
      CAPTURE(cell);
      CAPTURE(bidir);
      // Unidirectional with input == hidden runs both layers in one primitive.
      const int64_t input = bidir ? 48 : 64, hidden = 64, layers = 2, dirs = bidir ? 2 : 1;
      const int64_t gh = (cell == LOOM_RNN_LSTM ? 4 : cell == LOOM_RNN_GRU ? 3 : 1) * hidden;
      loom_rnn_desc desc{};
      desc.struct_size = sizeof(desc);
      desc.cell = cell;
      desc.input_size = input;
      desc.hidden_size = hidden;
      desc.num_layers = int32_t(layers);
      desc.bidirectional = bidir;
      Backend::RnnWeights w;
      uint64_t seed = 1000;
      for (int64_t i = 0; i < layers * dirs; ++i) {
        const int64_t in = i < dirs ? input : dirs * hidden;
        w.w_ih.push_back(test::random_tensor({gh, in}, seed++, -0.125f, 0.125f));
        w.w_hh.push_back(test::random_tensor({gh, hidden}, seed++, -0.125f, 0.125f));
        w.b_ih.push_back(test::random_tensor({gh}, seed++, -0.125f, 0.125f));
        w.b_hh.push_back(test::random_tensor({gh}, seed++, -0.125f, 0.125f));
      }
      auto p_one = onednn().rnn_pack(desc, w);
      auto p_ref = reference().rnn_pack(desc, w);
      for (auto [t, nb] : {std::pair<int64_t, int64_t>{6, 16}, {1, 1}, {3, 40}}) {
        CAPTURE(t);
        CAPTURE(nb);
        const Tensor src = test::random_tensor({t, nb, input}, 7);
        const Tensor h0 = test::random_tensor({layers * dirs, nb, hidden}, 8);
        const Tensor c0 = test::random_tensor({layers * dirs, nb, hidden}, 9);
        RnnRun got = run_rnn(onednn(), p_one, cell, layers * dirs, src, h0, c0, dirs, hidden);
        RnnRun want = run_rnn(reference(), p_ref, cell, layers * dirs, src, h0, c0, dirs, hidden);
        CHECK(scaled_diff(got.dst, want.dst) <= 1e-5);
        CHECK(scaled_diff(got.hn, want.hn) <= 1e-5);
        if (cell == LOOM_RNN_LSTM) CHECK(scaled_diff(got.cn, want.cn) <= 1e-5);
      }
    }
}

TEST_CASE("onednn: a small rnn over many batch sizes (more weight layouts than are kept)") {
  // Small sizes use oneDNN's packed-GEMM weights, whose layout depends on N.
  loom_rnn_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.cell = LOOM_RNN_GRU;
  desc.input_size = 5;
  desc.hidden_size = 8;
  desc.num_layers = 1;
  Backend::RnnWeights w;
  w.w_ih.push_back(test::random_tensor({24, 5}, 1));
  w.w_hh.push_back(test::random_tensor({24, 8}, 2));
  w.b_ih.push_back(test::random_tensor({24}, 3));
  w.b_hh.push_back(test::random_tensor({24}, 4));
  auto p_one = onednn().rnn_pack(desc, w);
  auto p_ref = reference().rnn_pack(desc, w);
  for (int round = 0; round < 2; ++round)
    for (int64_t nb = 1; nb <= 12; ++nb) {
      CAPTURE(nb);
      const Tensor src = test::random_tensor({3, nb, 5}, uint64_t(nb));
      const Tensor h0 = test::random_tensor({1, nb, 8}, 50 + uint64_t(nb));
      RnnRun got = run_rnn(onednn(), p_one, LOOM_RNN_GRU, 1, src, h0, Tensor(), 1, 8);
      RnnRun want = run_rnn(reference(), p_ref, LOOM_RNN_GRU, 1, src, h0, Tensor(), 1, 8);
      CHECK(scaled_diff(got.dst, want.dst) <= 1e-5);
      CHECK(scaled_diff(got.hn, want.hn) <= 1e-5);
    }
}

TEST_CASE("onednn: lstm with h0 but no c0, and cn wanted without hn") {
  loom_rnn_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.cell = LOOM_RNN_LSTM;
  desc.input_size = 6;
  desc.hidden_size = 10;
  desc.num_layers = 2;
  desc.bidirectional = 1;
  Backend::RnnWeights w;
  uint64_t seed = 70;
  for (int i = 0; i < 4; ++i) {
    w.w_ih.push_back(test::random_tensor({40, i < 2 ? 6 : 20}, seed++));
    w.w_hh.push_back(test::random_tensor({40, 10}, seed++));
  }
  const Tensor src = test::random_tensor({4, 3, 6}, 1), h0 = test::random_tensor({4, 3, 10}, 2);
  auto run = [&](Backend& b) {
    auto p = b.rnn_pack(desc, w);
    Backend::RnnIO io;
    io.src = b.upload(src);
    io.h0 = b.upload(h0);
    io.dst = b.empty(DType::f32, {4, 3, 20});
    io.cn = b.empty(DType::f32, {4, 3, 10});
    b.rnn_forward(p, io);
    return io;
  };
  Backend::RnnIO got = run(onednn()), want = run(reference());
  CHECK(scaled_diff(got.dst, want.dst) <= 1e-5);
  CHECK(scaled_diff(got.cn, want.cn) <= 1e-5);
}

TEST_CASE("onednn: softmax zeroes fully masked rows on an inner axis") {
  const Tensor src = test::random_tensor({2, 5, 3}, 3);
  Tensor mask = Tensor::host(DType::boolean, {2, 5, 1});
  auto* m = mask.data_as<uint8_t>();
  m[0] = m[1] = m[2] = m[3] = m[4] = 1;  // batch 0: every entry along axis 1 masked
  m[6] = 1;
  Tensor got = onednn().empty(DType::f32, {2, 5, 3}), want = reference().empty(DType::f32, {2, 5, 3});
  onednn().softmax(onednn().upload(src), &mask, 1, got);
  reference().softmax(reference().upload(src), &mask, 1, want);
  CHECK(scaled_diff(got, want) <= 1e-6);
  const Tensor g = onednn().download(got);
  for (int64_t i = 0; i < 15; ++i) CHECK(g.data_as<const float>()[i] == 0.0f);
}

TEST_CASE("onednn: the threads option") {
  auto one = test::plugins().create_backend("onednn", {{"threads", "1"}});
  const Tensor a = test::random_tensor({64, 128}, 1), b = test::random_tensor({128, 32}, 2);
  Tensor got = one->empty(DType::f32, {64, 32}), want = reference().empty(DType::f32, {64, 32});
  one->matmul(one->upload(a), one->upload(b), nullptr, got);
  reference().matmul(reference().upload(a), reference().upload(b), nullptr, want);
  CHECK(scaled_diff(got, want) <= 1e-5);
  try {
    test::plugins().create_backend("onednn", {{"threads", "-2"}});
    FAIL("threads = -2 was accepted");
  } catch (const Error& e) {
    CHECK(e.status() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(e.what()).find("threads") != std::string::npos);
  }
}

TEST_CASE("onednn: gather names the bad index and the vocabulary size") {
  Tensor idx = Tensor::host(DType::i64, {3});
  idx.data_as<int64_t>()[1] = 12;
  const Tensor table = test::random_tensor({10, 4}, 1);
  try {
    onednn().gather(onednn().upload(table), idx, onednn().empty(DType::f32, {3, 4}));
    FAIL("an out-of-range index was accepted");
  } catch (const Error& e) {
    CHECK(e.status() == LOOM_ERR_INVALID_ARGUMENT);
    const std::string msg = e.what();
    CHECK(msg.find("12") != std::string::npos);
    CHECK(msg.find("10") != std::string::npos);
  }
}

TEST_CASE("onednn: one backend instance, many calling threads, same results as one thread") {
  Backend& b = onednn();
  const int64_t k = 64, n = 48;
  auto packed = b.matmul_pack(b.upload(test::random_tensor({k, n}, 1)), false);
  loom_rnn_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.cell = LOOM_RNN_LSTM;
  desc.input_size = n;
  desc.hidden_size = 32;
  desc.num_layers = 1;
  Backend::RnnWeights w;
  w.w_ih.push_back(test::random_tensor({128, n}, 2, -0.2f, 0.2f));
  w.w_hh.push_back(test::random_tensor({128, 32}, 3, -0.2f, 0.2f));
  auto lstm = b.rnn_pack(desc, w);

  // Each thread runs a small pipeline on its own input; seed s gives the same
  // answer whichever thread runs it.
  auto pipeline = [&](uint64_t s) {
    const int64_t m = 8 + int64_t(s % 5);  // several shapes, so primitives are created concurrently too
    Tensor x = b.upload(test::random_tensor({m, k}, s));
    Tensor h = b.empty(DType::f32, {m, n});
    b.matmul_packed(x, packed, nullptr, h, options(false, 1.0f, 0.0f, LOOM_UNARY_RELU));
    Tensor ln = b.empty(DType::f32, {m, n});
    b.layer_norm(h, nullptr, nullptr, 1e-5f, ln);
    Tensor sm = b.empty(DType::f32, {m, n});
    b.softmax(ln, nullptr, -1, sm);
    Backend::RnnIO io;
    io.src = sm.reshape({m, 1, n});
    io.dst = b.empty(DType::f32, {m, 1, 32});
    b.rnn_forward(lstm, io);
    return b.download(io.dst);
  };
  const int kThreads = 4, kIters = 12;
  std::vector<Tensor> expected;
  for (uint64_t s = 0; s < uint64_t(kIters); ++s) expected.push_back(pipeline(s));
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        const uint64_t s = uint64_t((i + t) % kIters);
        try {
          if (test::max_abs_diff(pipeline(s), expected[s]) > 1e-6) ++mismatches;
        } catch (...) {
          ++failures;
        }
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(mismatches.load() == 0);
}
