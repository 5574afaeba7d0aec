/* Loom plugin ABI: tokenizers. Text in, tokens out.
 *
 * A tokenizer factory makes a loom_tokenizer from options; the tokenizer
 * encodes one text or a pair, decodes ids, and answers vocabulary lookups.
 * Everything a tokenizer returns goes through host-provided sinks: the host
 * copies what it keeps, so no memory changes hands. Every call is const and
 * must be safe from many threads at once on one tokenizer. */
#ifndef LOOM_ABI_TOKENIZER_H
#define LOOM_ABI_TOKENIZER_H

#include "loom/abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct loom_tokenizer loom_tokenizer; /* opaque, plugin-owned */

/* One token, valid only during the sink call that receives it. */
typedef struct loom_token {
  uint32_t struct_size;
  int64_t id;
  const char* text; /* the vocabulary string ("##ing"), not NUL-terminated */
  size_t text_len;
  /* Byte offsets [begin, end) into the original UTF-8 text the token came
   * from (the pair text when sequence is 1). Tokens the post-processor adds
   * ([CLS], [SEP]) have begin == end == 0. */
  size_t begin;
  size_t end;
  int32_t special;  /* 1: a special token (added by the post-processor or matched as one) */
  int32_t sequence; /* 0: the first text; 1: the pair */
} loom_token;

/* Receives tokens in order. A status other than LOOM_OK stops the encoding
 * and encode() returns it (the sink has written its own error). */
typedef struct loom_token_sink {
  uint32_t struct_size;
  void* ctx;
  loom_status (*add)(void* ctx, const loom_token* token, loom_error* err);
} loom_token_sink;

/* Receives text in one or more pieces, to be concatenated. */
typedef struct loom_text_sink {
  uint32_t struct_size;
  void* ctx;
  loom_status (*append)(void* ctx, const char* text, size_t len, loom_error* err);
} loom_text_sink;

typedef struct loom_encode_args {
  uint32_t struct_size;
  const char* text; /* UTF-8; ill-formed bytes read as U+FFFD (never an error) */
  size_t text_len;
  const char* pair; /* NULL: a single text */
  size_t pair_len;
  int32_t add_special_tokens; /* 1: apply the post-processor ([CLS] A [SEP] B [SEP]) */
  /* > 0: cut content tokens (a pair: longest first) so that the result,
   * special tokens included, has at most max_length tokens. 0: no limit. */
  size_t max_length;
} loom_encode_args;

typedef struct loom_tokenizer_vtable {
  uint32_t struct_size;
  void (*destroy)(loom_tokenizer* self);
  loom_status (*encode)(const loom_tokenizer* self, const loom_encode_args* args, const loom_token_sink* sink,
                        loom_error* err);
  /* Ids back to text (the tokenizer's decoder rules: "##" joining, byte-level,
   * ...); special tokens dropped when skip_special is 1. An id outside the
   * vocabulary is LOOM_ERR_INVALID_ARGUMENT. */
  loom_status (*decode)(const loom_tokenizer* self, const int64_t* ids, size_t count, int32_t skip_special,
                        const loom_text_sink* sink, loom_error* err);
  /* LOOM_OK with *id set, or LOOM_ERR_NOT_FOUND (an answer: no message). */
  loom_status (*token_to_id)(const loom_tokenizer* self, const char* token, size_t token_len, int64_t* id,
                             loom_error* err);
  /* The vocabulary string of id through sink, or LOOM_ERR_NOT_FOUND (no message). */
  loom_status (*id_to_token)(const loom_tokenizer* self, int64_t id, const loom_text_sink* sink, loom_error* err);
  uint64_t (*vocab_size)(const loom_tokenizer* self);
  /* 1 with *id set when the tokenizer has a padding token, else 0. */
  int32_t (*pad_id)(const loom_tokenizer* self, int64_t* id);
} loom_tokenizer_vtable;

/* What create() gets. Options are validated and completed with defaults;
 * LOOM_OPTION_PATH values are already resolved by the host (absolute, or
 * relative to the working folder as the user wrote them). */
typedef struct loom_tokenizer_create_args {
  uint32_t struct_size;
  const char* type; /* the type asked for, for messages */
  const loom_option* options;
  uint32_t num_options;
} loom_tokenizer_create_args;

typedef struct loom_tokenizer_factory {
  uint32_t struct_size;
  const char* type; /* "wordpiece" */
  int32_t priority; /* higher wins when two plugins provide one type */
  const char* description;
  const loom_option_decl* options;
  uint32_t num_options;
  /* Malformed files are LOOM_ERR_INVALID_ARGUMENT naming the file and line;
   * a missing file LOOM_ERR_NOT_FOUND. */
  loom_status (*create)(const loom_tokenizer_create_args* args, loom_tokenizer** out,
                        const loom_tokenizer_vtable** vtable, loom_error* err);
} loom_tokenizer_factory;

#ifdef __cplusplus
}
#endif
#endif
