/* Loom plugin ABI: the backend op set. Layers are written against these ops
 * only, so one layer runs on every backend. All ops are synchronous with
 * respect to the caller's view of memory (a GPU backend orders them on its
 * stream; synchronize() waits).
 *
 * Shared conventions:
 * - Views may be strided (strides in elements) unless an op says "contiguous".
 * - dst never aliases a source unless an op says it may (only unary and binary do).
 * - NaN propagates through every op, including binary MAX/MIN (as torch).
 * - Broadcasting follows NumPy: shapes are right-aligned, a size-1 dim
 *   stretches; dst has the broadcast shape.
 * - Every op supports F32. Other dtypes are optional: an op that cannot do a
 *   dtype returns LOOM_ERR_UNSUPPORTED with a message; it never guesses.
 * - An empty tensor (a zero in its shape) is valid and does nothing.
 * - Errors: return a status and describe it through host->set_error(err, ...). */
#ifndef LOOM_ABI_BACKEND_H
#define LOOM_ABI_BACKEND_H

#include "loom/abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct loom_backend loom_backend; /* opaque, backend-owned */
typedef struct loom_packed loom_packed;   /* opaque prepared weights, backend-owned */

typedef enum loom_unary_op {
  LOOM_UNARY_IDENTITY = 0,
  LOOM_UNARY_RELU = 1,
  LOOM_UNARY_GELU = 2,      /* exact: x * Phi(x), erf form, as torch's default */
  LOOM_UNARY_GELU_TANH = 3, /* torch's approximate='tanh' */
  LOOM_UNARY_TANH = 4,
  LOOM_UNARY_SIGMOID = 5,
  LOOM_UNARY_EXP = 6,
  LOOM_UNARY_LOG = 7,
  LOOM_UNARY_SQRT = 8,
  LOOM_UNARY_ABS = 9,
  LOOM_UNARY_SQUARE = 10,
  LOOM_UNARY_LINEAR = 11    /* alpha * x + beta */
} loom_unary_op;

typedef enum loom_binary_op {
  LOOM_BINARY_ADD = 0,
  LOOM_BINARY_SUB = 1,
  LOOM_BINARY_MUL = 2,
  LOOM_BINARY_DIV = 3,
  LOOM_BINARY_MAX = 4,
  LOOM_BINARY_MIN = 5
} loom_binary_op;

typedef enum loom_reduce_op {
  LOOM_REDUCE_SUM = 0,
  LOOM_REDUCE_MEAN = 1,
  LOOM_REDUCE_MAX = 2
} loom_reduce_op;

typedef enum loom_rnn_cell {
  LOOM_RNN_TANH = 0,
  LOOM_RNN_RELU = 1,
  LOOM_RNN_LSTM = 2,   /* gates i, f, g, o as torch.nn.LSTM */
  LOOM_RNN_GRU = 3     /* gates r, z, n as torch.nn.GRU (linear-before-reset) */
} loom_rnn_cell;

/* dst[..., M, N] = act(alpha * op(a)[..., M, K] x op(b)[..., K, N] + bias[N]) + beta * dst
 * op() transposes the last two dims when the flag is set. Batch dims of a and b
 * broadcast (b is commonly 2-D weights). bias is optional (NULL), shape [N]. */
typedef struct loom_matmul_desc {
  uint32_t struct_size;
  int32_t transpose_a;
  int32_t transpose_b;
  float alpha;      /* 1 for a plain product */
  float beta;       /* 0: overwrite dst; 1: accumulate into dst */
  int32_t activation; /* applied last: any loom_unary_op but LINEAR (IDENTITY: none);
                         LINEAR or an unknown code is LOOM_ERR_INVALID_ARGUMENT */
} loom_matmul_desc;

/* A recurrent sequence layer of `num_layers` stacked layers, one or two
 * directions, time-major: src [T, N, input_size], dst [T, N, dirs * hidden].
 * Weights arrive in PyTorch's layout and are prepared (reordered) once by
 * rnn_pack: for layer l, direction d (0 forward, 1 reverse), index l*dirs+d:
 *   w_ih[i] [G*H, in_l], w_hh[i] [G*H, H], b_ih[i] [G*H], b_hh[i] [G*H]
 * with G = 1 (rnn), 4 (lstm), 3 (gru); in_l = input_size for l == 0, else
 * dirs*H. Biases may be NULL (no bias). */
typedef struct loom_rnn_desc {
  uint32_t struct_size;
  int32_t cell; /* loom_rnn_cell */
  int64_t input_size;
  int64_t hidden_size;
  int32_t num_layers;
  int32_t bidirectional;
} loom_rnn_desc;

/* Initial/final states: h0, hn [num_layers * dirs, N, H]; c0, cn for LSTM only.
 * h0/c0 may be NULL (zeros); hn/cn may be NULL (not wanted). */
typedef struct loom_rnn_io {
  uint32_t struct_size;
  const loom_tensor_view* src;
  const loom_tensor_view* h0;
  const loom_tensor_view* c0;
  const loom_tensor_view* dst;
  const loom_tensor_view* hn;
  const loom_tensor_view* cn;
} loom_rnn_io;

