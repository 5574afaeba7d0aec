// rnn_pack / rnn_forward on vanilla_rnn_forward, lstm_forward and
// lbr_gru_forward (PyTorch's GRU is oneDNN's linear-before-reset GRU).
//
// PyTorch -> oneDNN weights, done once in rnn_pack:
//   w_ih [G*H, in] -> weights_layer in the user layout ldigo [L, D, in, G, H]
//   w_hh [G*H, H]  -> weights_iter, ldigo [L, D, H, G, H]
//   then reordered into the layout the primitive asks for (format any).
//   Gate order: LSTM i, f, g, o is oneDNN's i, f, c~, o; GRU r, z, n becomes
//   oneDNN's u, r, o = z, r, n.
//   Bias ldgo: RNN/LSTM b_ih + b_hh per gate; LBR GRU has four parts:
//   b_iz + b_hz, b_ir + b_hr, b_in, b_hn (b_hn stays inside r * (...)).
//
// Batch 1 on AVX-512 CPUs takes rnn_small_batch.cpp's path instead.
//
// Stacking: oneDNN's bidirectional_concat runs each direction's stack on its
// own and concatenates only the last layer, while PyTorch feeds layer l both
// directions of layer l-1. So a bidirectional stack runs one primitive per
// layer. A unidirectional stack runs as one primitive when every layer has
// the same input size, else layer 0 alone and layers 1.. together.
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "checks.hpp"
#include "onednn_backend.hpp"
#include "packed_weights.hpp"
#include "rnn_packed.hpp"
#include "rnn_small_batch.hpp"

