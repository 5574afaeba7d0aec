/* Loom plugin ABI: the entry point. A plugin library exports exactly one C
 * symbol, loom_plugin_entry, that returns a pointer to a static descriptor. */
#ifndef LOOM_ABI_PLUGIN_H
#define LOOM_ABI_PLUGIN_H

#include "loom/abi/backend.h"
#include "loom/abi/layer.h"
#include "loom/abi/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum loom_log_level {
  LOOM_LOG_DEBUG = 0,
  LOOM_LOG_INFO = 1,
  LOOM_LOG_WARN = 2,
  LOOM_LOG_ERROR = 3
} loom_log_level;

/* Services the host offers every plugin, passed to init(). */
typedef struct loom_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Records an error; the message is copied. Later calls add context in front. */
  void (*set_error)(loom_error* err, loom_status code, const char* message);
  void (*log)(int32_t level, const char* plugin, const char* message);
} loom_host_api;

typedef struct loom_plugin_descriptor {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* name;
  const char* version;
  const char* vendor;
  const char* build_info;
  /* Called once after loading, before any factory is used. */
  loom_status (*init)(const loom_host_api* host, loom_error* err);
  /* Called only on an explicit unload; never at process exit. */
  void (*shutdown)(void);
  const loom_backend_factory* const* backends;
  uint32_t num_backends;
  const loom_layer_factory* const* layers;
  uint32_t num_layers;
  const loom_tokenizer_factory* const* tokenizers;
  uint32_t num_tokenizers;
  /* ABI 1.1+ fields are appended here. */
} loom_plugin_descriptor;

#define LOOM_PLUGIN_ENTRY_SYMBOL "loom_plugin_entry"
typedef const loom_plugin_descriptor* (*loom_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