typedef struct loom_backend_vtable {
  uint32_t struct_size;

  /* ---- lifetime, device, memory ---- */
  void (*destroy)(loom_backend* self);
  loom_device (*device)(const loom_backend* self);
  /* Raw device memory. The host wraps these in its caching allocator, so a
   * backend may allocate straight from the device. align is a power of two. */
  loom_status (*allocate)(loom_backend* self, size_t bytes, size_t align, void** out, loom_error* err);
  void (*deallocate)(loom_backend* self, void* ptr, size_t bytes);
  /* Contiguous byte copies between host memory and this backend's memory. */
  loom_status (*copy_from_host)(loom_backend* self, void* dst, const void* src, size_t bytes, loom_error* err);
  loom_status (*copy_to_host)(loom_backend* self, void* dst, const void* src, size_t bytes, loom_error* err);
  loom_status (*synchronize)(loom_backend* self, loom_error* err);

  /* ---- ops ---- */
  loom_status (*matmul)(loom_backend* self, const loom_matmul_desc* desc, const loom_tensor_view* a,
                        const loom_tensor_view* b, const loom_tensor_view* bias,
                        const loom_tensor_view* dst, loom_error* err);
  /* Prepares a 2-D weight b ([K, N], or [N, K] when transpose_b) once, for many
   * matmul_packed calls; the backend may reorder it to its preferred layout.
   * The packed object does not reference `b` after return. */
  loom_status (*matmul_pack)(loom_backend* self, const loom_tensor_view* b, int32_t transpose_b,
                             loom_packed** out, loom_error* err);
  /* As matmul with b prepared by matmul_pack (desc->transpose_b is ignored). */
  loom_status (*matmul_packed)(loom_backend* self, const loom_matmul_desc* desc, const loom_tensor_view* a,
                               const loom_packed* b, const loom_tensor_view* bias,
                               const loom_tensor_view* dst, loom_error* err);
  void (*release_packed)(loom_backend* self, loom_packed* packed);

  /* dst = op(src); alpha/beta used by LINEAR only. dst may alias src. */
  loom_status (*unary)(loom_backend* self, int32_t op, float alpha, float beta, const loom_tensor_view* src,
                       const loom_tensor_view* dst, loom_error* err);
  /* dst = a op b with broadcasting. dst may alias a when a has dst's shape. */
  loom_status (*binary)(loom_backend* self, int32_t op, const loom_tensor_view* a, const loom_tensor_view* b,
                        const loom_tensor_view* dst, loom_error* err);
  /* Softmax along `axis` (negative counts from the end). mask is optional and
   * broadcasts to src: F32 is added to the scores; BOOL/U8 nonzero means
   * "masked out". A row with every entry masked (or -inf) gives all zeros,
   * never NaN. */
  loom_status (*softmax)(loom_backend* self, const loom_tensor_view* src, const loom_tensor_view* mask,
                         int32_t axis, const loom_tensor_view* dst, loom_error* err);
  /* Normalizes over the last dim: (x - mean) / sqrt(var + eps) * gamma + beta,
   * biased variance as torch.nn.LayerNorm. gamma/beta optional, shape [C]. */
  loom_status (*layer_norm)(loom_backend* self, const loom_tensor_view* src, const loom_tensor_view* gamma,
                            const loom_tensor_view* beta, float eps, const loom_tensor_view* dst,
                            loom_error* err);
  /* Embedding lookup: table [V, D] contiguous, indices I32/I64 of any shape,
   * dst [indices..., D]. An index outside [0, V) is LOOM_ERR_INVALID_ARGUMENT. */
  loom_status (*gather)(loom_backend* self, const loom_tensor_view* table, const loom_tensor_view* indices,
                        const loom_tensor_view* dst, loom_error* err);
  /* Strided copy with the same shape; converts between F32, F16 and BF16.
   * Transpose, slice and "make contiguous" are copies of views. */
  loom_status (*copy)(loom_backend* self, const loom_tensor_view* src, const loom_tensor_view* dst,
                      loom_error* err);
  /* Concatenates `count` sources along `axis` into dst. */
  loom_status (*concat)(loom_backend* self, const loom_tensor_view* srcs, int32_t count, int32_t axis,
                        const loom_tensor_view* dst, loom_error* err);
  /* Reduces src to dst's shape: dst has src's rank with 1 in every reduced dim.
   * Over zero elements: SUM gives 0, MEAN NaN, MAX -inf. */
  loom_status (*reduce)(loom_backend* self, int32_t op, const loom_tensor_view* src,
                        const loom_tensor_view* dst, loom_error* err);
  /* Fills dst with a constant. */
  loom_status (*fill)(loom_backend* self, float value, const loom_tensor_view* dst, loom_error* err);

  /* Recurrent sequence op, see loom_rnn_desc. Arrays have num_layers*dirs entries. */
  loom_status (*rnn_pack)(loom_backend* self, const loom_rnn_desc* desc, const loom_tensor_view* w_ih,
                          const loom_tensor_view* w_hh, const loom_tensor_view* b_ih,
                          const loom_tensor_view* b_hh, loom_packed** out, loom_error* err);
  loom_status (*rnn_forward)(loom_backend* self, const loom_packed* weights, const loom_rnn_io* io,
                             loom_error* err);
  /* New ops are appended here (ABI minor bump). */
} loom_backend_vtable;

/* What a layer factory's supports() sees about the backend it would run on. */
typedef struct loom_backend_info {
  uint32_t struct_size;
  const char* name; /* "onednn", "reference", "cudnn" */
  loom_device device;
} loom_backend_info;

typedef struct loom_backend_factory {
  uint32_t struct_size;
  const char* name;
  const char* description;
  int32_t priority;
  const loom_option_decl* options; /* e.g. "threads" */
  uint32_t num_options;
  /* Capability query: LOOM_OK with the device it would use, or
   * LOOM_ERR_UNSUPPORTED with a reason (for example "no CUDA device"). */
  loom_status (*available)(loom_device* device, loom_error* reason);
  loom_status (*create)(const loom_option* options, uint32_t num_options, loom_backend** out,
                        const loom_backend_vtable** vtable, loom_error* err);
} loom_backend_factory;

#ifdef __cplusplus
}
#endif
#endif
