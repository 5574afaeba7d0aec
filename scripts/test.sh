#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DLOOM_BUILD_TESTS=ON
ctest --test-dir build --output-on-failure -j "$(nproc)"
