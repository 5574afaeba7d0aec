#!/usr/bin/env bash
# Installs the Debian packages Loom builds with, skipping those already there.
# Used by scripts/quickstart.sh, scripts/test.sh and .ci/run.
set -euo pipefail

packages=(
  cmake g++ make
  libboost-dev libboost-program-options-dev   # Boost.DLL (header-only) and Program_options
  libdnnl-dev                                 # oneDNN 2.x, the CPU backend
  ocl-icd-opencl-dev                          # OpenCL headers: Debian's dnnl-config.cmake requires them
  libfmt-dev doctest-dev libyaml-cpp-dev nlohmann-json3-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
