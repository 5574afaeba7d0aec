/* Compiles every ABI header as C99 and checks the layout rules a C compiler
 * can see: struct_size comes first in each struct that crosses. */
#include <stddef.h>
#include <stdio.h>

#include "loom/abi/plugin.h"

#define FIRST(type) (offsetof(type, struct_size) == 0)

int main(void) {
  int ok = FIRST(loom_tensor_view) && FIRST(loom_option) && FIRST(loom_option_decl) && FIRST(loom_matmul_desc) &&
           FIRST(loom_rnn_desc) && FIRST(loom_rnn_io) && FIRST(loom_backend_vtable) && FIRST(loom_backend_info) &&
           FIRST(loom_backend_factory) && FIRST(loom_runtime) && FIRST(loom_layer_create_args) &&
           FIRST(loom_forward_io) && FIRST(loom_layer_vtable) && FIRST(loom_layer_factory) && FIRST(loom_token) &&
           FIRST(loom_tokenizer_vtable) && FIRST(loom_tokenizer_factory) && FIRST(loom_token_sink) &&
           FIRST(loom_text_sink) && FIRST(loom_encode_args) && FIRST(loom_tokenizer_create_args) && FIRST(loom_host_api) &&
           FIRST(loom_plugin_descriptor);
  /* abi_major must stay where every version of the host looks for it. */
  ok = ok && offsetof(loom_plugin_descriptor, abi_major) == sizeof(uint32_t);
  if (!ok) {
    printf("ABI layout rule broken\n");
    return 1;
  }
  printf("ABI %d.%d headers compile as C99\n", LOOM_ABI_MAJOR, LOOM_ABI_MINOR);
  return 0;
}
