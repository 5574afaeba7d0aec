#include "longformer_core.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attend.hpp"
#include "host_flags.hpp"

namespace loom::attention {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Scratch per group of chunks (scores, probabilities, mask): a few MB keeps
// a group in cache-friendly sizes while amortizing the per-op cost; at most
// 8 chunks, so that small windows still get groups whose mask is the
// common pattern (see Work::clean_mask).
constexpr int64_t kGroupBytes = 4 << 20;
constexpr int64_t kGroupChunks = 8;

std::string str(int64_t v) { return std::to_string(v); }

sdk::Buffer upload(const sdk::Ops& ops, const std::vector<float>& host, const Shape& shape) {
  sdk::Buffer b = ops.empty(LOOM_DTYPE_F32, shape);
  if (!host.empty()) ops.copy_from_host(b.view(), host.data(), host.size() * sizeof(float));
  return b;
}

// A contiguous view of `shape` over the front of a scratch buffer.
View front(const sdk::Buffer& b, const Shape& shape) {
  return View(b.view().data(), LOOM_DTYPE_F32, shape, b.view().device());
}

// Row r of the band: 0 at the window columns j = r .. r + w of [c + w], else -inf.
void band_row(float* row, int64_t r, int64_t c, int64_t w) {
  std::fill(row, row + c + w, kNegInf);
  std::fill(row + r, row + r + w + 1, 0.0f);
}

// Row `row` of item `item` of a [N, T, F] buffer: the base of strided views.
View at_row(const View& v, int64_t item, int64_t row) { return v.slice(0, item, item + 1).slice(1, row, row + 1); }

// [N, T, H * d] -> [N, H, T, d] as a view.
View split_heads(const View& x, int64_t heads) { return split_dim(x, 2, heads, x.dim(2) / heads).transpose(1, 2); }

}  // namespace

// ---------------------------------------------------------------- config, tokens

int64_t LongformerConfig::chunk() const {
  const int64_t half = window / 2;
  for (int64_t c = std::min(block_size, half); c > 1; --c)
    if (half % c == 0) return c;
  return 1;
}

void LongformerConfig::validate() const {
  if (dim < 1) throw sdk::invalid_argument("option 'dim' must be >= 1, got " + str(dim));
  if (heads < 1) throw sdk::invalid_argument("option 'heads' must be >= 1, got " + str(heads));
  if (dim % heads != 0)
    throw sdk::invalid_argument("dim " + str(dim) + " is not divisible by heads " + str(heads));
  if (window < 2 || window % 2 != 0)
    throw sdk::invalid_argument("option 'attention_window' must be even and >= 2 (the total window: attention_window "
                                "/ 2 tokens on each side), got " + str(window));
  if (block_size < 1) throw sdk::invalid_argument("option 'block_size' must be >= 1, got " + str(block_size));
}

int64_t LongformerTokens::max_global() const {
  size_t g = 0;
  for (const auto& v : global) g = std::max(g, v.size());
  return static_cast<int64_t>(g);
}

LongformerTokens LongformerTokens::read(int64_t n, int64_t length, const View* padding, const std::string& padding_name,
                                        bool pad_when_zero, const View* global, const std::string& global_name) {
  LongformerTokens t;
  t.n = n;
  t.length = length;
  t.pad.assign(static_cast<size_t>(n * length), 0);
  if (padding) {
    t.pad = read_flags(*padding, padding_name, n, length);
    if (pad_when_zero)
      for (auto& f : t.pad) f = f ? 0 : 1;
  }
  t.global.resize(static_cast<size_t>(n));
  if (global) {
    const std::vector<uint8_t> g = read_flags(*global, global_name, n, length);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < length; ++j) {
        const size_t at = static_cast<size_t>(i * length + j);
        if (g[at] && !t.pad[at]) t.global[static_cast<size_t>(i)].push_back(j);
      }
  }
  return t;
}

// ---------------------------------------------------------------- layer

