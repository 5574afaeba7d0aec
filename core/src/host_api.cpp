// The services every plugin gets at init().
#include <string>

#include "host_error.hpp"
#include "loom/log.hpp"
#include "loom/plugin_manager.hpp"

namespace loom {

namespace {

void host_set_error(loom_error* err, loom_status code, const char* message) {
  if (!err) return;
  std::string m = message ? message : "";
  // A later report wraps an earlier one (outer context first).
  if (!err->message.empty() && err->message != m) m += ": " + err->message;
  err->status = code;
  err->message = std::move(m);
}

void host_log(int32_t level, const char* plugin, const char* message) {
  LogLevel l = level <= LOOM_LOG_DEBUG ? LogLevel::debug
               : level == LOOM_LOG_INFO ? LogLevel::info
               : level == LOOM_LOG_WARN ? LogLevel::warn
                                        : LogLevel::error;
  log(l, "plugin {}: {}", plugin ? plugin : "?", message ? message : "");
}

const loom_host_api kHostApi = {sizeof(loom_host_api), LOOM_ABI_MAJOR, LOOM_ABI_MINOR, host_set_error, host_log};

}  // namespace

const loom_host_api* host_api() { return &kHostApi; }

}  // namespace loom
