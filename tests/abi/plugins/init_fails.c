/* A plugin whose init() refuses to start, with a reason. */
#include "loom/abi/plugin.h"

static loom_status init(const loom_host_api* host, loom_error* err) {
  host->set_error(err, LOOM_ERR_DEVICE, "license server unreachable");
  return LOOM_ERR_DEVICE;
}

static const loom_plugin_descriptor desc = {sizeof(loom_plugin_descriptor), LOOM_ABI_MAJOR, 0, "init-fails", "1.0",
                                            "test", "C", init, 0, 0, 0, 0, 0, 0, 0};

LOOM_ABI_EXPORT const loom_plugin_descriptor* loom_plugin_entry(void) { return &desc; }