LongformerAttention::LongformerAttention(const sdk::LayerInit& init, const std::string& p, const LongformerConfig& c)
    : c_(c) {
  c_.validate();
  const sdk::Ops& ops = init.ops();
  const int64_t e = c_.dim;
  // scale: a factor folded into the weights (queries carry 1/sqrt(head_dim),
  // as Hugging Face scales them before the products).
  const auto linear = [&](const std::string& name, float scale) {
    for (const char* part : {".weight", ".bias"})
      if (!init.has_weight(p + name + part))
        throw sdk::not_found("missing weight '" + p + name + part + "' " +
                             (part[1] == 'w' ? "[" + str(e) + ", " + str(e) + "]" : "[" + str(e) + "]") +
                             " (Hugging Face LongformerSelfAttention names)");
    sdk::Buffer w = init.upload(p + name + ".weight", {e, e});
    sdk::Buffer b = init.upload(p + name + ".bias", {e});
    if (scale != 1.0f) {
      ops.unary(LOOM_UNARY_LINEAR, w.view(), w.view(), scale, 0.0f);
      ops.unary(LOOM_UNARY_LINEAR, b.view(), b.view(), scale, 0.0f);
    }
    return Projection(ops, w.view(), &b.view());
  };
  const float q_scale = 1.0f / std::sqrt(static_cast<float>(c_.head_dim()));
  query_ = linear("query", q_scale);
  key_ = linear("key", 1.0f);
  value_ = linear("value", 1.0f);
  query_global_ = linear("query_global", q_scale);
  key_global_ = linear("key_global", 1.0f);
  value_global_ = linear("value_global", 1.0f);

  const int64_t ch = c_.chunk(), w = c_.window;
  std::vector<float> band(static_cast<size_t>(ch * (ch + w)));
  for (int64_t r = 0; r < ch; ++r) band_row(&band[static_cast<size_t>(r * (ch + w))], r, ch, w);
  band_ = upload(ops, band, {ch, ch + w});
}

struct LongformerAttention::Work {
  int64_t n = 0, L = 0, Lp = 0, E = 0, H = 0, d = 0, w = 0, half = 0, c = 0, G = 0;
  int64_t Gp = 0;  // G rounded up to 16 columns, so the window columns after them stay aligned
  sdk::Buffer q, k, v, ctx;          // [N, Lp, E]; k, v: [N, Lp + w, E] with w/2 zero rows before
  View context;                      // ctx, or the output itself when it has the same layout
  sdk::Buffer kmask, qmask, gslot;   // [N, Lp + w], [N, Lp], [N, max(Gp, 1)]: 0 or -inf
  sdk::Buffer kg, vg;                // [N, Gp, E]: the global tokens' local keys/values (zero rows after G)
  // A group of chunks is "clean" when no query row and no key in its windows
  // is padding, global or outside the sequence: its mask is then the same
  // [c, Gp + c + w] pattern (slots, band) for every chunk, made once per item.
  std::vector<int64_t> closed_before;  // [N, L + 1]: closed positions before each position
  sdk::Buffer clean_mask;              // [N, c, Gp + c + w]
};

