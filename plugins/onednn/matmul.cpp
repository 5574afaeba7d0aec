// matmul, matmul_pack, matmul_packed on the oneDNN matmul primitive.
//
// dst = act(alpha * op(a) x op(b) + bias) + beta * dst maps to:
//   transposes   -> swapped strides in the memory descriptors (no copies)
//   alpha        -> output scales (applied to the product only when the
//                   bias is a post-op: oneDNN scales the in-primitive bias too)
//   bias [N]     -> the primitive's bias when alpha == 1, else a binary-add post-op
//   act          -> eltwise post-op
//   beta         -> sum post-op (dst is read only when beta != 0)
// Batch dims broadcast as oneDNN allows (either side may have size 1). When
// b has no batch, a's batch dims are folded into M so one 2-D product runs.
#include <algorithm>
#include <memory>
#include <string>

#include "checks.hpp"
#include "eltwise_alg.hpp"
#include "onednn_backend.hpp"
#include "packed_weights.hpp"
#include "strided.hpp"

namespace loom::onednn {

namespace {

const int64_t kRepresentativeM = 128;

// Weights prepared by matmul_pack: logical [K, N].
class PackedMatrix final : public Packed {
 public:
  PackedMatrix(dnnl::engine e, int64_t k_dim, int64_t n_dim) : engine(std::move(e)), k(k_dim), n(n_dim) {}
  dnnl::engine engine;  // first member: destroyed last, after the memory that uses it
  int64_t k, n;
  LazyWeights weights;  // empty when k * n == 0
};

std::string operand(const char* name, const View& v, bool transposed) {
  return std::string(name) + " is " + v.shape_str() + (transposed ? " (transposed)" : "");
}

void check_activation(const char* op, int32_t act) {
  check_unary_op(op, act);
  if (act == LOOM_UNARY_LINEAR)
    throw sdk::invalid_argument(std::string(op) + ": activation 'linear' has no parameters in a matmul; use alpha and beta");
}

void check_bias(const char* op, const View* bias, int64_t n) {
  if (!bias) return;
  check_f32(op, "bias", *bias);
  check_shape(op, "bias", *bias, {n});
}

// A source with a zero stride (an expanded view) is copied dense first:
// oneDNN's matmul kernels expect real strides.
void densify(OpContext& ctx, Layout& l, const void*& data) {
  if (!has_zero_stride(l)) return;
  Layout dense = dense_layout(l.dims);
  auto dmd = make_md(dense, dt::f32);
  void* tmp = ctx.temp(dmd.get_size());
  ctx.reorder(make_md(l, dt::f32), data, dmd, tmp);
  l = dense;
  data = tmp;
}

// An expanded (stride 0) bias is copied into a real vector.
const View* real_bias(OpContext& ctx, const View* bias, View& storage) {
  if (!bias || bias->dim(0) <= 1 || bias->stride(0) != 0) return bias;
  float* tmp = static_cast<float*>(ctx.temp(static_cast<size_t>(bias->dim(0)) * sizeof(float)));
  std::fill_n(tmp, bias->dim(0), *bias->data_as<const float>());
  storage = View(tmp, LOOM_DTYPE_F32, {bias->dim(0)});
  return &storage;
}

// The cached primitive for one problem. b == nullptr asks for format any
// weights of [K, N] (the packed path); the chosen layout is chosen[0].
std::shared_ptr<const Primitive> matmul_primitive(OpContext& ctx, const MatmulArgs& args, const Layout& a,
                                                  const Layout* b, int64_t k, int64_t n, const View* bias,
                                                  const Layout& dst) {
  const int rank = static_cast<int>(dst.dims.size());
  const bool bias_in_desc = bias && args.alpha == 1.0f;
  const Layout bias_l = bias ? layout_of(*bias, rank) : Layout{};
  Key key = ctx.key(b ? "matmul" : "matmul_packed");
  key.add(a).add(dst).add(args.alpha).add(args.beta).add(static_cast<int64_t>(args.activation));
  if (b) key.add(*b);
  else key.add(k).add(n);
  key.add(static_cast<int64_t>(bias ? (bias_in_desc ? 1 : 2) : 0));
  if (bias) key.add(bias_l);

  return ctx.runtime().cache.get(key, [&] {
    auto a_md = make_md(a, dt::f32);
    auto d_md = make_md(dst, dt::f32);
    dnnl::memory::desc b_md;
    if (b) {
      b_md = make_md(*b, dt::f32);
    } else {
      Dims wd(static_cast<size_t>(rank), 1);
      wd[static_cast<size_t>(rank - 2)] = k;
      wd[static_cast<size_t>(rank - 1)] = n;
      b_md = dnnl::memory::desc(wd, dt::f32, dnnl::memory::format_tag::any);
    }
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (args.alpha != 1.0f) attr.set_output_scales(0, {args.alpha});
    dnnl::post_ops po;
    if (bias && !bias_in_desc) po.append_binary(dnnl::algorithm::binary_add, make_md(bias_l, dt::f32));
    if (args.activation != LOOM_UNARY_IDENTITY) {
      EltwiseAlg e = eltwise_alg(args.activation);
      po.append_eltwise(1.0f, e.alg, e.alpha, e.beta);
    }
    if (args.beta != 0.0f) po.append_sum(args.beta);
    attr.set_post_ops(po);
    auto desc = bias_in_desc ? dnnl::matmul::desc(a_md, b_md, make_md(bias_l, dt::f32), d_md)
                             : dnnl::matmul::desc(a_md, b_md, d_md);
    dnnl::matmul::primitive_desc pd(desc, attr, ctx.engine());
    auto p = make_primitive<dnnl::matmul>(pd, {pd.weights_desc()});
    p->mds = {a_md, d_md, bias ? make_md(bias_l, dt::f32) : dnnl::memory::desc(), b_md};
    return p;
  });
}

// weights: the packed memory, or null to use b_data in the primitive's plain layout.
void execute_matmul(OpContext& ctx, const Primitive& p, const MatmulArgs& args, const void* a_data,
                    const dnnl::memory* weights, const void* b_data, const View* bias, void* dst_data) {
  Args exec{{DNNL_ARG_SRC, ctx.mem(p.mds[0], a_data)},
            {DNNL_ARG_WEIGHTS, weights ? *weights : ctx.mem(p.mds[3], b_data)},
            {DNNL_ARG_DST, ctx.mem(p.mds[1], dst_data)}};
  if (bias) {
    const int slot = args.alpha == 1.0f ? DNNL_ARG_BIAS : (DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1);
    exec.emplace_back(slot, ctx.mem(p.mds[2], bias->data()));
  }
  ctx.execute(p, std::move(exec));
}

// K == 0: the product is all zeros, so dst = act(bias) + beta * dst.
void matmul_empty_k(const MatmulArgs& args, const View* bias, const View& dst) {
  const int nd = dst.ndim();
  const int64_t n = dst.dim(-1), dn = dst.stride(-1);
  std::vector<int64_t> rows = dst.shape();
  rows.pop_back();
  std::vector<int64_t> row_strides = strides_of(dst);
  row_strides.resize(static_cast<size_t>(nd - 1));
  float* d = dst.data_as<float>();
  for_each_offset(rows, row_strides, [&](int64_t off) {
    for (int64_t j = 0; j < n; ++j) {
      float v = bias ? bias->data_as<const float>()[j * bias->stride(0)] : 0.0f;
      v = unary_scalar(args.activation, v);
      float& out = d[off + j * dn];
      out = args.beta != 0.0f ? v + args.beta * out : v;
    }
  });
}

}  // namespace

void OnednnBackend::matmul(const MatmulArgs& args, const View& a, const View& b, const View* bias, const View& dst) {
  const char* op = "matmul";
  check_f32(op, "a", a);
  check_f32(op, "b", b);
  check_f32(op, "dst", dst);
  check_output(op, "dst", dst);
  if (a.ndim() < 2 || b.ndim() < 2)
    throw sdk::invalid_argument(std::string(op) + ": a is " + a.shape_str() + " and b is " + b.shape_str() +
                                ": both need at least 2 dims");
  check_activation(op, args.activation);
  const View opa = args.transpose_a ? a.transpose(-1, -2) : a;
  const View opb = args.transpose_b ? b.transpose(-1, -2) : b;
  const int64_t m = opa.dim(-2), k = opa.dim(-1), kb = opb.dim(-2), n = opb.dim(-1);
  if (k != kb)
    throw sdk::invalid_argument(std::string(op) + ": " + operand("a", a, args.transpose_a) + " and " +
                                operand("b", b, args.transpose_b) + ": inner dims " + std::to_string(k) + " and " +
                                std::to_string(kb) + " differ");
  const Shape as = a.shape(), bs = b.shape();
  Shape batch;
  try {
    batch = broadcast_shapes(op, "a's batch dims", Shape(as.begin(), as.end() - 2), "b's batch dims",
                             Shape(bs.begin(), bs.end() - 2));
  } catch (const sdk::Error& e) {
    throw sdk::invalid_argument(std::string(e.what()) + " (a is " + a.shape_str() + ", b is " + b.shape_str() + ")");
  }
  Shape expected = batch;
  expected.push_back(m);
  expected.push_back(n);
  check_shape(op, "dst", dst, expected);
  check_bias(op, bias, n);
  if (dst.numel() == 0) return;
  if (k == 0) return matmul_empty_k(args, bias, dst);

  run_op(op, [&] {
    OpContext ctx(rt_, op);
    Layout al, bl, dl;
    int64_t rows = 0, rs = 0, drows = 0, drs = 0;
    bool b_batched = false;
    for (int i = 0; i < b.ndim() - 2; ++i) b_batched |= b.dim(i) != 1;
    if (!b_batched && merge_leading(opa, opa.ndim() - 2, rows, rs) && merge_leading(dst, dst.ndim() - 2, drows, drs)) {
      al = normalized({{rows, k}, {rs, opa.stride(-1)}});
      bl = normalized({{k, n}, {opb.stride(-2), opb.stride(-1)}});
      dl = normalized({{drows, n}, {drs, dst.stride(-1)}});
    } else {
      const int rank = dst.ndim();
      al = layout_of(opa, rank);
      bl = layout_of(opb, rank);
      dl = layout_of(dst);
    }
    const void* a_data = opa.data();
    const void* b_data = opb.data();
    densify(ctx, al, a_data);
    densify(ctx, bl, b_data);
    View bias_storage;
    const View* bias_v = real_bias(ctx, bias, bias_storage);
    auto prim = matmul_primitive(ctx, args, al, &bl, k, n, bias_v, dl);
    execute_matmul(ctx, *prim, args, a_data, nullptr, b_data, bias_v, dst.data());
  });
}

std::unique_ptr<Packed> OnednnBackend::matmul_pack(const View& b, bool transpose_b) {
  const char* op = "matmul_pack";
  check_f32(op, "b", b);
  if (b.ndim() != 2)
    throw sdk::invalid_argument(std::string(op) + ": b is " + b.shape_str() + "; a packed weight must be 2-D (" +
                                (transpose_b ? "[N, K]" : "[K, N]") + ")");
  const View opb = transpose_b ? b.transpose(0, 1) : b;
  auto packed = std::make_unique<PackedMatrix>(rt_.engine, opb.dim(0), opb.dim(1));
  if (opb.numel() == 0) return packed;
  run_op(op, [&] {
    OpContext ctx(rt_, op);
    const int64_t k = packed->k, n = packed->n;
    // The layout oneDNN wants for these weights, asked with a typical M.
    auto prim = matmul_primitive(ctx, MatmulArgs{}, dense_layout({kRepresentativeM, k}), nullptr, k, n, nullptr,
                                 dense_layout({kRepresentativeM, n}));
    dnnl::memory plain(make_md(dense_layout({k, n}), dt::f32), rt_.engine);
    ctx.reorder(make_md(layout_of(opb), dt::f32), opb.data(), plain.get_desc(), plain.get_data_handle());
    packed->weights = LazyWeights::pack(ctx, plain, prim->chosen.at(0));
  });
  return packed;
}

void OnednnBackend::matmul_packed(const MatmulArgs& args, const View& a, const Packed& b, const View* bias,
                                  const View& dst) {
  const char* op = "matmul_packed";
  const auto* packed = dynamic_cast<const PackedMatrix*>(&b);
  if (!packed) throw sdk::invalid_argument("matmul_packed: b was not made by the onednn backend's matmul_pack");
  check_f32(op, "a", a);
  check_f32(op, "dst", dst);
  check_output(op, "dst", dst);
  if (a.ndim() < 2) throw sdk::invalid_argument(std::string(op) + ": a is " + a.shape_str() + ": it needs at least 2 dims");
  check_activation(op, args.activation);
  const View opa = args.transpose_a ? a.transpose(-1, -2) : a;
  const int64_t m = opa.dim(-2), k = opa.dim(-1), n = packed->n;
  if (k != packed->k)
    throw sdk::invalid_argument(std::string(op) + ": " + operand("a", a, args.transpose_a) + " has K = " +
                                std::to_string(k) + " but the packed weight is [K, N] = [" +
                                std::to_string(packed->k) + ", " + std::to_string(n) + "]");
  Shape expected = opa.shape();
  expected.back() = n;
  expected[expected.size() - 2] = m;
  check_shape(op, "dst", dst, expected);
  check_bias(op, bias, n);
  if (dst.numel() == 0) return;
  if (k == 0) return matmul_empty_k(args, bias, dst);

  run_op(op, [&] {
    OpContext ctx(rt_, op);
    // The weights are 2-D, so fold every batch dim into M.
    int64_t rows = 0, rs = 0, drows = 0, drs = 0;
    Layout al;
    const void* a_data = opa.data();
    if (merge_leading(opa, opa.ndim() - 2, rows, rs)) {
      al = normalized({{rows, k}, {rs, opa.stride(-1)}});
    } else {
      rows = opa.numel() / k;
      al = dense_layout({rows, k});
      void* tmp = ctx.temp(static_cast<size_t>(opa.numel()) * sizeof(float));
      ctx.reorder(make_md(layout_of(opa), dt::f32), a_data, make_md(dense_layout(layout_of(opa).dims), dt::f32), tmp);
      a_data = tmp;
    }
    densify(ctx, al, a_data);
    Layout dl;
    void* d_data = dst.data();
    const bool dst_merges = merge_leading(dst, dst.ndim() - 2, drows, drs);
    dnnl::memory::desc user_dst, dense_dst;  // only when dst needs a dense stand-in
    if (dst_merges) {
      dl = normalized({{drows, n}, {drs, dst.stride(-1)}});
    } else {
      dl = dense_layout({rows, n});
      user_dst = make_md(layout_of(dst), dt::f32);
      dense_dst = make_md(dense_layout(layout_of(dst).dims), dt::f32);
      d_data = ctx.temp(dense_dst.get_size());
      if (args.beta != 0.0f) ctx.reorder(user_dst, dst.data(), dense_dst, d_data);
    }
    View bias_storage;
    const View* bias_v = real_bias(ctx, bias, bias_storage);
    auto prim = matmul_primitive(ctx, args, al, nullptr, k, n, bias_v, dl);
    dnnl::memory weights = packed->weights.get(ctx, prim->chosen.at(0));
    execute_matmul(ctx, *prim, args, a_data, &weights, nullptr, bias_v, d_data);
    if (!dst_merges) ctx.reorder(dense_dst, d_data, user_dst, dst.data());
  });
}

}  // namespace loom::onednn
