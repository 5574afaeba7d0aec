// Logging through fmt, to stderr, with a process-wide level.
#pragma once

#include "loom/export.hpp"

#include <fmt/core.h>

#include <string_view>

namespace loom {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

LOOM_API void set_log_level(LogLevel level);
LOOM_API LogLevel log_level();
LOOM_API void log_message(LogLevel level, std::string_view message);

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level >= log_level()) log_message(level, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::warn, f, std::forward<Args>(args)...);
}
template <class... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::info, f, std::forward<Args>(args)...);
}
template <class... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::debug, f, std::forward<Args>(args)...);
}

}  // namespace loom
