#include "loom/error.hpp"

namespace loom {

void throw_status(loom_status status, const std::string& message) {
  switch (status) {
    case LOOM_ERR_INVALID_ARGUMENT: throw InvalidArgument(message);
    case LOOM_ERR_UNSUPPORTED: throw Unsupported(message);
    case LOOM_ERR_OUT_OF_MEMORY: throw OutOfMemory(message);
    case LOOM_ERR_NOT_FOUND: throw NotFound(message);
    default: throw Error(message, status);
  }
}

}  // namespace loom
