/* A plugin built against the frozen copy of the first released ABI headers
 * (tests/abi/frozen/1.0), in plain C with no SDK: every later host must still
 * load and run it. It uses the pieces a layer touches: init() and the host's
 * set_error, options, get_weight, the runtime allocator, copy_from_host,
 * binary and unary ops, add_output, and a declared example.
 *
 *   frozen_affine: y = x * scale + offset over the last dim;
 *   option features (required), offset (float, default 0.5); weight 'scale' [features]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loom/abi/plugin.h"

static const loom_host_api* g_host = NULL;

typedef struct affine {
  int64_t features;
  float offset;
  const loom_runtime* rt;
  loom_tensor_view scale; /* backend memory from rt->alloc */
  loom_buffer* scale_buffer;
} affine;

static loom_status fail(loom_error* err, loom_status status, const char* message) {
  g_host->set_error(err, status, message);
  return status;
}

static const char* option(const loom_option* options, uint32_t n, const char* key) {
  uint32_t i;
  for (i = 0; i < n; ++i)
    if (strcmp(options[i].key, key) == 0) return options[i].value;
  return NULL;
}

static loom_status plugin_init(const loom_host_api* host, loom_error* err) {
  (void)err;
  if (!host || host->abi_major != LOOM_ABI_MAJOR) return LOOM_ERR_UNSUPPORTED;
  g_host = host;
  return LOOM_OK;
}

static void plugin_shutdown(void) {}

static void affine_destroy(loom_layer* self) {
  affine* a = (affine*)self;
  if (a->scale_buffer) a->rt->release(a->rt->host_ctx, a->scale_buffer);
  free(a);
}

static loom_status affine_forward(loom_layer* self, const loom_forward_io* io, loom_error* err) {
  const affine* a = (const affine*)self;
  const loom_tensor_view* x = NULL;
  loom_tensor_view y;
  loom_status s;
  uint32_t i;
  char message[160];
  for (i = 0; i < io->num_inputs; ++i)
    if (strcmp(io->input_names[i], "input") == 0) x = &io->inputs[i];
  if (!x) return fail(err, LOOM_ERR_INVALID_ARGUMENT, "missing input 'input'");
  if (x->dtype != LOOM_DTYPE_F32) return fail(err, LOOM_ERR_INVALID_ARGUMENT, "input must be f32");
  if (x->ndim < 1 || x->shape[x->ndim - 1] != a->features) {
    snprintf(message, sizeof message, "input must have features = %lld in its last dim", (long long)a->features);
    return fail(err, LOOM_ERR_INVALID_ARGUMENT, message);
  }
  memset(&y, 0, sizeof y);
  s = io->add_output(io->out_ctx, "output", LOOM_DTYPE_F32, x->ndim, x->shape, &y, err);
  if (s != LOOM_OK) return s;
  /* y = x * scale (scale broadcasts over the leading dims), then y = 1 * y + offset. */
  s = a->rt->ops->binary(a->rt->backend, LOOM_BINARY_MUL, x, &a->scale, &y, err);
  if (s != LOOM_OK) return s;
  return a->rt->ops->unary(a->rt->backend, LOOM_UNARY_LINEAR, 1.0f, a->offset, &y, &y, err);
}

static const loom_layer_vtable affine_vtable = {sizeof(loom_layer_vtable), affine_destroy, affine_forward};

static loom_status affine_create(const loom_layer_create_args* args, loom_layer** out,
                                 const loom_layer_vtable** vtable, loom_error* err) {
  const char* features = option(args->options, args->num_options, "features");
  const char* offset = option(args->options, args->num_options, "offset");
  loom_tensor_view host_scale;
  affine* a;
  loom_status s;
  if (!features || atoll(features) < 1) return fail(err, LOOM_ERR_INVALID_ARGUMENT, "option 'features' must be >= 1");
  memset(&host_scale, 0, sizeof host_scale);
  host_scale.struct_size = sizeof host_scale;
  s = args->get_weight(args->weights_ctx, "scale", &host_scale, err);
  if (s != LOOM_OK) return s;
  if (host_scale.dtype != LOOM_DTYPE_F32 || host_scale.ndim != 1 || host_scale.shape[0] != atoll(features) ||
      host_scale.strides[0] != 1)
    return fail(err, LOOM_ERR_INVALID_ARGUMENT, "weight 'scale' must be contiguous f32 [features]");
  a = (affine*)calloc(1, sizeof *a);
  if (!a) return fail(err, LOOM_ERR_OUT_OF_MEMORY, "out of memory");
  a->features = atoll(features);
  a->offset = offset ? (float)atof(offset) : 0.5f;
  a->rt = args->runtime;
  s = a->rt->alloc(a->rt->host_ctx, LOOM_DTYPE_F32, 1, &a->features, &a->scale, &a->scale_buffer, err);
  if (s == LOOM_OK)
    s = a->rt->ops->copy_from_host(a->rt->backend, a->scale.data, host_scale.data,
                                   (size_t)a->features * sizeof(float), err);
  if (s != LOOM_OK) {
    affine_destroy((loom_layer*)a);
    return s;
  }
  *out = (loom_layer*)a;
  *vtable = &affine_vtable;
  return LOOM_OK;
}

static const loom_option_decl affine_options[] = {
    {sizeof(loom_option_decl), "features", LOOM_OPTION_INT, NULL, NULL, "size of the last dim"},
    {sizeof(loom_option_decl), "offset", LOOM_OPTION_FLOAT, "0.5", NULL, "added after scaling"},
};
static const char* const affine_inputs[] = {"input"};
static const char* const affine_outputs[] = {"output"};

/* Sample uses for `loom check-plugin`. */
static const loom_option example_options[] = {{sizeof(loom_option), "features", "4"},
                                              {sizeof(loom_option), "offset", "-0.25"}};
static const loom_example_tensor example_weights[] = {
    {sizeof(loom_example_tensor), "scale", LOOM_DTYPE_F32, 1, {4}, -2.0, 2.0}};
static const loom_example_tensor example_input[] = {
    {sizeof(loom_example_tensor), "input", LOOM_DTYPE_F32, 3, {2, 3, 4}, -1.0, 1.0}};
static const loom_example_tensor example_bad_input[] = {
    {sizeof(loom_example_tensor), "input", LOOM_DTYPE_F32, 2, {2, 5}, -1.0, 1.0}};
static const loom_layer_example affine_examples[] = {
    {sizeof(loom_layer_example), "batch of rows", example_options, 2, example_weights, 1, example_input, 1, 0, 0},
    {sizeof(loom_layer_example), "last dim is not features", example_options, 2, example_weights, 1,
     example_bad_input, 1, 0, 1},
};

static const loom_layer_factory affine_factory = {
    sizeof(loom_layer_factory), "frozen_affine", LOOM_BACKEND_ANY, 0, "y = x * scale + offset over the last dim",
    affine_options, 2, affine_inputs, 1, affine_outputs, 1, NULL, affine_create, affine_examples, 2};
static const loom_layer_factory* const layers[] = {&affine_factory};

static const loom_plugin_descriptor descriptor = {
    sizeof(loom_plugin_descriptor), LOOM_ABI_MAJOR, LOOM_ABI_MINOR, "frozen-abi", "1.0.0", "Loom ABI tests",
    "C, frozen ABI 1.0 headers", plugin_init, plugin_shutdown, NULL, 0, layers, 1, NULL, 0};

LOOM_ABI_EXPORT const loom_plugin_descriptor* loom_plugin_entry(void) { return &descriptor; }
