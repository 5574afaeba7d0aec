/* A plugin from a later minor version: its descriptor has grown a field this
 * host does not know. It must still load (append-only rule). */
#include "loom/abi/plugin.h"

typedef struct {
  loom_plugin_descriptor v1_0;
  const char* field_from_the_future;
} descriptor_v1_1;

static const descriptor_v1_1 desc = {
    {sizeof(descriptor_v1_1), LOOM_ABI_MAJOR, LOOM_ABI_MINOR + 1, "newer-minor", "2.0", "test", "C", 0, 0, 0, 0, 0, 0,
     0, 0},
    "hello"};

LOOM_ABI_EXPORT const loom_plugin_descriptor* loom_plugin_entry(void) { return &desc.v1_0; }
