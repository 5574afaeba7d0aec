#include "loom/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace loom {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::warn)};
std::mutex g_write;

const char* level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warning";
    default: return "error";
  }
}
}  // namespace

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void log_message(LogLevel level, std::string_view message) {
  if (level < log_level()) return;
  std::lock_guard<std::mutex> lock(g_write);  // one line at a time from many threads
  fmt::print(stderr, "loom: {}: {}\n", level_tag(level), message);
}

}  // namespace loom
