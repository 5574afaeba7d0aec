// matmul, matmul_pack, matmul_packed: the triple loop, batched over
// broadcast leading dims, with alpha, bias, fused activation and beta.
#include <memory>
#include <string>
#include <vector>

#include "checks.hpp"
#include "reference_backend.hpp"
#include "strided.hpp"
#include "unary_math.hpp"

namespace loom::reference {

namespace {

// A weight copied at pack time: contiguous, same dtype and logical shape as
// the caller's b, with the transpose flag it was packed with.
class PackedMatrix final : public Packed {
 public:
  PackedMatrix(const View& b, bool transpose)
      : transpose_b(transpose), bytes_(static_cast<size_t>(b.numel()) * b.element_size()) {
    view = View(bytes_.data(), b.dtype(), b.shape());
  }
  bool transpose_b;
  View view;  // over bytes_

 private:
  std::vector<unsigned char> bytes_;
};

// The matmul behind both entry points; `op` names the one the caller used.
void run_matmul(const char* op, const MatmulArgs& args, const View& a, const View& b, const View* bias,
                const View& dst) {
  check_float(op, "a", a);
  check_float(op, "b", b);
  check_float(op, "dst", dst);
  check_same_dtype(op, "b", b, "a", a);
  check_same_dtype(op, "dst", dst, "a", a);
  if (bias) check_float(op, "bias", *bias);
  const sdk::checks::MatmulSizes sizes =
      sdk::checks::check_matmul_shapes(op, args.transpose_a, args.transpose_b, args.activation, a, b, bias, dst);
  const Shape& batch = sizes.batch;
  const int64_t m = sizes.m, n = sizes.n, ka = sizes.k;

  // Strides of op(a) and op(b) along their last two dims.
  const int64_t a_sm = args.transpose_a ? a.stride(-1) : a.stride(-2);
  const int64_t a_sk = args.transpose_a ? a.stride(-2) : a.stride(-1);
  const int64_t b_sk = args.transpose_b ? b.stride(-1) : b.stride(-2);
  const int64_t b_sn = args.transpose_b ? b.stride(-2) : b.stride(-1);
  const int64_t d_sm = dst.stride(-2), d_sn = dst.stride(-1);
  const int nb = static_cast<int>(batch.size());
  const View a_batch_dims = leading_dims(a, 2), b_batch_dims = leading_dims(b, 2), d_batch_dims = leading_dims(dst, 2);

  for_each_index(batch, [&](const Index& bi) {
    // Each operand's batch dims are right-aligned in `batch`; its size-1 dims broadcast.
    const int64_t a0 = offset_at(a_batch_dims, bi, nb), b0 = offset_at(b_batch_dims, bi, nb);
    const int64_t d0 = offset_at(d_batch_dims, bi, nb);

    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < ka; ++k) acc += load(a, a0 + i * a_sm + k * a_sk) * load(b, b0 + k * b_sk + j * b_sn);
        double v = args.alpha * acc;
        if (bias) v += load(*bias, j * bias->stride(0));
        v = apply_unary(args.activation, v, 1.0, 0.0);
        const int64_t o = d0 + i * d_sm + j * d_sn;
        // beta == 0 overwrites: whatever dst held (even NaN) is not read.
        if (args.beta != 0.0f) v += args.beta * load(dst, o);
        store(dst, o, v);
      }
    }
  });
}

}  // namespace

void ReferenceBackend::matmul(const MatmulArgs& args, const View& a, const View& b, const View* bias, const View& dst) {
  run_matmul("matmul", args, a, b, bias, dst);
}

std::unique_ptr<Packed> ReferenceBackend::matmul_pack(const View& b, bool transpose_b) {
  const char* op = "matmul_pack";
  check_float(op, "b", b);
  if (b.ndim() != 2)
    throw sdk::invalid_argument(std::string(op) + ": b is " + b.shape_str() + "; a packed weight must be 2-D (" +
                                (transpose_b ? "[N, K]" : "[K, N]") + ")");
  auto packed = std::make_unique<PackedMatrix>(b, transpose_b);
  const View& owned = packed->view;
  for_each_index(b.shape(), [&](const Index& i) { copy_element(b, offset_at(b, i), owned, offset_at(owned, i)); });
  return packed;
}

void ReferenceBackend::matmul_packed(const MatmulArgs& args, const View& a, const Packed& b, const View* bias,
                                     const View& dst) {
  const auto* packed = dynamic_cast<const PackedMatrix*>(&b);
  if (!packed) throw sdk::invalid_argument("matmul_packed: b was not made by the reference backend's matmul_pack");
  MatmulArgs with_b = args;
  with_b.transpose_b = packed->transpose_b;  // desc->transpose_b is ignored, as documented
  run_matmul("matmul_packed", with_b, a, packed->view, bias, dst);
}

}  // namespace loom::reference