void LongformerAttention::run(const sdk::Ops& ops, const Io& io) const {
  const LongformerTokens& tok = *io.tokens;
  Work wk;
  wk.n = io.x.dim(0), wk.L = io.x.dim(1), wk.E = c_.dim, wk.H = c_.heads, wk.d = c_.head_dim();
  wk.w = c_.window, wk.half = c_.window / 2, wk.c = c_.chunk(), wk.G = tok.max_global();
  wk.Gp = (wk.G + 15) / 16 * 16;
  wk.Lp = (wk.L + wk.w - 1) / wk.w * wk.w;
  if (wk.n == 0 || wk.L == 0) return;
  const int64_t n = wk.n, L = wk.L, Lp = wk.Lp, E = wk.E, w = wk.w, half = wk.half, G = wk.G, Gp = wk.Gp;

  // Projections into zero-padded buffers (masked positions must hold finite
  // values: a 0 probability times NaN would still be NaN).
  wk.q = ops.empty(LOOM_DTYPE_F32, {n, Lp, E});
  wk.k = ops.empty(LOOM_DTYPE_F32, {n, Lp + w, E});
  wk.v = ops.empty(LOOM_DTYPE_F32, {n, Lp + w, E});
  if (Lp == L && io.dst.is_contiguous()) {
    wk.context = io.dst;
  } else {
    wk.ctx = ops.empty(LOOM_DTYPE_F32, {n, Lp, E});
    wk.context = wk.ctx.view();
  }
  if (Lp > L) ops.fill(0.0f, wk.q.view().slice(1, L, Lp));
  for (const sdk::Buffer* b : {&wk.k, &wk.v}) {
    ops.fill(0.0f, b->view().slice(1, 0, half));
    ops.fill(0.0f, b->view().slice(1, half + L, Lp + w));
  }
  query_.apply(ops, io.x, wk.q.view().slice(1, 0, L));
  key_.apply(ops, io.x, wk.k.view().slice(1, half, half + L));
  value_.apply(ops, io.x, wk.v.view().slice(1, half, half + L));

  prepare_masks(ops, tok, wk);

  if (G > 0) {
    // The global tokens' local keys and values: their global columns.
    wk.kg = ops.empty(LOOM_DTYPE_F32, {n, Gp, E});
    wk.vg = ops.empty(LOOM_DTYPE_F32, {n, Gp, E});
    ops.fill(0.0f, wk.kg.view());
    ops.fill(0.0f, wk.vg.view());
    for (int64_t i = 0; i < n; ++i) {
      const auto& pos = tok.global[static_cast<size_t>(i)];
      for (size_t s = 0; s < pos.size(); ++s) {
        const int64_t row = half + pos[s], slot = static_cast<int64_t>(s);
        ops.copy(at_row(wk.k.view(), i, row), at_row(wk.kg.view(), i, slot));
        ops.copy(at_row(wk.v.view(), i, row), at_row(wk.vg.view(), i, slot));
      }
    }
  }

  local_pass(ops, io, wk);
  if (G > 0) global_pass(ops, io, wk);
  if (wk.ctx) ops.copy(wk.ctx.view().slice(1, 0, L), io.dst);
}

void LongformerAttention::prepare_masks(const sdk::Ops& ops, const LongformerTokens& tok, Work& wk) const {
  const int64_t n = wk.n, L = wk.L, Lp = wk.Lp, w = wk.w, half = wk.half, c = wk.c, Gp = wk.Gp;
  const int64_t slots = std::max<int64_t>(Gp, 1), R = Gp + c + w;
  // A key is in the windows when it is a real, non-global token; a query row
  // is computed locally when it is a real, non-global token (the others get
  // -inf rows: zero probabilities, zero context).
  std::vector<float> kmask(static_cast<size_t>(n * (Lp + w)), kNegInf), qmask(static_cast<size_t>(n * Lp), kNegInf),
      gslot(static_cast<size_t>(n * slots), kNegInf), clean(static_cast<size_t>(n * c * R));
  wk.closed_before.assign(static_cast<size_t>(n * (L + 1)), 0);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<uint8_t> is_global(static_cast<size_t>(L), 0);
    for (int64_t p : tok.global[static_cast<size_t>(i)]) is_global[static_cast<size_t>(p)] = 1;
    int64_t* closed = &wk.closed_before[static_cast<size_t>(i * (L + 1))];
    for (int64_t j = 0; j < L; ++j) {
      const bool open = !tok.pad[static_cast<size_t>(i * L + j)] && !is_global[static_cast<size_t>(j)];
      kmask[static_cast<size_t>(i * (Lp + w) + half + j)] = open ? 0.0f : kNegInf;
      qmask[static_cast<size_t>(i * Lp + j)] = open ? 0.0f : kNegInf;
      closed[j + 1] = closed[j] + (open ? 0 : 1);
    }
    for (size_t s = 0; s < tok.global[static_cast<size_t>(i)].size(); ++s)
      gslot[static_cast<size_t>(i * slots) + s] = 0.0f;
    for (int64_t r = 0; r < c; ++r) {  // the clean pattern: slots, then the band
      float* row = &clean[static_cast<size_t>((i * c + r) * R)];
      std::copy_n(&gslot[static_cast<size_t>(i * slots)], Gp, row);
      band_row(row + Gp, r, c, w);
    }
  }
  wk.kmask = upload(ops, kmask, {n, Lp + w});
  wk.qmask = upload(ops, qmask, {n, Lp});
  wk.gslot = upload(ops, gslot, {n, slots});
  wk.clean_mask = upload(ops, clean, {n, c, R});
}

