#include "attend.hpp"

#include <algorithm>
#include <limits>

namespace loom::attention {

namespace {

// The block's part of a mask term: its rows [i0, i1) and keys [0, kend),
// unless that dim broadcasts.
View mask_block(const View& m, int64_t i0, int64_t i1, int64_t kend) {
  View v = m;
  if (v.dim(-2) != 1) v = v.slice(-2, i0, i1);
  if (v.dim(-1) != 1) v = v.slice(-1, 0, kend);
  return v;
}

// A contiguous view over the front of a scratch buffer.
View front(const sdk::Buffer& buffer, const Shape& shape) {
  return View(buffer.view().data(), LOOM_DTYPE_F32, shape, buffer.view().device());
}

Shape with_tail(Shape batch, int64_t a, int64_t b) {
  batch.push_back(a);
  batch.push_back(b);
  return batch;
}

// A boolean mask as an additive one, using only ops: a softmax over a
// length-1 axis is 1, or 0 where the mask hides its only entry (the op set's
// rule for fully masked rows), and log turns that into 0 / -inf exactly.
sdk::Buffer bool_to_additive(const sdk::Ops& ops, const View& mask) {
  Shape shape = mask.shape();
  shape.push_back(1);
  sdk::Buffer zeros = ops.empty(LOOM_DTYPE_F32, shape);
  ops.fill(0.0f, zeros.view());
  sdk::Buffer keep = ops.empty(LOOM_DTYPE_F32, shape);
  const View m = unsqueeze(mask, mask.ndim());
  ops.softmax(zeros.view(), &m, -1, keep.view());
  ops.unary(LOOM_UNARY_LOG, keep.view(), keep.view());
  return keep;
}

// [block, block] with -inf where key column c > query row r: the causal
// pattern on a block's diagonal square, the same for every block.
sdk::Buffer causal_square(const sdk::Ops& ops, int64_t block) {
  std::vector<float> host(static_cast<size_t>(block * block), 0.0f);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r < block; ++r)
    for (int64_t c = r + 1; c < block; ++c) host[static_cast<size_t>(r * block + c)] = ninf;
  sdk::Buffer b = ops.empty(LOOM_DTYPE_F32, {block, block});
  ops.copy_from_host(b.view(), host.data(), host.size() * sizeof(float));
  return b;
}

}  // namespace

MaskTerm mask_term(const View& mask, const std::string& name, const Shape& batch, int64_t queries, int64_t keys,
                   const std::string& expected) {
  require_mask_dtype(mask, name);
  const int32_t rank = static_cast<int32_t>(batch.size()) + 2;
  const Shape full = with_tail(batch, queries, keys);
  bool fits = mask.ndim() <= rank;
  if (fits) {
    const View padded = pad_to_rank(mask, rank);
    for (int32_t d = 0; d < rank && fits; ++d) fits = padded.dim(d) == 1 || padded.dim(d) == full[static_cast<size_t>(d)];
    if (fits) return {padded, name};
  }
  throw sdk::invalid_argument("input '" + name + "' has shape " + mask.shape_str() + ", expected " + expected +
                              " (scores are " + sdk::shape_string(full) + ")");
}

void attend(const sdk::Ops& ops, const AttendArgs& a) {
  const int64_t L = a.queries, S = a.keys;
  if (L == 0) return;
  if (S == 0) {  // nothing to attend to: no weights, a zero context
    ops.fill(0.0f, a.out);
    return;
  }
  const int64_t block = std::max<int64_t>(1, std::min(a.block, L));

  // One boolean term goes to the softmax as is; f32 terms are added to the
  // scores; further boolean terms are turned into additive ones per block.
  const MaskTerm* softmax_mask = nullptr;
  std::vector<const MaskTerm*> added, converted;
  for (const MaskTerm& m : a.masks) {
    if (is_bool_mask(m.view)) {
      if (!softmax_mask || !is_bool_mask(softmax_mask->view)) {
        if (softmax_mask) added.push_back(softmax_mask);
        softmax_mask = &m;
      } else {
        converted.push_back(&m);
      }
    } else if (!softmax_mask) {
      softmax_mask = &m;
    } else {
      added.push_back(&m);
    }
  }

  const bool per_head = a.weights && a.weights->shape() == with_tail(a.batch, L, S);
  sdk::Buffer scores = ops.empty(LOOM_DTYPE_F32, with_tail(a.batch, block, S));
  // The softmax writes into the weights output only where the block's part
  // of it is dense (one block): backends run their fast kernels on dense
  // layouts (oneDNN's softmax falls back to a reference loop on strided
  // ones), and a copy of a dense block into the output is cheap.
  const bool direct = per_head && block == L && a.weights->is_contiguous();
  sdk::Buffer probs;  // made on first use
  sdk::Buffer square;
  if (a.causal) square = causal_square(ops, block);

  for (int64_t i0 = 0; i0 < L; i0 += block) {
    const int64_t i1 = std::min(L, i0 + block), lb = i1 - i0;
    const int64_t kend = a.causal ? std::min(S, i1) : S;
    const View sc = front(scores, with_tail(a.batch, lb, kend));
    a.score(i0, i1, kend, sc);

    for (const MaskTerm* m : added) ops.binary(LOOM_BINARY_ADD, sc, mask_block(m->view, i0, i1, kend), sc);
    for (const MaskTerm* m : converted) {
      const sdk::Buffer add = bool_to_additive(ops, mask_block(m->view, i0, i1, kend));
      const View blk = mask_block(m->view, i0, i1, kend);
      ops.binary(LOOM_BINARY_ADD, sc, add.view().reshape(blk.shape()), sc);
    }
    if (a.causal && kend > i0) {
      // Keys [0, i0) are visible to every query of the block; keys
      // [i0, kend) form the diagonal square.
      const View diag = sc.slice(-1, i0, kend);
      ops.binary(LOOM_BINARY_ADD, diag, square.view().slice(0, 0, lb).slice(1, 0, kend - i0), diag);
    }

    View w_blk;
    if (a.weights) w_blk = a.weights->slice(-2, i0, i1);
    const View w_seen = a.weights ? w_blk.slice(-1, 0, kend) : View();
    const bool into_weights = direct && w_seen.is_contiguous();  // not when causal leaves keys unseen
    if (!into_weights && !probs) probs = ops.empty(LOOM_DTYPE_F32, with_tail(a.batch, block, S));
    const View p = into_weights ? w_seen : front(probs, with_tail(a.batch, lb, kend));
    View sm_mask;
    if (softmax_mask) sm_mask = mask_block(softmax_mask->view, i0, i1, kend);
    ops.softmax(sc, softmax_mask ? &sm_mask : nullptr, -1, p);
    if (a.weights) {
      if (!per_head) ops.reduce(LOOM_REDUCE_MEAN, p, w_seen);
      else if (!into_weights) ops.copy(p, w_seen);
      if (kend < S) ops.fill(0.0f, w_blk.slice(-1, kend, S));
    }
    ops.matmul(p, a.values.slice(-2, 0, kend), nullptr, a.out.slice(-2, i0, i1));
  }
}

}  // namespace loom::attention
