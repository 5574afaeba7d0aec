// rnn_pack / rnn_forward through cuDNN 9's RNN API: the weights are copied
// once into cuDNN's weight space, each forward is one cudnnRNNForward
// (inference mode) over time-major, fully packed data.
//
// Gate order. cuDNN's linLayerID (cudnnGetRNNWeightParams) numbers a
// pseudo-layer's matrices input-side first, then recurrent-side, each side in
// cuDNN's gate order:
//   RNN (relu, tanh): 0 W (input), 1 R (recurrent)
//   LSTM: 0-3 W for the input, forget, new-memory (cell) and output gates,
//         4-7 R for the same gates
//   GRU:  0-2 W for the reset, update and new-memory gates, 3-5 R for them
// with biases at the same IDs (b_W with W, b_R with R). PyTorch's orders are
// the same (LSTM i, f, g, o; GRU r, z, n), so gate g of w_ih / b_ih goes to
// linLayerID g and gate g of w_hh / b_hh to G + g, rows [g*H, (g+1)*H) each.
// cuDNN's GRU is the linear-before-reset form: h' = tanh(W x + b_W + r * (R h
// + b_R)), torch's n gate. Pseudo-layer l * dirs + d is layer l, direction d
// (0 forward, 1 reverse), Loom's weight index; hx / hy are [layers * dirs,
// N, H] in that order and y is [T, N, dirs * H] with the forward half first.
#include <climits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cuda_errors.hpp"
#include "cudnn_backend.hpp"
#include "kernel_op_checks.hpp"
#include "kernels/epilogue.hpp"

namespace loom::cudnn {

namespace {

cudnnRNNMode_t cell_mode(int32_t cell) {
  switch (cell) {
    case LOOM_RNN_TANH: return CUDNN_RNN_TANH;
    case LOOM_RNN_RELU: return CUDNN_RNN_RELU;
    case LOOM_RNN_LSTM: return CUDNN_LSTM;
    default: return CUDNN_GRU;
  }
}

cudnnDataType_t data_type(int32_t dtype) { return dtype == LOOM_DTYPE_F16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT; }

class TensorDescriptor {
 public:
  TensorDescriptor() { check_cudnn(cudnnCreateTensorDescriptor(&d_), "creating a tensor descriptor"); }
  ~TensorDescriptor() { (void)cudnnDestroyTensorDescriptor(d_); }
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class RnnDataDescriptor {
 public:
  RnnDataDescriptor() { check_cudnn(cudnnCreateRNNDataDescriptor(&d_), "creating an RNN data descriptor"); }
  ~RnnDataDescriptor() { (void)cudnnDestroyRNNDataDescriptor(d_); }
  RnnDataDescriptor(const RnnDataDescriptor&) = delete;
  RnnDataDescriptor& operator=(const RnnDataDescriptor&) = delete;
  cudnnRNNDataDescriptor_t get() const { return d_; }

 private:
  cudnnRNNDataDescriptor_t d_ = nullptr;
};

// What rnn_pack prepares: cuDNN's descriptors of the network and the weight
// space (device memory this object owns), reused by every forward.
class PackedRnn final : public Packed {
 public:
  explicit PackedRnn(int device_index) : device(device_index) {}
  ~PackedRnn() override {
    if (rnn) (void)cudnnDestroyRNNDescriptor(rnn);  // before the dropout descriptor it refers to
    if (dropout) (void)cudnnDestroyDropoutDescriptor(dropout);
    if (weights) {
      // cudaFree waits for the device, so no queued forward still reads them.
      (void)cudaSetDevice(device);
      if (cudaFree(weights) != cudaSuccess) (void)cudaGetLastError();
    }
  }
  PackedRnn(const PackedRnn&) = delete;
  PackedRnn& operator=(const PackedRnn&) = delete;

