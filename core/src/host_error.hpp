// The host-owned error object that plugins write through host->set_error.
#pragma once

#include <string>

#include "loom/abi/types.h"
#include "loom/error.hpp"

struct loom_error {
  loom_status status = LOOM_OK;
  std::string message;
};

namespace loom {

// Throws the Error subclass for `status`, message prefixed with `context`.
[[noreturn]] inline void raise_plugin_error(const std::string& context, loom_status status, const loom_error& err) {
  std::string what = err.message.empty() ? "failed without a message (status " + std::to_string(status) + ")"
                                         : err.message;
  throw_status(status, context.empty() ? what : context + ": " + what);
}

}  // namespace loom
