/* Loom plugin ABI: basic types shared by every struct that crosses the boundary.
 *
 * Rules (docs/plugin-abi.md): plain C only; every struct starts with its own
 * struct_size and only ever grows at the end; the host reads a field only when
 * struct_size says it is there. */
#ifndef LOOM_ABI_TYPES_H
#define LOOM_ABI_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on an incompatible change; the host refuses other majors. */
#define LOOM_ABI_MAJOR 1
/* Bumped when fields are appended; older plugins keep loading. */
#define LOOM_ABI_MINOR 0

#if defined(_WIN32)
#define LOOM_ABI_EXPORT __declspec(dllexport)
#else
#define LOOM_ABI_EXPORT __attribute__((visibility("default")))
#endif

/* True when a struct of the given size contains `field`. */
#define LOOM_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

typedef enum loom_status {
  LOOM_OK = 0,
  LOOM_ERR_INVALID_ARGUMENT = 1, /* bad shape, option, input: the caller's fault */
  LOOM_ERR_UNSUPPORTED = 2,      /* an ordinary "not here": dtype, op, device */
  LOOM_ERR_OUT_OF_MEMORY = 3,
  LOOM_ERR_NOT_FOUND = 4,        /* missing weight, file, name */
  LOOM_ERR_DEVICE = 5,           /* vendor library or driver failure */
  LOOM_ERR_INTERNAL = 6          /* a bug, or an exception the SDK caught */
} loom_status;

typedef enum loom_dtype {
  LOOM_DTYPE_F32 = 0,
  LOOM_DTYPE_F16 = 1,
  LOOM_DTYPE_BF16 = 2,
  LOOM_DTYPE_I32 = 3,
  LOOM_DTYPE_I64 = 4,
  LOOM_DTYPE_U8 = 5,
  LOOM_DTYPE_BOOL = 6 /* one byte, 0 or 1 */
} loom_dtype;

typedef enum loom_device_type {
  LOOM_DEVICE_CPU = 1,
  LOOM_DEVICE_CUDA = 2
} loom_device_type;

typedef struct loom_device {
  int32_t type;  /* loom_device_type */
  int32_t index; /* cuda:N; 0 for cpu */
} loom_device;

#define LOOM_MAX_DIMS 8

/* A non-owning view of tensor memory, in the spirit of DLPack. Strides are in
 * elements, not bytes. A view never frees what it points at. */
typedef struct loom_tensor_view {
  uint32_t struct_size;
  int32_t dtype; /* loom_dtype */
  loom_device device;
  void* data;    /* already offset to the first element */
  int32_t ndim;  /* 0 .. LOOM_MAX_DIMS */
  int64_t shape[LOOM_MAX_DIMS];
  int64_t strides[LOOM_MAX_DIMS];
} loom_tensor_view;

/* Host-owned error object. Plugins only write it through loom_host_api.set_error. */
typedef struct loom_error loom_error;

/* A key/value option, both UTF-8 strings, as written in a pipeline spec. */
typedef struct loom_option {
  uint32_t struct_size;
  const char* key;
  const char* value;
} loom_option;

typedef enum loom_option_type {
  LOOM_OPTION_INT = 0,
  LOOM_OPTION_FLOAT = 1,
  LOOM_OPTION_BOOL = 2,
  LOOM_OPTION_STRING = 3,
  LOOM_OPTION_ENUM = 4, /* one of `choices`, separated by '|' */
  LOOM_OPTION_PATH = 5  /* a file name; the host resolves a relative one against the
                           pipeline spec's folder before the plugin sees it */
} loom_option_type;

/* What a factory declares about one option. The host rejects unknown options
 * and fills defaults before calling supports() or create(). */
typedef struct loom_option_decl {
  uint32_t struct_size;
  const char* name;
  int32_t type;              /* loom_option_type */
  const char* default_value; /* NULL: the option is required */
  const char* choices;       /* LOOM_OPTION_ENUM only, e.g. "tanh|relu" */
  const char* description;
} loom_option_decl;

#ifdef __cplusplus
}
#endif
#endif
