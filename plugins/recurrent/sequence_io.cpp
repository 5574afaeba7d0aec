#include "sequence_io.hpp"

#include <string>

namespace loom::recurrent {

namespace {

std::string layout_text(const Config& cfg) {
  const std::string in = "input_size = " + std::to_string(cfg.input_size);
  return (cfg.batch_first ? "[N, T, " : "[T, N, ") + in + "] or an unbatched [T, " + in + "]";
}

void require_f32(const View& v, const char* name) {
  if (v.dtype() != LOOM_DTYPE_F32)
    throw sdk::invalid_argument(std::string(name) + " has dtype " + sdk::dtype_name(v.dtype()) + " " +
                                v.shape_str() + ", expected f32");
}

// h0 / c0: [S, N, H], or [S, H] with an unbatched input.
View bind_state(const View& v, const char* name, const Config& cfg, const SequenceIO& io) {
  require_f32(v, name);
  const Shape expected = io.unbatched ? Shape{cfg.states(), cfg.hidden_size}
                                      : Shape{cfg.states(), io.batch, cfg.hidden_size};
  if (v.shape() != expected)
    throw sdk::invalid_argument(std::string(name) + " has shape " + v.shape_str() + ", expected " +
                                (io.unbatched ? "[num_layers * num_directions, hidden_size] = "
                                              : "[num_layers * num_directions, N, hidden_size] = ") +
                                sdk::shape_string(expected) + " (num_layers " + std::to_string(cfg.num_layers) +
                                ", " + (cfg.bidirectional ? "2 directions" : "1 direction") + ", hidden_size " +
                                std::to_string(cfg.hidden_size) +
                                (io.unbatched ? ", unbatched input)" : ", N = " + std::to_string(io.batch) + ")"));
  return io.unbatched ? insert_unit_dim(v, 1) : v;
}

template <class T>
std::vector<int64_t> read_ints(const View& v) {
  std::vector<int64_t> out(static_cast<size_t>(v.dim(0)));
  const T* base = v.data_as<const T>();
  for (int64_t i = 0; i < v.dim(0); ++i) out[static_cast<size_t>(i)] = static_cast<int64_t>(base[i * v.stride(0)]);
  return out;
}

std::vector<int64_t> bind_lengths(const View& v, const SequenceIO& io) {
  if (io.unbatched)
    throw sdk::invalid_argument("lengths " + v.shape_str() + " given with an unbatched input " +
                                io.x_user.shape_str() + "; lengths need a batch [T, N, ...] input");
  if (v.dtype() != LOOM_DTYPE_I64 && v.dtype() != LOOM_DTYPE_I32)
    throw sdk::invalid_argument(std::string("lengths has dtype ") + sdk::dtype_name(v.dtype()) + " " +
                                v.shape_str() + ", expected i64 or i32");
  if (v.ndim() != 1 || v.dim(0) != io.batch)
    throw sdk::invalid_argument("lengths has shape " + v.shape_str() + ", expected [N] = [" +
                                std::to_string(io.batch) + "], one length per sequence");
  // The layer plans its work from the lengths, so it reads them here; that
  // needs memory the CPU can read.
  if (v.device().type != LOOM_DEVICE_CPU)
    throw sdk::unsupported("lengths must be in CPU memory; this backend's device is not the CPU");
  std::vector<int64_t> lengths = v.dtype() == LOOM_DTYPE_I64 ? read_ints<int64_t>(v) : read_ints<int32_t>(v);
  for (size_t n = 0; n < lengths.size(); ++n) {
    const int64_t len = lengths[n];
    if (len < 1)
      throw sdk::invalid_argument("lengths[" + std::to_string(n) + "] = " + std::to_string(len) +
                                  " is below 1; every sequence needs at least one step");
    if (len > io.steps)
      throw sdk::invalid_argument("lengths[" + std::to_string(n) + "] = " + std::to_string(len) +
                                  " is larger than the sequence length T = " + std::to_string(io.steps) +
                                  " of the input " + io.x_user.shape_str());
  }
  return lengths;
}

}  // namespace

bool SequenceIO::full_length() const {
  for (int64_t len : lengths)
    if (len != steps) return false;
  return true;
}

View insert_unit_dim(const View& v, int32_t axis) {
  if (v.ndim() >= LOOM_MAX_DIMS || axis < 0 || axis > v.ndim())
    throw sdk::invalid_argument("cannot add a dim at " + std::to_string(axis) + " to " + v.shape_str());
  loom_tensor_view raw = v.raw();
  for (int32_t d = raw.ndim; d > axis; --d) {
    raw.shape[d] = raw.shape[d - 1];
    raw.strides[d] = raw.strides[d - 1];
  }
  // Any stride is valid for a size-1 dim; this one keeps a contiguous view contiguous.
  raw.strides[axis] = axis < v.ndim() ? v.dim(axis) * v.stride(axis) : 1;
  raw.shape[axis] = 1;
  ++raw.ndim;
  return View(raw);
}

SequenceIO bind_sequence(sdk::ForwardContext& ctx, const Config& cfg) {
  SequenceIO io;
  io.x_user = ctx.input("input");
  const View& x = io.x_user;
  require_f32(x, "input");
  if (x.ndim() != 3 && x.ndim() != 2)
    throw sdk::invalid_argument("input has shape " + x.shape_str() + ", expected " + layout_text(cfg));
  if (x.dim(-1) != cfg.input_size)
    throw sdk::invalid_argument("input has " + std::to_string(x.dim(-1)) + " features in its last dim " +
                                x.shape_str() + ", expected input_size = " + std::to_string(cfg.input_size));
  io.unbatched = x.ndim() == 2;
  if (io.unbatched)
    io.x = insert_unit_dim(x, 1);  // batch_first does not apply to an unbatched input (as torch)
  else
    io.x = cfg.batch_first ? x.transpose(0, 1) : x;
  io.steps = io.x.dim(0);
  io.batch = io.x.dim(1);

  if (const View* h0 = ctx.find_input("h0")) io.h0 = bind_state(*h0, "h0", cfg, io);
  if (const View* c0 = ctx.find_input("c0")) {
    if (!cfg.lstm())
      throw sdk::invalid_argument("c0 " + c0->shape_str() + " is given but " + cfg.type +
                                  " has no cell state (only lstm takes c0)");
    io.c0 = bind_state(*c0, "c0", cfg, io);
  }
  if (const View* lengths = ctx.find_input("lengths")) io.lengths = bind_lengths(*lengths, io);

  // Outputs in the caller's layout; the views the op writes are time-major.
  const int64_t T = io.steps, N = io.batch, S = cfg.states(), H = cfg.hidden_size, F = cfg.output_size();
  if (io.unbatched) {
    io.y_user = ctx.output("output", LOOM_DTYPE_F32, {T, F});
    io.y = insert_unit_dim(io.y_user, 1);
    io.hn = insert_unit_dim(ctx.output("h_n", LOOM_DTYPE_F32, {S, H}), 1);
    if (cfg.lstm()) io.cn = insert_unit_dim(ctx.output("c_n", LOOM_DTYPE_F32, {S, H}), 1);
  } else {
    io.y_user = ctx.output("output", LOOM_DTYPE_F32, cfg.batch_first ? Shape{N, T, F} : Shape{T, N, F});
    io.y = cfg.batch_first ? io.y_user.transpose(0, 1) : io.y_user;
    io.hn = ctx.output("h_n", LOOM_DTYPE_F32, {S, N, H});
    if (cfg.lstm()) io.cn = ctx.output("c_n", LOOM_DTYPE_F32, {S, N, H});
  }
  return io;
}

}  // namespace loom::recurrent
