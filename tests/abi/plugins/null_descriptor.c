/* An entry point that returns no descriptor. */
#include "loom/abi/plugin.h"

LOOM_ABI_EXPORT const loom_plugin_descriptor* loom_plugin_entry(void) { return 0; }
