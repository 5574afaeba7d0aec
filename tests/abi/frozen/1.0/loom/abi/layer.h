/* Loom plugin ABI: layers. A layer factory is keyed by (type, backend);
 * backend "any" means the layer is written against the op set only and runs
 * on every backend. */
#ifndef LOOM_ABI_LAYER_H
#define LOOM_ABI_LAYER_H

#include "loom/abi/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_BACKEND_ANY "any"

typedef struct loom_layer loom_layer;   /* opaque, plugin-owned */
typedef struct loom_buffer loom_buffer; /* opaque, host-owned memory handle */

/* The backend a layer runs on, and host services for memory. Valid for the
 * layer's whole life. Ops are called straight through `ops` (no host hop). */
typedef struct loom_runtime {
  uint32_t struct_size;
  loom_backend* backend;
  const loom_backend_vtable* ops;
  const loom_backend_info* info;
  void* host_ctx;
  /* Allocates a contiguous tensor from the backend's caching allocator. The
   * plugin gives it back with release(); the host frees it. */
  loom_status (*alloc)(void* host_ctx, int32_t dtype, int32_t ndim, const int64_t* shape,
                       loom_tensor_view* out, loom_buffer** buffer, loom_error* err);
  void (*release)(void* host_ctx, loom_buffer* buffer);
} loom_runtime;

/* Everything create() gets. Weights are read through get_weight: the host
 * applies the layer's prefix and returns a host (CPU) view that is valid only
 * during create(); the layer copies what it keeps into backend memory. */
typedef struct loom_layer_create_args {
  uint32_t struct_size;
  const char* name; /* the stage name, for messages */
  const loom_runtime* runtime;
  const loom_option* options; /* validated, defaults filled in */
  uint32_t num_options;
  void* weights_ctx;
  /* LOOM_ERR_NOT_FOUND (with a message naming file and full tensor name) when absent. */
  loom_status (*get_weight)(void* weights_ctx, const char* name, loom_tensor_view* out, loom_error* err);
  int32_t (*has_weight)(void* weights_ctx, const char* name);
} loom_layer_create_args;

/* One forward call: named inputs, and a callback that allocates each output
 * from the host (the host owns outputs). */
typedef struct loom_forward_io {
  uint32_t struct_size;
  uint32_t num_inputs;
  const char* const* input_names;
  const loom_tensor_view* inputs;
  void* out_ctx;
  loom_status (*add_output)(void* out_ctx, const char* name, int32_t dtype, int32_t ndim,
                            const int64_t* shape, loom_tensor_view* out, loom_error* err);
  int32_t want_attention; /* attention layers add their weights as outputs when set */
} loom_forward_io;

typedef struct loom_layer_vtable {
  uint32_t struct_size;
  void (*destroy)(loom_layer* self);
  /* Must be safe to call from many threads at once on one layer. */
  loom_status (*forward)(loom_layer* self, const loom_forward_io* io, loom_error* err);
  /* Backward passes will be appended here. */
} loom_layer_vtable;

/* A tensor in a layer example: its name, dtype, shape, and the range its
 * random values are drawn from: floating dtypes uniform in [low, high),
 * integer dtypes integers in [low, high], BOOL/U8 masks 0 or 1. */
typedef struct loom_example_tensor {
  uint32_t struct_size;
  const char* name;
  int32_t dtype; /* loom_dtype */
  int32_t ndim;
  int64_t shape[LOOM_MAX_DIMS];
  double low;
  double high;
} loom_example_tensor;

/* One sample use of a layer factory, which conformance checks (`loom
 * check-plugin`) run on every backend with random data: the options, the
 * weights create() reads and the inputs forward() takes. The arrays are
 * static (they live as long as the factory). */
typedef struct loom_layer_example {
  uint32_t struct_size;
  const char* description;
  const loom_option* options; /* required options, and any others worth covering */
  uint32_t num_options;
  const loom_example_tensor* weights;
  uint32_t num_weights;
  const loom_example_tensor* inputs; /* names among the factory's inputs */
  uint32_t num_inputs;
  int32_t want_attention;
  /* Nonzero: the inputs are invalid on purpose (a wrong last dim, an id out of
   * range); forward() must fail with a status and a message, never crash. */
  int32_t expect_error;
} loom_layer_example;

typedef struct loom_layer_factory {
  uint32_t struct_size;
  const char* type;    /* "linear" */
  const char* backend; /* LOOM_BACKEND_ANY or a backend name */
  int32_t priority;    /* higher wins among factories that support a request */
  const char* description;
  const loom_option_decl* options;
  uint32_t num_options;
  const char* const* inputs; /* input names; the first is the default input */
  uint32_t num_inputs;
  const char* const* outputs;
  uint32_t num_outputs;
  /* LOOM_OK, or LOOM_ERR_UNSUPPORTED with a reason: an answer, not an error. */
  loom_status (*supports)(const loom_option* options, uint32_t num_options, const loom_backend_info* backend,
                          loom_error* reason);
  loom_status (*create)(const loom_layer_create_args* args, loom_layer** out, const loom_layer_vtable** vtable,
                        loom_error* err);
  /* Sample uses for conformance checks; optional (NULL, 0). The host reads
   * them only when struct_size covers them (LOOM_HAS_FIELD). */
  const loom_layer_example* examples;
  uint32_t num_examples;
  /* Fields appended later go here. */
} loom_layer_factory;

#ifdef __cplusplus
}
#endif
#endif
