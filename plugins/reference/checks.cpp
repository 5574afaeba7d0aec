#include "checks.hpp"

namespace loom::reference {

void check_float(const char* op, const char* name, const View& v) {
  check_view(op, name, v);
  if (!sdk::is_floating(v.dtype()))
    throw sdk::unsupported(std::string(op) + ": " + name + " is " + describe(v) +
                           "; the reference backend does this op in f32, f16 or bf16 only");
}

}  // namespace loom::reference
