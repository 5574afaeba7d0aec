// libFuzzer target for Loom's file parsers: every input must either open or
// give a FormatError, never crash. Built when LOOM_BUILD_FUZZERS=ON with clang:
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DLOOM_BUILD_FUZZERS=ON \
//       -DLOOM_SANITIZE=address,undefined
//   cp -r tests/fixtures/io/malformed /tmp/corpus   # libFuzzer writes new inputs here
//   build-fuzz/bin/fuzz_safetensors /tmp/corpus -max_total_time=60
// LOOM_FUZZ_NPY selects the .npy reader.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "loom/loom.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The readers take paths (safetensors is mmapped), so go through a file.
  static const std::string path = "/tmp/loom_fuzz_" + std::to_string(getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
#ifdef LOOM_FUZZ_NPY
    loom::Tensor t = loom::read_npy(path);
    (void)t;
#else
    auto file = loom::SafetensorsFile::open(path);
    for (const auto& e : file->entries()) {
      auto t = file->find(e.name);
      // Touch the last byte: the validated range must lie inside the mapping.
      if (t && t->nbytes()) {
        volatile unsigned char last = static_cast<const unsigned char*>(t->data())[t->nbytes() - 1];
        (void)last;
      }
    }
#endif
  } catch (const loom::FormatError&) {
  }
  return 0;
}
