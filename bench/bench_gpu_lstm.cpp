// bench_gpu --part lstm: LSTM over a whole sequence against a per-step loop
// on the cudnn backend (see bench_gpu.cpp).
#include "bench_gpu_common.hpp"

namespace loom::bench::gpu {

namespace {

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// torch.nn.LSTM for sequence 0 of the batch, in double: output [T, H] and
// the final h, c. Gates i, f, g, o.
void host_lstm(const float* x, int64_t T, int64_t N, int64_t I, int64_t H, const float* w_ih, const float* w_hh,
               const float* b_ih, const float* b_hh, const float* h0, const float* c0, std::vector<double>& out,
               std::vector<double>& h, std::vector<double>& c) {
  h.assign(h0, h0 + H);  // sequence 0's rows of h0 [1, N, H] / c0
  c.assign(c0, c0 + H);
  out.assign(static_cast<size_t>(T * H), 0.0);
  std::vector<double> gates(static_cast<size_t>(4 * H));
  for (int64_t t = 0; t < T; ++t) {
    const float* xt = x + t * N * I;
    for (int64_t r = 0; r < 4 * H; ++r) {
      double g = static_cast<double>(b_ih[r]) + b_hh[r];
      for (int64_t k = 0; k < I; ++k) g += static_cast<double>(w_ih[r * I + k]) * xt[k];
      for (int64_t k = 0; k < H; ++k) g += static_cast<double>(w_hh[r * H + k]) * h[static_cast<size_t>(k)];
      gates[static_cast<size_t>(r)] = g;
    }
    for (int64_t u = 0; u < H; ++u) {
      const size_t su = static_cast<size_t>(u);
      const double ig = sigmoid(gates[su]), fg = sigmoid(gates[su + static_cast<size_t>(H)]);
      const double gg = std::tanh(gates[su + static_cast<size_t>(2 * H)]);
      const double og = sigmoid(gates[su + static_cast<size_t>(3 * H)]);
      c[su] = fg * c[su] + ig * gg;
      h[su] = og * std::tanh(c[su]);
      out[static_cast<size_t>(t * H + u)] = h[su];
    }
  }
}

// Largest |device - host| over sequence 0 (device tensors [.., N, H] with
// `steps` leading rows of N * H).
double diff_seq0(const std::vector<float>& dev, const std::vector<double>& host, int64_t steps, int64_t N, int64_t H) {
  double m = 0;
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t u = 0; u < H; ++u) {
      const double d = std::fabs(dev[static_cast<size_t>(t * N * H + u)] - host[static_cast<size_t>(t * H + u)]);
      m = std::isnan(d) ? INFINITY : std::max(m, d);
    }
  return m;
}

}  // namespace

