/* A plugin built for a future, incompatible ABI major. */
#include "loom/abi/plugin.h"

static const loom_plugin_descriptor desc = {sizeof(loom_plugin_descriptor), 99, 0, "wrong-major", "1.0", "test",
                                            "C", 0, 0, 0, 0, 0, 0, 0, 0};

LOOM_ABI_EXPORT const loom_plugin_descriptor* loom_plugin_entry(void) { return &desc; }
