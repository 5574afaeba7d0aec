/* Loom plugin ABI: tokenizers. Text in, ids out; the host owns the arrays. */
#ifndef LOOM_ABI_TOKENIZER_H
#define LOOM_ABI_TOKENIZER_H

#include "loom/abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct loom_tokenizer loom_tokenizer; /* opaque, plugin-owned */

/* One encoded token, reported to the host through a callback. Offsets are
 * byte offsets into the original UTF-8 text. */
typedef struct loom_token {
  uint32_t struct_size;
  int64_t id;
  const char* text; /* not NUL-terminated */
  size_t text_len;
  size_t begin;
  size_t end;
  int32_t special;
} loom_token;

typedef struct loom_tokenizer_vtable {
  uint32_t struct_size;
  void (*destroy)(loom_tokenizer* self);
  loom_status (*encode)(const loom_tokenizer* self, const char* text, size_t len, void* sink_ctx,
                        loom_status (*sink)(void* sink_ctx, const loom_token* token), loom_error* err);
  loom_status (*decode)(const loom_tokenizer* self, const int64_t* ids, size_t count, int32_t skip_special,
                        void* sink_ctx, void (*sink)(void* sink_ctx, const char* text, size_t len),
                        loom_error* err);
} loom_tokenizer_vtable;

typedef struct loom_tokenizer_factory {
  uint32_t struct_size;
  const char* type; /* "wordpiece" */
  int32_t priority;
  const char* description;
  const loom_option_decl* options;
  uint32_t num_options;
  loom_status (*create)(const loom_option* options, uint32_t num_options, loom_tokenizer** out,
                        const loom_tokenizer_vtable** vtable, loom_error* err);
} loom_tokenizer_factory;

#ifdef __cplusplus
}
#endif
#endif