void lstm_case(Bench& b, int64_t T, int64_t N, int64_t H) {
  const int64_t I = H, G = 4;
  const std::string name = "lstm T=" + std::to_string(T) + " N=" + std::to_string(N) + " " + std::to_string(I) +
                           "->" + std::to_string(H) + " f32";
  auto& be = b.backend;
  const float k = 1.0f / std::sqrt(static_cast<float>(H));  // torch's init range
  const uint64_t seed = 1000 + static_cast<uint64_t>(N * 7 + H);
  Tensor w_ih = random_tensor({G * H, I}, seed + 1, k), w_hh = random_tensor({G * H, H}, seed + 2, k);
  Tensor b_ih = random_tensor({G * H}, seed + 3, k), b_hh = random_tensor({G * H}, seed + 4, k);
  Tensor x = random_tensor({T, N, I}, seed + 5, 1.0f);
  Tensor h0 = random_tensor({1, N, H}, seed + 6, 0.5f), c0 = random_tensor({1, N, H}, seed + 7, 0.5f);
  const Tensor x_dev = be->upload(x), h0_dev = be->upload(h0), c0_dev = be->upload(c0);

  loom_rnn_desc desc{};
  desc.struct_size = sizeof desc;
  desc.cell = LOOM_RNN_LSTM;
  desc.input_size = I;
  desc.hidden_size = H;
  desc.num_layers = 1;
  desc.bidirectional = 0;
  const loom::Backend::Packed packed =
      be->rnn_pack(desc, {{be->upload(w_ih)}, {be->upload(w_hh)}, {be->upload(b_ih)}, {be->upload(b_hh)}});

  // A: the whole sequence in one op.
  loom::Backend::RnnIO seq;
  seq.src = x_dev;
  seq.h0 = h0_dev;
  seq.c0 = c0_dev;
  seq.dst = be->empty(DType::f32, {T, N, H});
  seq.hn = be->empty(DType::f32, {1, N, H});
  seq.cn = be->empty(DType::f32, {1, N, H});

  // B: T one-step ops; h and c ping-pong between two buffers (an op's state
  // output never aliases its state input).
  const Tensor y_steps = be->empty(DType::f32, {T, N, H});
  const Tensor hs[2] = {be->empty(DType::f32, {1, N, H}), be->empty(DType::f32, {1, N, H})};
  const Tensor cs[2] = {be->empty(DType::f32, {1, N, H}), be->empty(DType::f32, {1, N, H})};
  std::vector<loom::Backend::RnnIO> steps(static_cast<size_t>(T));
  std::vector<Tensor> x_t(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    loom::Backend::RnnIO& io = steps[static_cast<size_t>(t)];
    x_t[static_cast<size_t>(t)] = x_dev.slice(0, t, t + 1);
    io.src = x_t[static_cast<size_t>(t)];
    io.dst = y_steps.slice(0, t, t + 1);
    io.h0 = t == 0 ? h0_dev : hs[t % 2];
    io.c0 = t == 0 ? c0_dev : cs[t % 2];
    io.hn = hs[(t + 1) % 2];
    io.cn = cs[(t + 1) % 2];
  }
  const Tensor& h_last = hs[T % 2];
  const Tensor& c_last = cs[T % 2];
  auto step_loop = [&] {
    for (const auto& io : steps) be->rnn_forward(packed, io);
  };

  // C and D: the lstm layer, whole sequence and step by step.
  loom::MemoryWeights weights;
  weights.add("weight_ih_l0", w_ih);
  weights.add("weight_hh_l0", w_hh);
  weights.add("bias_ih_l0", b_ih);
  weights.add("bias_hh_l0", b_hh);
  std::unique_ptr<loom::Layer> layer = b.plugins.create_layer(
      "lstm", be, {{"input_size", std::to_string(I)}, {"hidden_size", std::to_string(H)}}, &weights, "bench_lstm");
  const loom::TensorMap in{{"input", x_dev}, {"h0", h0_dev}, {"c0", c0_dev}};
  loom::TensorMap out_c, out_d;
  auto layer_steps = [&] {
    loom::TensorMap state{{"h_n", h0_dev}, {"c_n", c0_dev}};
    for (int64_t t = 0; t < T; ++t)
      state = layer->forward({{"input", x_t[static_cast<size_t>(t)]}, {"h0", state.at("h_n")}, {"c0", state.at("c_n")}});
    out_d = std::move(state);
  };

  // Results once: A against the host (sequence 0), B, C and D against A.
  be->rnn_forward(packed, seq);
  step_loop();
  out_c = layer->forward(in);
  layer_steps();
  std::vector<double> ref_out, ref_h, ref_c;
  host_lstm(x.data_as<float>(), T, N, I, H, w_ih.data_as<float>(), w_hh.data_as<float>(), b_ih.data_as<float>(),
            b_hh.data_as<float>(), h0.data_as<float>(), c0.data_as<float>(), ref_out, ref_h, ref_c);
  const auto ya = as_floats(be->download(seq.dst)), ha = as_floats(be->download(seq.hn)),
             ca = as_floats(be->download(seq.cn));
  const double d_host = std::max({diff_seq0(ya, ref_out, T, N, H), diff_seq0(ha, ref_h, 1, N, H),
                                  diff_seq0(ca, ref_c, 1, N, H)});
  const double d_b = std::max({max_abs_diff(ya, as_floats(be->download(y_steps))),
                               max_abs_diff(ha, as_floats(be->download(h_last))),
                               max_abs_diff(ca, as_floats(be->download(c_last)))});
  const double d_c = std::max({max_abs_diff(ya, as_floats(be->download(out_c.at("output")))),
                               max_abs_diff(ha, as_floats(be->download(out_c.at("h_n")))),
                               max_abs_diff(ca, as_floats(be->download(out_c.at("c_n"))))});
  const double d_d = std::max(max_abs_diff(ha, as_floats(be->download(out_d.at("h_n")))),
                              max_abs_diff(ca, as_floats(be->download(out_d.at("c_n")))));
  const double tol = b.tf32 ? 5e-3 : 1e-4;
  std::printf("%s: max |diff|: A vs host (sequence 0) %.2e; vs A: B %.2e, C %.2e, D %.2e (tolerance %.0e)\n",
              name.c_str(), d_host, d_b, d_c, d_d, tol);
  if (!b.require(d_host <= tol && d_b <= tol && d_c <= tol && d_d <= tol, name)) return;

  const auto [r, inner] =
      b.run(name, 2.0 * static_cast<double>(G * H) * static_cast<double>(I + H) * static_cast<double>(T * N),
            {
                {"A loom sequence", [&] { be->rnn_forward(packed, seq); }, b.loom_wait(), 1},
                {"B loom step loop", step_loop, b.loom_wait(), 1},
                {"C lstm layer", [&] { out_c = layer->forward(in); }, b.loom_wait(), 3},
                {"D layer steps", layer_steps, b.loom_wait(), 3},
            });
  const double op_ratio = r->variants[0].ratio_vs_baseline, layer_ratio = r->variants[2].ratio_vs_baseline;
  b.verdicts.push_back(name + ": sequence " + Bench::per_op(*r, 0, inner) + ", step loop " +
                       Bench::per_op(*r, 1, inner) + ": " + num("%.2f", op_ratio) + " x (layer " +
                       num("%.2f", layer_ratio) + " x its step mode) (target >= 5: " +
                       (op_ratio >= 5.0 ? "met" : "NOT met") + ")");
}

}  // namespace loom::bench::gpu