void LongformerAttention::local_pass(const sdk::Ops& ops, const Io& io, const Work& wk) const {
  const int64_t n = wk.n, L = wk.L, Lp = wk.Lp, E = wk.E, H = wk.H, d = wk.d, w = wk.w, c = wk.c, G = wk.G,
                Gp = wk.Gp;
  const int64_t R = Gp + c + w;  // columns of a chunk's scores: global slots, then the c + w keys around it
  const int64_t chunks = Lp / c;
  const int64_t group =
      std::max<int64_t>(1, std::min({chunks, kGroupChunks, kGroupBytes / (H * c * R * 4)}));
  sdk::Buffer scores = ops.empty(LOOM_DTYPE_F32, {H, group, c, R});
  sdk::Buffer probs = ops.empty(LOOM_DTYPE_F32, {H, group, c, R});
  sdk::Buffer mask = ops.empty(LOOM_DTYPE_F32, {group, c, R});
  // The mask's window and slot parts are built dense and joined by a concat:
  // oneDNN's binary kernels fall back to a slow reference loop on strided views.
  sdk::Buffer mask_window, mask_slots;
  if (Gp > 0) {
    mask_window = ops.empty(LOOM_DTYPE_F32, {group, c, c + w});
    mask_slots = ops.empty(LOOM_DTYPE_F32, {group, c, Gp});
  }
  sdk::Buffer skew;  // for the attention weights only
  if (io.attention) skew = ops.empty(LOOM_DTYPE_F32, {H, group, c + 1, R});
  const int64_t X = G + w + 1;  // columns of the attention-weights output

  for (int64_t i = 0; i < n; ++i) {
    // Heads of `rows` rows from `row` on: [H, rows, d]. A chunk's keys and
    // values are the c + w rows from its first row on (the padded buffers
    // start w/2 rows early): one plain view per chunk, as neighbouring
    // chunks' key rows overlap and backends such as oneDNN take no
    // overlapping view.
    const auto heads = [&](const View& buf, int64_t row, int64_t rows) {
      return restride(at_row(buf, i, row), {H, rows, d}, {d, E, 1});
    };
    // The global slots' columns of g chunks as [H, g * c, Gp] (no broadcast
    // batch dims: oneDNN runs those through a slow kernel).
    const auto slot_cols = [&](const View& v, int64_t g) {
      return restride(v.slice(-1, 0, Gp), {H, g * c, Gp}, {g * c * R, R, 1});
    };
    for (int64_t b0 = 0; b0 < chunks; b0 += group) {
      const int64_t g = std::min(group, chunks - b0), r0 = b0 * c;
      if (r0 >= L) break;  // only padding from here: nothing to compute or report
      const View sc = front(scores, {H, g, c, R}), pr = front(probs, {H, g, c, R}), mk = front(mask, {g, c, R});
      // Chunk b's window columns: [H, c, c + w] of a [H, g, c, R] buffer.
      const auto window = [&](const View& v, int64_t b) {
        return restride(v.slice(1, b, b + 1).slice(-1, Gp, R), {H, c, c + w}, {g * c * R, R, 1});
      };

      // Scores: each chunk against its window, the group against the global slots.
      sdk::MatmulArgs qk;
      qk.transpose_b = true;
      for (int64_t b = 0; b < g; ++b) {
        const int64_t row = r0 + b * c;
        ops.matmul(heads(wk.q.view(), row, c), heads(wk.k.view(), row, c + w), nullptr, window(sc, b), qk);
      }
      if (G > 0) ops.matmul(heads(wk.q.view(), r0, g * c), heads(wk.kg.view(), 0, Gp), nullptr, slot_cols(sc, g), qk);

      const int64_t lo = r0 - wk.half, hi = r0 + g * c + wk.half;
      const int64_t* closed = &wk.closed_before[static_cast<size_t>(i * (L + 1))];
      View mask4;
      if (lo >= 0 && hi <= L && closed[hi] == closed[lo]) {
        mask4 = restride(at_row(wk.clean_mask.view(), i, 0), {1, 1, c, R}, {0, 0, R, 1});
      } else {
        // mask = band + the chunk's key mask (per chunk), + the query-row
        // mask; global slots: slot mask + query-row mask.
        const View keys_all = wk.kmask.view().reshape({n, Lp + w, 1});
        const View mw = Gp > 0 ? front(mask_window, {g, c, c + w}) : mk;
        for (int64_t b = 0; b < g; ++b) {
          const View keys = restride(at_row(keys_all, i, r0 + b * c), {1, c + w}, {0, 1});
          ops.binary(LOOM_BINARY_ADD, band_.view(), keys, mw.slice(0, b, b + 1).reshape({c, c + w}));
        }
        const View qrows = restride(at_row(wk.qmask.view().reshape({n, Lp, 1}), i, r0), {g, c, 1}, {c, 1, 0});
        ops.binary(LOOM_BINARY_ADD, mw, qrows, mw);
        if (G > 0) {
          const View slots = restride(at_row(wk.gslot.view().reshape({n, Gp, 1}), i, 0), {1, 1, Gp}, {0, 0, 1});
          const View ms = front(mask_slots, {g, c, Gp});
          ops.binary(LOOM_BINARY_ADD, slots, qrows, ms);
          ops.concat({ms, mw}, -1, mk);
        }
        mask4 = unsqueeze(mk, 0);
      }
      ops.softmax(sc, &mask4, -1, pr);

      for (int64_t b = 0; b < g; ++b) {
        const int64_t row = r0 + b * c;
        ops.matmul(window(pr, b), heads(wk.v.view(), row, c + w), nullptr, heads(wk.context, row, c));
      }
      if (G > 0) {
        sdk::MatmulArgs acc;
        acc.beta = 1.0f;
        ops.matmul(slot_cols(pr, g), heads(wk.vg.view(), 0, Gp), nullptr, heads(wk.context, r0, g * c), acc);
      }

      if (io.attention) {
        // Row r of a chunk sees keys r .. r + w of its c + w: a diagonal band,
        // read through a view whose row stride is one more than the buffer's.
        // The probabilities go to a buffer with a spare row per chunk first,
        // so that view is a plain one (oneDNN takes no overlapping strides).
        const View& att = *io.attention;  // [N, H, L, X]
        const int64_t sh = att.stride(1), sr = att.stride(2), sx = att.stride(3);
        const int64_t cs = (c + 1) * R;  // chunk stride of the spaced buffer
        const View spaced = restride(front(skew, {H, g, c + 1, R}), {H, g, c, R}, {g * cs, cs, R, 1});
        ops.copy(pr, spaced);
        const View band = restride(spaced.slice(-1, Gp, R), {H, g, c, w + 1}, {g * cs, cs, R + 1, 1});
        const int64_t full = std::max<int64_t>(0, std::min(g, L / c - b0));  // chunks that end by L
        if (full > 0) {
          const View dst = restride(at_row(att.transpose(1, 2), i, r0), {H, full, c, X}, {sh, c * sr, sr, sx});
          if (G > 0) ops.copy(spaced.slice(1, 0, full).slice(-1, 0, G), dst.slice(-1, 0, G));
          ops.copy(band.slice(1, 0, full), dst.slice(-1, G, X));
        }
        const int64_t start = r0 + full * c, rows = std::min(L, r0 + g * c) - start;
        if (full < g && rows > 0) {  // the chunk that L ends in
          const View dst = restride(at_row(att.transpose(1, 2), i, start), {H, rows, X}, {sh, sr, sx});
          if (G > 0) ops.copy(restride(spaced.slice(1, full, full + 1), {H, rows, G}, {g * cs, R, 1}), dst.slice(-1, 0, G));
          ops.copy(restride(band.slice(1, full, full + 1), {H, rows, w + 1}, {g * cs, R + 1, 1}), dst.slice(-1, G, X));
        }
      }
    }
  }
}

