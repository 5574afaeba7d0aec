// Loom's host-side error hierarchy. Every message carries its context (file,
// field, layer, tensor); callers add outer context with Error::with_context.
#pragma once

#include "loom/export.hpp"

#include <stdexcept>
#include <string>

#include "loom/abi/types.h"

namespace loom {

class LOOM_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, loom_status status = LOOM_ERR_INTERNAL)
      : std::runtime_error(message), status_(status) {}
  loom_status status() const { return status_; }

 private:
  loom_status status_;
};

// Bad input: a wrong shape, an unknown option, a missing tensor.
class LOOM_API InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& m) : Error(m, LOOM_ERR_INVALID_ARGUMENT) {}
};
// Something asked for is not there: a file, a weight, a plugin, a type.
class LOOM_API NotFound : public Error {
 public:
  explicit NotFound(const std::string& m) : Error(m, LOOM_ERR_NOT_FOUND) {}
};
// A valid request this build or device cannot do.
class LOOM_API Unsupported : public Error {
 public:
  explicit Unsupported(const std::string& m) : Error(m, LOOM_ERR_UNSUPPORTED) {}
};
// A malformed file (safetensors, npy, YAML): names the file and what is wrong.
class LOOM_API FormatError : public Error {
 public:
  FormatError(const std::string& file, const std::string& what)
      : Error(file + ": " + what, LOOM_ERR_INVALID_ARGUMENT) {}
};
class LOOM_API OutOfMemory : public Error {
 public:
  explicit OutOfMemory(const std::string& m) : Error(m, LOOM_ERR_OUT_OF_MEMORY) {}
};
// A plugin that cannot be loaded or misbehaves.
class LOOM_API PluginError : public Error {
 public:
  explicit PluginError(const std::string& m) : Error(m, LOOM_ERR_INTERNAL) {}
};

// Makes the Error subclass that matches a status from a plugin.
[[noreturn]] LOOM_API void throw_status(loom_status status, const std::string& message);

}  // namespace loom
