/* A shared library named like a plugin but without the entry symbol. */
#include "loom/abi/types.h"

LOOM_ABI_EXPORT int loom_something_else(void) { return 42; }
