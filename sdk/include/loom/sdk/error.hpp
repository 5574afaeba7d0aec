// Exceptions inside a plugin, and the guard that turns them into a status at
// the C boundary. No exception ever crosses the ABI.
#pragma once

#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "loom/abi/plugin.h"

namespace loom::sdk {

class Error : public std::runtime_error {
 public:
  Error(loom_status status, std::string message) : std::runtime_error(std::move(message)), status_(status) {}
  loom_status status() const { return status_; }

 private:
  loom_status status_;
};

// An op that already wrote its message into the host's error object.
class ReportedError : public Error {
 public:
  explicit ReportedError(loom_status status) : Error(status, "(reported)") {}
};

inline Error invalid_argument(std::string m) { return Error(LOOM_ERR_INVALID_ARGUMENT, std::move(m)); }
inline Error unsupported(std::string m) { return Error(LOOM_ERR_UNSUPPORTED, std::move(m)); }
inline Error not_found(std::string m) { return Error(LOOM_ERR_NOT_FOUND, std::move(m)); }

namespace detail {
inline const loom_host_api*& host_slot() {
  static const loom_host_api* host = nullptr;  // one per plugin library (hidden visibility)
  return host;
}
}  // namespace detail

inline const loom_host_api* host() { return detail::host_slot(); }

inline void report(loom_error* err, loom_status status, const std::string& message) {
  const loom_host_api* h = host();
  if (h && err) h->set_error(err, status, message.c_str());
}

inline void log(int32_t level, const char* plugin, const std::string& message) {
  const loom_host_api* h = host();
  if (h) h->log(level, plugin, message.c_str());
}

// Runs fn; every exception becomes a status and a message in err.
template <class Fn>
loom_status guard(loom_error* err, Fn&& fn) noexcept {
  try {
    fn();
    return LOOM_OK;
  } catch (const ReportedError& e) {
    return e.status();
  } catch (const Error& e) {
    report(err, e.status(), e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    report(err, LOOM_ERR_OUT_OF_MEMORY, "out of host memory");
    return LOOM_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    report(err, LOOM_ERR_INTERNAL, e.what());
    return LOOM_ERR_INTERNAL;
  } catch (...) {
    report(err, LOOM_ERR_INTERNAL, "unknown exception in plugin");
    return LOOM_ERR_INTERNAL;
  }
}

// Throws when a status that was already reported into err is not OK.
inline void check(loom_status status) {
  if (status != LOOM_OK) throw ReportedError(status);
}

}  // namespace loom::sdk