namespace loom::onednn {

namespace {

using tag = dnnl::memory::format_tag;

const int64_t kRepresentativeT = 16, kRepresentativeN = 32;
// At batches up to this size the weights are requested in the plain ldigo
// layout, not format_tag::any: oneDNN 2.x then runs its GEMM-based RNN
// instead of its brgemm one, which is about 2x slower there for LSTM (T=128,
// N=1, 512->512, 2 threads: 19 ms vs 8.7 ms), and as fast or faster for RNN
// and GRU (docs/performance.md, "Recurrent layers").
const int64_t kPlainWeightsMaxBatch = 4;

// The PyTorch gate that feeds oneDNN gate g.
int torch_gate(int32_t cell, int g) {
  if (cell == LOOM_RNN_GRU) return g == 0 ? 1 : g == 1 ? 0 : 2;
  return g;
}

int bias_gates(int32_t cell, int gates) { return cell == LOOM_RNN_GRU ? gates + 1 : gates; }

struct Problem {
  int32_t cell;
  int64_t layers, dirs, input, hidden, t, n;
  bool src_iter, dst_iter;
};

std::shared_ptr<const Primitive> rnn_primitive(OpContext& ctx, const Problem& p) {
  Key key = ctx.key("rnn");
  key.add(static_cast<int64_t>(p.cell)).add(p.layers).add(p.dirs).add(p.input).add(p.hidden).add(p.t).add(p.n);
  key.add(static_cast<int64_t>(p.src_iter)).add(static_cast<int64_t>(p.dst_iter));
  return ctx.runtime().cache.get(key, [&] {
    const int64_t g = p.cell == LOOM_RNN_LSTM ? 4 : p.cell == LOOM_RNN_GRU ? 3 : 1;
    using md = dnnl::memory::desc;
    const md src_layer({p.t, p.n, p.input}, dt::f32, tag::tnc);
    const md iter({p.layers, p.dirs, p.n, p.hidden}, dt::f32, tag::ldnc);
    const md src_iter = p.src_iter ? iter : md();
    const md dst_iter = p.dst_iter ? iter : md();
    const tag w_tag = p.n <= kPlainWeightsMaxBatch ? tag::ldigo : tag::any;
    const md w_layer({p.layers, p.dirs, p.input, g, p.hidden}, dt::f32, w_tag);
    const md w_iter({p.layers, p.dirs, p.hidden, g, p.hidden}, dt::f32, w_tag);
    const md bias({p.layers, p.dirs, bias_gates(p.cell, static_cast<int>(g)), p.hidden}, dt::f32, tag::ldgo);
    const md dst_layer({p.t, p.n, p.dirs * p.hidden}, dt::f32, tag::tnc);
    const auto dir = p.dirs == 2 ? dnnl::rnn_direction::bidirectional_concat
                                 : dnnl::rnn_direction::unidirectional_left2right;
    const auto prop = dnnl::prop_kind::forward_inference;
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (p.cell == LOOM_RNN_LSTM) {
      dnnl::lstm_forward::desc d(prop, dir, src_layer, src_iter, src_iter, w_layer, w_iter, bias, dst_layer, dst_iter,
                                 dst_iter);
      dnnl::lstm_forward::primitive_desc pd(d, attr, ctx.engine());
      return make_primitive<dnnl::lstm_forward>(pd, {pd.weights_layer_desc(), pd.weights_iter_desc()});
    }
    if (p.cell == LOOM_RNN_GRU) {
      dnnl::lbr_gru_forward::desc d(prop, dir, src_layer, src_iter, w_layer, w_iter, bias, dst_layer, dst_iter);
      dnnl::lbr_gru_forward::primitive_desc pd(d, attr, ctx.engine());
      return make_primitive<dnnl::lbr_gru_forward>(pd, {pd.weights_layer_desc(), pd.weights_iter_desc()});
    }
    const auto act = p.cell == LOOM_RNN_RELU ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_tanh;
    dnnl::vanilla_rnn_forward::desc d(prop, act, dir, src_layer, src_iter, w_layer, w_iter, bias, dst_layer, dst_iter);
    dnnl::vanilla_rnn_forward::primitive_desc pd(d, attr, ctx.engine());
    return make_primitive<dnnl::vanilla_rnn_forward>(pd, {pd.weights_layer_desc(), pd.weights_iter_desc()});
  });
}

float at(const View& v, int64_t r, int64_t c) { return v.data_as<const float>()[r * v.stride(0) + c * v.stride(1)]; }
float at(const View& v, int64_t i) { return v.data_as<const float>()[i * v.stride(0)]; }

// PyTorch [G*H, in] matrices of a segment's layers -> plain ldigo.
dnnl::memory to_ldigo(OpContext& ctx, const std::vector<View>& w, const Segment& s, const RnnArgs& a, int64_t in) {
  const int64_t d_n = a.dirs(), g_n = a.gates(), h_n = a.hidden_size;
  dnnl::memory m(dnnl::memory::desc({s.layers, d_n, in, g_n, h_n}, dt::f32, tag::ldigo), ctx.engine());
  float* out = static_cast<float*>(m.get_data_handle());
  for (int64_t l = 0; l < s.layers; ++l)
    for (int64_t d = 0; d < d_n; ++d) {
      const View& src = w[static_cast<size_t>((s.first + l) * d_n + d)];
      for (int64_t i = 0; i < in; ++i)
        for (int64_t g = 0; g < g_n; ++g) {
          const int64_t tg = torch_gate(a.cell, static_cast<int>(g));
          for (int64_t o = 0; o < h_n; ++o) *out++ = at(src, tg * h_n + o, i);
        }
    }
  return m;
}

dnnl::memory to_ldgo(OpContext& ctx, const std::vector<View>& b_ih, const std::vector<View>& b_hh, const Segment& s,
                     const RnnArgs& a) {
  const int64_t d_n = a.dirs(), h_n = a.hidden_size, gb = bias_gates(a.cell, a.gates());
  dnnl::memory m(dnnl::memory::desc({s.layers, d_n, gb, h_n}, dt::f32, tag::ldgo), ctx.engine());
  float* out = static_cast<float*>(m.get_data_handle());
  for (int64_t l = 0; l < s.layers; ++l)
    for (int64_t d = 0; d < d_n; ++d) {
      const size_t idx = static_cast<size_t>((s.first + l) * d_n + d);
      const View* bi = b_ih.empty() ? nullptr : &b_ih[idx];
      const View* bh = b_hh.empty() ? nullptr : &b_hh[idx];
      for (int64_t g = 0; g < gb; ++g)
        for (int64_t o = 0; o < h_n; ++o) {
          float v = 0.0f;
          if (a.cell == LOOM_RNN_GRU && g == 2) {
            if (bi) v = at(*bi, 2 * h_n + o);  // b_in: outside the reset gate
          } else if (a.cell == LOOM_RNN_GRU && g == 3) {
            if (bh) v = at(*bh, 2 * h_n + o);  // b_hn: inside r * (W_hn h + b_hn)
          } else {
            const int64_t tg = torch_gate(a.cell, static_cast<int>(g)) * h_n + o;
            if (bi) v += at(*bi, tg);
            if (bh) v += at(*bh, tg);
          }
          *out++ = v;
        }
    }
  return m;
}

void check_matrix(const char* op, const std::string& name, const View& v, const Shape& expected) {
  check_f32(op, name.c_str(), v);
  check_shape(op, name.c_str(), v, expected);
}

// A [L*D, N, H] state's rows for one segment, or nullptr.
struct StateSlice {
  const View* user = nullptr;
  View part;
  bool dense = false;
};

StateSlice state_slice(const View* v, int64_t first_row, int64_t rows) {
  StateSlice s;
  if (!v) return s;
  s.user = v;
  s.part = v->slice(0, first_row, first_row + rows);
  s.dense = s.part.is_contiguous();
  return s;
}

}  // namespace

std::unique_ptr<Packed> OnednnBackend::rnn_pack(const RnnArgs& args, const std::vector<View>& w_ih,
                                                const std::vector<View>& w_hh, const std::vector<View>& b_ih,
                                                const std::vector<View>& b_hh) {
  const char* op = "rnn_pack";
  if (args.cell < LOOM_RNN_TANH || args.cell > LOOM_RNN_GRU)
    throw sdk::invalid_argument("rnn_pack: unknown cell code " + std::to_string(args.cell));
  if (args.input_size <= 0 || args.hidden_size <= 0 || args.num_layers <= 0)
    throw sdk::invalid_argument("rnn_pack: input_size " + std::to_string(args.input_size) + ", hidden_size " +
                                std::to_string(args.hidden_size) + " and num_layers " +
                                std::to_string(args.num_layers) + " must all be positive");
  const int64_t d_n = args.dirs(), h = args.hidden_size, gh = args.gates() * h;
  const size_t count = static_cast<size_t>(args.num_layers * d_n);
  if (w_ih.size() != count || w_hh.size() != count || (!b_ih.empty() && b_ih.size() != count) ||
      (!b_hh.empty() && b_hh.size() != count))
    throw sdk::invalid_argument("rnn_pack: expected " + std::to_string(count) + " weights per array (num_layers * dirs)");
  for (size_t i = 0; i < count; ++i) {
    const int64_t in = i < static_cast<size_t>(d_n) ? args.input_size : d_n * h;
    const std::string sfx = "[" + std::to_string(i) + "]";
    check_matrix(op, "w_ih" + sfx, w_ih[i], {gh, in});
    check_matrix(op, "w_hh" + sfx, w_hh[i], {gh, h});
    if (!b_ih.empty()) check_matrix(op, "b_ih" + sfx, b_ih[i], {gh});
    if (!b_hh.empty()) check_matrix(op, "b_hh" + sfx, b_hh[i], {gh});
  }

  auto packed = std::make_unique<PackedRnn>(rt_.engine, args);
  // Which layers share a primitive (see the top of this file).
  std::vector<std::pair<int, int>> plan;  // (first, layers)
  if (args.bidirectional) {
    for (int l = 0; l < args.num_layers; ++l) plan.emplace_back(l, 1);
  } else if (args.input_size == h || args.num_layers == 1) {
    plan.emplace_back(0, args.num_layers);
  } else {
    plan.emplace_back(0, 1);
    plan.emplace_back(1, args.num_layers - 1);
  }
  run_op(op, [&] {
    OpContext ctx(rt_, op);
    for (auto [first, layers] : plan) {
      auto seg = std::make_unique<Segment>();
      seg->first = first;
      seg->layers = layers;
      seg->input = first == 0 ? args.input_size : d_n * h;
      auto prim = rnn_primitive(ctx, {args.cell, layers, d_n, seg->input, h, kRepresentativeT, kRepresentativeN,
                                      true, true});
      seg->w_layer = LazyWeights::pack(ctx, to_ldigo(ctx, w_ih, *seg, args, seg->input), prim->chosen.at(0));
      seg->w_iter = LazyWeights::pack(ctx, to_ldigo(ctx, w_hh, *seg, args, h), prim->chosen.at(1));
      seg->bias = to_ldgo(ctx, b_ih, b_hh, *seg, args);
      packed->segments.push_back(std::move(seg));
    }
  });
  return packed;
}

void OnednnBackend::rnn_forward(const Packed& weights, const View& src, const View* h0, const View* c0,
                                const View& dst, const View* hn, const View* cn) {
  const char* op = "rnn_forward";
  const auto* packed = dynamic_cast<const PackedRnn*>(&weights);
  if (!packed) throw sdk::invalid_argument("rnn_forward: weights were not made by the onednn backend's rnn_pack");
  const RnnArgs& a = packed->args;
  const bool lstm = a.cell == LOOM_RNN_LSTM;
  const int64_t d_n = a.dirs(), h = a.hidden_size, states = a.num_layers * d_n;
  check_f32(op, "src", src);
  if (src.ndim() != 3 || src.dim(2) != a.input_size)
    throw sdk::invalid_argument("rnn_forward: src is " + src.shape_str() + ", expected [T, N, " +
                                std::to_string(a.input_size) + "] (time-major, input_size " +
                                std::to_string(a.input_size) + ")");
  const int64_t t = src.dim(0), n = src.dim(1);
  check_f32(op, "dst", dst);
  check_output(op, "dst", dst);
  check_shape(op, "dst", dst, {t, n, d_n * h});
  const Shape state_shape{states, n, h};
  if ((c0 || cn) && !lstm)
    throw sdk::invalid_argument(std::string("rnn_forward: c0/cn are given but the cell is ") + sdk::checks::rnn_cell_name(a.cell) +
                                "; only lstm has a cell state");
  for (auto [v, label, out] : {std::tuple{h0, "h0", false}, std::tuple{c0, "c0", false}, std::tuple{hn, "hn", true},
                               std::tuple{cn, "cn", true}}) {
    if (!v) continue;
    check_f32(op, label, *v);
    check_shape(op, label, *v, state_shape);
    if (out) check_output(op, label, *v);
  }
  if (n == 0) return;
  if (t == 0) {
    // No steps: the final state is the initial one.
    if (hn) h0 ? copy(*h0, *hn) : fill(0.0f, *hn);
    if (cn) c0 ? copy(*c0, *cn) : fill(0.0f, *cn);
    return;
  }

  run_op(op, [&] {
    OpContext ctx(rt_, op);
    const auto dense_md = [](int64_t x, int64_t y, int64_t z) { return make_md(dense_layout({x, y, z}), dt::f32); };
    // Input of the current segment, dense [T, N, C].
    const void* in = src.data();
    if (!is_dense(layout_of(src))) {
      const auto md = dense_md(t, n, a.input_size);
      void* tmp = ctx.temp(md.get_size());
      ctx.reorder(make_md(layout_of(src), dt::f32), src.data(), md, tmp);
      in = tmp;
    }
    const bool dst_dense = is_dense(layout_of(dst));
    const auto out_md = dense_md(t, n, d_n * h);
    if (use_small_batch_rnn(n)) {
      void* out = dst_dense ? dst.data() : ctx.temp(out_md.get_size());
      small_batch_rnn_forward(ctx, *packed, static_cast<const float*>(in), t, h0, c0, static_cast<float*>(out), hn, cn);
      if (!dst_dense) ctx.reorder(out_md, out, make_md(layout_of(dst), dt::f32), dst.data());
      return;
    }
    void* out = nullptr;
    for (size_t si = 0; si < packed->segments.size(); ++si) {
      const Segment& seg = *packed->segments[si];
      const bool last = si + 1 == packed->segments.size();
      out = last && dst_dense ? dst.data() : ctx.temp(out_md.get_size());
      const int64_t first_row = seg.first * d_n, rows = seg.layers * d_n;
      const auto iter_md = dnnl::memory::desc({seg.layers, d_n, n, h}, dt::f32, tag::ldnc);
      const size_t iter_bytes = iter_md.get_size();

      // Initial states: the user's rows when dense, else a dense copy; an
      // LSTM needs h and c together, so a missing one is zeros.
      const bool has_src_iter = h0 || c0;
      auto initial = [&](const View* v) -> const void* {
        StateSlice s = state_slice(v, first_row, rows);
        if (!s.user) return ctx.temp(iter_bytes, true);
        if (s.dense) return s.part.data();
        void* tmp = ctx.temp(iter_bytes);
        ctx.reorder(make_md(layout_of(s.part), dt::f32), s.part.data(), make_md(dense_layout({rows, n, h}), dt::f32), tmp);
        return tmp;
      };
      // Final states: written straight into dense user rows, else into a
      // temporary copied out afterwards.
      const bool has_dst_iter = hn || cn;
      std::vector<std::pair<StateSlice, void*>> copy_back;
      auto final_state = [&](const View* v) -> void* {
        StateSlice s = state_slice(v, first_row, rows);
        if (s.user && s.dense) return s.part.data();
        void* tmp = ctx.temp(iter_bytes);
        if (s.user) copy_back.emplace_back(s, tmp);
        return tmp;
      };

      auto prim = rnn_primitive(ctx, {a.cell, seg.layers, d_n, seg.input, h, t, n, has_src_iter, has_dst_iter});
      Args args{{DNNL_ARG_SRC_LAYER, ctx.mem(dense_md(t, n, seg.input), in)},
                {DNNL_ARG_WEIGHTS_LAYER, seg.w_layer.get(ctx, prim->chosen.at(0))},
                {DNNL_ARG_WEIGHTS_ITER, seg.w_iter.get(ctx, prim->chosen.at(1))},
                {DNNL_ARG_BIAS, seg.bias},
                {DNNL_ARG_DST_LAYER, ctx.mem(out_md, out)}};
      if (has_src_iter) {
        args.emplace_back(DNNL_ARG_SRC_ITER, ctx.mem(iter_md, initial(h0)));
        if (lstm) args.emplace_back(DNNL_ARG_SRC_ITER_C, ctx.mem(iter_md, initial(c0)));
      }
      if (has_dst_iter) {
        args.emplace_back(DNNL_ARG_DST_ITER, ctx.mem(iter_md, final_state(hn)));
        if (lstm) args.emplace_back(DNNL_ARG_DST_ITER_C, ctx.mem(iter_md, final_state(cn)));
      }
      ctx.execute(*prim, std::move(args));
      for (auto& [s, tmp] : copy_back)
        ctx.reorder(make_md(dense_layout({rows, n, h}), dt::f32), tmp, make_md(layout_of(s.part), dt::f32), s.part.data());
      in = out;
    }
    if (!dst_dense) ctx.reorder(out_md, out, make_md(layout_of(dst), dt::f32), dst.data());
  });
}

}  // namespace loom::onednn