void LongformerAttention::global_pass(const sdk::Ops& ops, const Io& io, const Work& wk) const {
  const LongformerTokens& tok = *io.tokens;
  const int64_t n = wk.n, L = wk.L, E = wk.E, H = wk.H, G = wk.G;
  // Global queries from the global tokens' inputs; keys and values of every
  // token from the global projections.
  sdk::Buffer xg = ops.empty(LOOM_DTYPE_F32, {n, G, E});
  ops.fill(0.0f, xg.view());
  for (int64_t i = 0; i < n; ++i) {
    const auto& pos = tok.global[static_cast<size_t>(i)];
    for (size_t s = 0; s < pos.size(); ++s)
      ops.copy(at_row(io.x, i, pos[s]), at_row(xg.view(), i, static_cast<int64_t>(s)));
  }
  sdk::Buffer qg = ops.empty(LOOM_DTYPE_F32, {n, G, E}), kgl = ops.empty(LOOM_DTYPE_F32, {n, L, E}),
              vgl = ops.empty(LOOM_DTYPE_F32, {n, L, E}), out = ops.empty(LOOM_DTYPE_F32, {n, G, E});
  query_global_.apply(ops, xg.view(), qg.view());
  key_global_.apply(ops, io.x, kgl.view());
  value_global_.apply(ops, io.x, vgl.view());

  // Padding keys and empty slots (items with fewer global tokens) are masked;
  // an empty slot's row is all -inf: zero weights, zero output.
  std::vector<float> keys(static_cast<size_t>(n * L), 0.0f);
  for (size_t j = 0; j < keys.size(); ++j) keys[j] = tok.pad[j] ? kNegInf : 0.0f;
  const sdk::Buffer key_mask = upload(ops, keys, {n, 1, 1, L});
  const View slots = restride(wk.gslot.view(), {n, 1, G, 1}, {wk.gslot.view().stride(0), 0, 1, 0});

  const View qh = split_heads(qg.view(), H), kh = split_heads(kgl.view(), H);
  AttendArgs a;
  a.queries = G;
  a.keys = L;
  a.batch = {n, H};
  a.score = [&](int64_t i0, int64_t i1, int64_t kend, const View& dst) {
    sdk::MatmulArgs m;
    m.transpose_b = true;
    ops.matmul(qh.slice(2, i0, i1), kh.slice(2, 0, kend), nullptr, dst, m);
  };
  a.values = split_heads(vgl.view(), H);
  a.masks = {{key_mask.view(), "padding"}, {slots, "global slots"}};
  a.out = split_heads(out.view(), H);
  a.weights = io.global_attention;
  attend(ops, a);

  // The global tokens' rows replace their (zero) local rows.
  for (int64_t i = 0; i < n; ++i) {
    const auto& pos = tok.global[static_cast<size_t>(i)];
    for (size_t s = 0; s < pos.size(); ++s)
      ops.copy(at_row(out.view(), i, static_cast<int64_t>(s)), at_row(wk.context, i, pos[s]));
  }
}

}  // namespace loom::attention