  int device;
  RnnArgs args;
  int32_t dtype = LOOM_DTYPE_F32;
  cudnnRNNDescriptor_t rnn = nullptr;
  cudnnDropoutDescriptor_t dropout = nullptr;
  void* weights = nullptr;
  size_t weight_bytes = 0;
};

// Checks entry i of one weight array (w_ih, b_hh, ...).
void check_weight(const char* array, size_t i, const View& v, const Shape& expected, int32_t dtype, int device) {
  const std::string name = std::string(array) + "[" + std::to_string(i) + "]";
  check_float("rnn_pack", name.c_str(), v, device);
  check_shape("rnn_pack", name.c_str(), v, expected);
  if (v.dtype() != dtype)
    throw sdk::invalid_argument("rnn_pack: " + name + " is " + describe(v) + " but w_ih[0] is " +
                                sdk::dtype_name(dtype) + ": dtypes differ");
  check_aligned("rnn_pack", name.c_str(), v);  // the copy kernels read whole elements
}

void check_state(const char* name, const View* v, const Shape& expected, int32_t dtype, int device, bool output) {
  if (!v) return;
  check_float("rnn_forward", name, *v, device);
  check_shape("rnn_forward", name, *v, expected);
  if (v->dtype() != dtype)
    throw sdk::invalid_argument(std::string("rnn_forward: ") + name + " is " + describe(*v) + " but the weights are " +
                                sdk::dtype_name(dtype) + ": dtypes differ");
  if (output) check_output("rnn_forward", name, *v);
  check_aligned("rnn_forward", name, *v);  // cuDNN and the copy kernels read whole elements
}

// Checks that cuDNN lays a parameter out as a packed row-major [rows, cols]
// (its descriptor says [1, rows, cols]; size-1 dims are ignored), the layout
// the copies below write.
void expect_layout(cudnnTensorDescriptor_t desc, int64_t rows, int64_t cols, const std::string& what) {
  cudnnDataType_t type{};
  int nd = 0;
  int dims[8] = {0}, strides[8] = {0};
  check_cudnn(cudnnGetTensorNdDescriptor(desc, 8, &type, &nd, dims, strides), "rnn_pack: reading the layout of " + what);
  std::vector<int64_t> got, want;
  bool ok = nd >= 1 && nd <= 8;
  int64_t step = 1;
  for (int i = (ok ? nd : 0) - 1; i >= 0; --i) {
    if (dims[i] == 1) continue;
    got.insert(got.begin(), dims[i]);
    ok = ok && strides[i] == step;
    step *= dims[i];
  }
  if (rows != 1) want.push_back(rows);
  if (cols != 1) want.push_back(cols);
  if (ok && got == want) return;
  std::string shown = "[";
  for (int i = 0; i < nd && i < 8; ++i) shown += (i ? ", " : "") + std::to_string(dims[i]);
  shown += "] strides [";
  for (int i = 0; i < nd && i < 8; ++i) shown += (i ? ", " : "") + std::to_string(strides[i]);
  throw sdk::Error(LOOM_ERR_DEVICE, "rnn_pack: cuDNN lays out " + what + " as " + shown + "], not a packed [" +
                                        std::to_string(rows) + ", " + std::to_string(cols) + "] row-major");
}

// Copies `src` (any strides) into `dst` (any strides), same shape and dtype.
void copy_view(const DeviceState& state, const View& src, const View& dst, const std::string& what) {
  launch_operand_copy(desc_of(src), desc_of(dst), state.stream());
  check_launch(what);
}

// `v` itself when contiguous, else a contiguous scratch copy (its values
// copied when `fill`) that `holder` keeps alive.
View contiguous(const DeviceState& state, const View& v, bool fill, std::unique_ptr<Scratch>& holder,
                const char* name) {
  if (v.is_contiguous()) return v;
  const std::string what = std::string("rnn_forward: ") + name;
  holder = std::make_unique<Scratch>(state, static_cast<size_t>(v.numel()) * v.element_size(), what.c_str());
  const View c(holder->data(), v.dtype(), v.shape(), v.device());
  if (fill) copy_view(state, v, c, what + ": copying to contiguous memory");
  return c;
}

// An empty sequence leaves the states as they came: out = init, or zeros.
void pass_state(const DeviceState& state, const View* init, const View* out, const char* name) {
  if (!out || out->numel() == 0) return;
  const std::string what = std::string("rnn_forward: ") + name;
  if (init) {
    copy_view(state, *init, *out, what);
    return;
  }
  std::unique_ptr<Scratch> holder;
  const View target = contiguous(state, *out, false, holder, name);
  // All-zero bytes are 0.0 in f32 and f16.
  check_cuda(cudaMemsetAsync(target.data(), 0, static_cast<size_t>(out->numel()) * out->element_size(), state.stream()),
             what + ": zeroing");
  if (target.data() != out->data()) copy_view(state, target, *out, what);
}

bool fits_int(int64_t v) { return v <= INT_MAX; }

}  // namespace

std::unique_ptr<Packed> CudnnBackend::rnn_pack(const RnnArgs& args, const std::vector<View>& w_ih,
                                               const std::vector<View>& w_hh, const std::vector<View>& b_ih,
                                               const std::vector<View>& b_hh) {
  const int device = state_->device();
  const size_t count = sdk::checks::check_rnn_pack_counts(args.cell, args.input_size, args.hidden_size,
                                                         args.num_layers, args.bidirectional, w_ih.size(),
                                                         w_hh.size(), b_ih.size(), b_hh.size());
  check_float("rnn_pack", "w_ih[0]", w_ih[0], device);
  const int32_t dtype = w_ih[0].dtype();
  const int64_t H = args.hidden_size, G = args.gates(), rows = G * H;
  for (size_t i = 0; i < count; ++i) {
    const int64_t in = i < static_cast<size_t>(args.dirs()) ? args.input_size : args.dirs() * H;
    check_weight("w_ih", i, w_ih[i], {rows, in}, dtype, device);
    check_weight("w_hh", i, w_hh[i], {rows, H}, dtype, device);
    if (!b_ih.empty()) check_weight("b_ih", i, b_ih[i], {rows}, dtype, device);
    if (!b_hh.empty()) check_weight("b_hh", i, b_hh[i], {rows}, dtype, device);
  }
  if (dtype != LOOM_DTYPE_F32 && dtype != LOOM_DTYPE_F16)
    throw sdk::unsupported("rnn_pack: w_ih[0] is " + describe(w_ih[0]) +
                           "; the cudnn backend runs recurrent layers in f32 or f16 (cuDNN's RNN API has no bf16)");
  if (!fits_int(args.input_size) || !fits_int(rows) || !fits_int(args.dirs() * H))
    throw sdk::unsupported("rnn_pack: input_size " + std::to_string(args.input_size) + " or hidden_size " +
                           std::to_string(H) + " exceeds cuDNN's 32-bit range");

  state_->activate();
  const cudaStream_t stream = state_->stream();
  auto packed = std::make_unique<PackedRnn>(device);
  packed->args = args;
  packed->dtype = dtype;
  // Either bias array alone is fine: the absent one stays zero in the weight space.
  const bool biased = !b_ih.empty() || !b_hh.empty();
  {
    std::lock_guard<std::mutex> lock(state_->library_mutex());
    const cudnnHandle_t handle = state_->cudnn();
    check_cudnn(cudnnCreateDropoutDescriptor(&packed->dropout), "rnn_pack: creating the dropout descriptor");
    // No dropout at inference: no random states needed.
    check_cudnn(cudnnSetDropoutDescriptor(packed->dropout, handle, 0.0f, nullptr, 0, 0),
                "rnn_pack: setting the dropout descriptor");
    check_cudnn(cudnnCreateRNNDescriptor(&packed->rnn), "rnn_pack: creating the RNN descriptor");
    // f32 stays IEEE fp32 (FMA kernels) unless the backend allows TF32; f16
    // may use tensor cores, accumulating in f32 (mathPrec).
    const cudnnMathType_t math = dtype == LOOM_DTYPE_F16 ? CUDNN_TENSOR_OP_MATH
                                 : state_->allow_tf32()  ? CUDNN_DEFAULT_MATH
                                                         : CUDNN_FMA_MATH;
    check_cudnn(cudnnSetRNNDescriptor_v8(packed->rnn, CUDNN_RNN_ALGO_STANDARD, cell_mode(args.cell),
                                         biased ? CUDNN_RNN_DOUBLE_BIAS : CUDNN_RNN_NO_BIAS,
                                         args.bidirectional ? CUDNN_BIDIRECTIONAL : CUDNN_UNIDIRECTIONAL,
                                         CUDNN_LINEAR_INPUT, data_type(dtype), CUDNN_DATA_FLOAT, math,
                                         static_cast<int32_t>(args.input_size), static_cast<int32_t>(H),
                                         static_cast<int32_t>(H),  // projSize == hiddenSize: no projection
                                         args.num_layers, packed->dropout,
                                         CUDNN_RNN_PADDED_IO_ENABLED),  // permits the SEQ_MAJOR_UNPACKED layout
                "rnn_pack: setting the RNN descriptor (" + std::string(sdk::checks::rnn_cell_name(args.cell)) + ", " +
                    std::to_string(args.num_layers) + " layers, input " + std::to_string(args.input_size) +
                    ", hidden " + std::to_string(H) + ")");
    check_cudnn(cudnnGetRNNWeightSpaceSize(handle, packed->rnn, &packed->weight_bytes),
                "rnn_pack: sizing the weight space");
    check_cuda(cudaMalloc(&packed->weights, packed->weight_bytes),
               "rnn_pack: allocating " + std::to_string(packed->weight_bytes) + " bytes of weights");
    check_cuda(cudaMemsetAsync(packed->weights, 0, packed->weight_bytes, stream), "rnn_pack: zeroing the weights");

    TensorDescriptor m_desc, b_desc;
    const loom_device where{LOOM_DEVICE_CUDA, device};
    for (size_t i = 0; i < count; ++i) {
      const int64_t in = i < static_cast<size_t>(args.dirs()) ? args.input_size : args.dirs() * H;
      for (int recurrent = 0; recurrent < 2; ++recurrent) {
        const View& w = recurrent ? w_hh[i] : w_ih[i];
        const std::vector<View>& bias = recurrent ? b_hh : b_ih;
        const int64_t cols = recurrent ? H : in;
        for (int64_t g = 0; g < G; ++g) {
          const int32_t lin = static_cast<int32_t>(recurrent * G + g);
          const std::string what = std::string(recurrent ? "w_hh[" : "w_ih[") + std::to_string(i) + "] gate " +
                                   std::to_string(g) + " (linLayerID " + std::to_string(lin) + ")";
          void* m_addr = nullptr;
          void* b_addr = nullptr;
          check_cudnn(cudnnGetRNNWeightParams(handle, packed->rnn, static_cast<int32_t>(i), packed->weight_bytes,
                                              packed->weights, lin, m_desc.get(), &m_addr, b_desc.get(), &b_addr),
                      "rnn_pack: locating " + what);
          if (!m_addr) throw sdk::Error(LOOM_ERR_DEVICE, "rnn_pack: cuDNN has no matrix for " + what);
          expect_layout(m_desc.get(), H, cols, what);
          copy_view(*state_, w.slice(0, g * H, (g + 1) * H), View(m_addr, dtype, {H, cols}, where),
                    "rnn_pack: copying " + what);
          if (!biased || bias.empty()) continue;
          if (!b_addr) throw sdk::Error(LOOM_ERR_DEVICE, "rnn_pack: cuDNN has no bias for " + what);
          expect_layout(b_desc.get(), H, 1, "the bias of " + what);
          copy_view(*state_, bias[i].slice(0, g * H, (g + 1) * H), View(b_addr, dtype, {H}, where),
                    "rnn_pack: copying the bias of " + what);
        }
      }
    }
  }
  // The caller may free or overwrite the weights once this returns.
  check_cuda(cudaStreamSynchronize(stream), "rnn_pack: copying the weights");
  return packed;
}

void CudnnBackend::rnn_forward(const Packed& weights, const View& src, const View* h0, const View* c0,
                               const View& dst, const View* hn, const View* cn) {
  const char* op = "rnn_forward";
  const int device = state_->device();
  const auto* packed = dynamic_cast<const PackedRnn*>(&weights);
  if (!packed) throw sdk::invalid_argument("rnn_forward: weights were not made by the cudnn backend's rnn_pack");
  const RnnArgs& args = packed->args;
  const int64_t H = args.hidden_size, dirs = args.dirs(), states = args.num_layers * dirs;
  const int32_t dtype = packed->dtype;

  check_float(op, "src", src, device);
  if (src.ndim() != 3 || src.dim(2) != args.input_size)
    throw sdk::invalid_argument("rnn_forward: src is " + src.shape_str() + "; expected [T, N, " +
                                std::to_string(args.input_size) + "] (time-major, input_size " +
                                std::to_string(args.input_size) + ")");
  if (src.dtype() != dtype)
    throw sdk::invalid_argument("rnn_forward: src is " + describe(src) + " but the weights are " +
                                sdk::dtype_name(dtype) + ": dtypes differ");
  check_aligned(op, "src", src);
  const int64_t T = src.dim(0), N = src.dim(1);
  check_state("dst", &dst, {T, N, dirs * H}, dtype, device, true);
  const bool lstm = args.cell == LOOM_RNN_LSTM;
  if (!lstm && (c0 || cn))
    throw sdk::invalid_argument(std::string("rnn_forward: ") + (c0 ? "c0" : "cn") + " is given but the cell is " +
                                sdk::checks::rnn_cell_name(args.cell) + "; cell states are for LSTM only");
  check_state("h0", h0, {states, N, H}, dtype, device, false);
  check_state("c0", c0, {states, N, H}, dtype, device, false);
  check_state("hn", hn, {states, N, H}, dtype, device, true);
  check_state("cn", cn, {states, N, H}, dtype, device, true);
  if (N == 0) return;  // every tensor is empty

  state_->activate();
  const DeviceState& st = *state_;
  if (T == 0) {
    pass_state(st, h0, hn, "hn");
    pass_state(st, c0, cn, "cn");
    return;
  }
  if (!fits_int(T) || !fits_int(N))
    throw sdk::unsupported("rnn_forward: src is " + src.shape_str() + "; cuDNN takes at most " +
                           std::to_string(INT_MAX) + " steps and batch items");

  // cuDNN reads and writes packed [T, N, C] and [layers * dirs, N, H] data:
  // strided views go through contiguous scratch copies.
  std::unique_ptr<Scratch> x_mem, y_mem, hx_mem, cx_mem, hy_mem, cy_mem;
  const View x = contiguous(st, src, true, x_mem, "src");
  const View y = contiguous(st, dst, false, y_mem, "dst");
  std::optional<View> hx, cx, hy, cy;
  if (h0) hx = contiguous(st, *h0, true, hx_mem, "h0");
  if (c0) cx = contiguous(st, *c0, true, cx_mem, "c0");
  if (hn) hy = contiguous(st, *hn, false, hy_mem, "hn");
  if (cn) cy = contiguous(st, *cn, false, cy_mem, "cn");

  // Every sequence runs all T steps; cuDNN wants the lengths on the host (the
  // descriptors) and on the device (read by its kernels after this returns).
  const int t32 = static_cast<int>(T), n32 = static_cast<int>(N);
  const std::vector<int> lengths(static_cast<size_t>(N), t32);
  Scratch dev_lengths(st, lengths.size() * sizeof(int32_t), "rnn_forward: sequence lengths");
  launch_fill_int32(dev_lengths.as<int32_t>(), N, t32, st.stream());
  check_launch("rnn_forward: filling the sequence lengths");

  const cudnnDataType_t type = data_type(dtype);
  RnnDataDescriptor x_desc, y_desc;
  TensorDescriptor h_desc;
  check_cudnn(cudnnSetRNNDataDescriptor(x_desc.get(), type, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, t32, n32,
                                        static_cast<int>(args.input_size), lengths.data(), nullptr),
              "rnn_forward: describing src " + src.shape_str());
  check_cudnn(cudnnSetRNNDataDescriptor(y_desc.get(), type, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, t32, n32,
                                        static_cast<int>(dirs * H), lengths.data(), nullptr),
              "rnn_forward: describing dst " + dst.shape_str());
  if (N * H > INT_MAX)
    throw sdk::unsupported("rnn_forward: a state of " + std::to_string(N) + " x " + std::to_string(H) +
                           " values exceeds cuDNN's 32-bit strides");
  const int h_dims[3] = {static_cast<int>(states), n32, static_cast<int>(H)};
  const int h_strides[3] = {static_cast<int>(N * H), static_cast<int>(H), 1};
  check_cudnn(cudnnSetTensorNdDescriptor(h_desc.get(), type, 3, h_dims, h_strides),
              "rnn_forward: describing the states");

  std::lock_guard<std::mutex> lock(state_->library_mutex());
  const cudnnHandle_t handle = st.cudnn();
  size_t work_bytes = 0, reserve_bytes = 0;
  check_cudnn(cudnnGetRNNTempSpaceSizes(handle, packed->rnn, CUDNN_FWD_MODE_INFERENCE, x_desc.get(), &work_bytes,
                                        &reserve_bytes),
              "rnn_forward: sizing the workspace");
  Scratch work(st, work_bytes, "rnn_forward: workspace");
  // Inference needs no reserve space, but hand cuDNN whatever it asks for.
  Scratch reserve(st, reserve_bytes, "rnn_forward: reserve space");
  // The cell-state descriptor is the hidden one (same shape); cx / cy stay
  // null for cells without a cell state.
  check_cudnn(cudnnRNNForward(handle, packed->rnn, CUDNN_FWD_MODE_INFERENCE, dev_lengths.as<int32_t>(), x_desc.get(),
                              x.data(), y_desc.get(), y.data(), h_desc.get(), hx ? hx->data() : nullptr,
                              hy ? hy->data() : nullptr, h_desc.get(), cx ? cx->data() : nullptr,
                              cy ? cy->data() : nullptr, packed->weight_bytes, packed->weights, work_bytes,
                              work.data(), reserve_bytes, reserve.data()),
              "rnn_forward: cudnnRNNForward (" + std::string(sdk::checks::rnn_cell_name(args.cell)) + ", T " + std::to_string(T) +
                  ", N " + std::to_string(N) + ")");

  // Results computed in scratch go to the caller's strided views.
  if (y.data() != dst.data()) copy_view(st, y, dst, "rnn_forward: dst");
  if (hy && hy->data() != hn->data()) copy_view(st, *hy, *hn, "rnn_forward: hn");
  if (cy && cy->data() != cn->data()) copy_view(st, *cy, *cn, "rnn_forward: cn");
}

}  // namespace loom::cudnn
