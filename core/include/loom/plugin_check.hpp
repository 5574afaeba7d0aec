// The conformance kit behind `loom check-plugin`: loads one plugin file,
// validates its ABI and metadata, makes every factory on every available
// backend, runs each layer's declared examples on random data, compares the
// backends with the reference backend (and with other plugins' implementations
// of the same type), probes that bad input comes back as an error, checks
// thread safety and backend memory, and times each case.
#pragma once

#include "loom/export.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "loom/layer.hpp"

namespace loom {

struct PluginCheckOptions {
  // Searched (after the checked file) for backends and other implementations.
  std::vector<std::filesystem::path> plugin_dirs;
  std::vector<std::string> backends;          // empty: every available backend
  std::map<std::string, OptionMap> options;   // per layer type: added to / overriding every example's options
  int repeat = 5;                             // timed forward calls per case (the median is reported)
  int threads = 4;                            // concurrent callers in the thread-safety check
  double atol = 1e-4;                         // |a - b| <= atol + rtol * max|reference|
  double rtol = 1e-4;
  uint64_t seed = 1;                          // random weights and inputs
};

enum class CheckStatus { ok, warn, fail, skip };
LOOM_API const char* check_status_name(CheckStatus s);  // "ok", "WARN", "FAIL", "skip"

// One line of the report.
struct CheckRow {
  std::string check;    // "abi", "metadata", "linear@any", "errors linear@any", "resolution linear", ...
  std::string backend;  // "-" when not about one backend
  std::string example;  // "#1" (1-based example index), "-" otherwise
  CheckStatus status = CheckStatus::ok;
  double ms = -1;       // median forward time in milliseconds; < 0 when not timed
  std::string detail;
};

struct LOOM_API PluginCheckReport {
  std::string plugin, version;
  std::filesystem::path file;
  std::vector<CheckRow> rows;
  size_t count(CheckStatus s) const;
  // No failure (and, when strict, no warning).
  bool passed(bool strict = false) const;
};

// Runs every check on the plugin in `file`. The file is loaded first, so it
// wins over another copy of the same plugin in the search path. `on_row` sees
// each row as soon as it is decided (for progressive output). Throws only for
// problems of the check itself (no such file); everything about the plugin
// becomes a row.
LOOM_API PluginCheckReport check_plugin(const std::filesystem::path& file, const PluginCheckOptions& options,
                                        const std::function<void(const CheckRow&)>& on_row = {});

}  // namespace loom
