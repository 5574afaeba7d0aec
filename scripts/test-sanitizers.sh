#!/usr/bin/env bash
# Builds Loom with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan and runs every test there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_SANITIZE=address,undefined -DLOOM_BUILD_BENCH=OFF
cmake --build build-asan -j "$(nproc)"
# LeakSanitizer's tracer crashes at exit on libgomp's thread-local storage in a
# dlopen'ed library (a sanitizer runtime bug, not a leak); this option avoids it.
export ASAN_OPTIONS="intercept_tls_get_addr=0:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
