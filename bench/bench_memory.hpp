// Process memory as Linux reports it, for the benchmarks' memory columns.
#pragma once

#include <unistd.h>

#include <fstream>
#include <string>

namespace loom::bench {

// The current resident set, in KiB (/proc/self/statm).
inline long current_rss_kib() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// The peak resident set since the last reset_peak_rss() (VmHWM), in KiB; -1 if unknown.
inline long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0: "5" to /proc/self/clear_refs).
inline bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace loom::bench
