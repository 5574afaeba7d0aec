#!/usr/bin/env bash
# The GPU check: builds Loom with the cudnn backend on a GPU machine that has
# CUDA but none of Loom's Debian dev packages and no network, then runs the
# conformance suite, `loom check-plugin --backend cudnn` and the GPU benchmark.
# How to use it (with the device tool): docs/gpu.md, "The GPU check".
#
#   scripts/gpu-check.sh fetch         here, with Debian's network: downloads
#                                      the .deb files the build needs into
#                                      .gpu-debs/ (git-ignored, so it can be
#                                      carried) and prints the device-tool call
#   scripts/gpu-check.sh run [STEP..]  on the GPU machine: unpacks them with
#                                      `dpkg -x` into a prefix and runs STEPs
#
# STEPs (default: all), each doing what it needs of the earlier ones:
#   env    what the machine has: GPU, driver, CUDA, cuDNN, compilers, glibc
#   deps   unpack .gpu-debs/*.deb into $LOOM_GPU_PREFIX, check they resolve
#   build  configure (-DLOOM_WITH_CUDA=ON, packages from the prefix) and build
#   ops    the op conformance suite: ctest -R test_ops, cudnn cases included
#   test   every test (ctest -j)
#   check  `loom check-plugin PLUGIN --backend cudnn` for every plugin, and the
#          shipped pipelines with --backend cudnn against their expected output
#   bench  build/bin/bench_gpu (bench/bench_gpu.cpp), JSON results
#   all    env deps build ops test check bench
# One device-tool call may run 10 minutes: run `build ops test` in one call
# and `check bench` in the next (a build left on a warm machine is reused;
# on a fresh one the build step runs again first).
#
# Environment (all optional):
#   OUT                where the summary and logs go (default ./gpu-check-out)
#   LOOM_GPU_PREFIX    where the .debs are unpacked (default /tmp/loom-deps)
#   LOOM_GPU_BUILD     build folder (default ./build-gpu, git-ignored)
#   LOOM_GPU_JOBS      parallel jobs (default: nproc)
#   LOOM_GPU_DEBS      the .deb folder (default ./.gpu-debs)
#   CUDNN_ROOT         a cuDNN with include/cudnn.h and lib/libcudnn.so*
#   LOOM_GPU_BENCH_ARGS  arguments for bench_gpu (default: --rounds 9)
#   LOOM_GPU_STEP_TIMEOUT seconds a test or bench step may take (default 480)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
debs="${LOOM_GPU_DEBS:-$repo/.gpu-debs}"
prefix="${LOOM_GPU_PREFIX:-/tmp/loom-deps}"
build="${LOOM_GPU_BUILD:-$repo/build-gpu}"
out="${OUT:-$repo/gpu-check-out}"
jobs="${LOOM_GPU_JOBS:-$(nproc)}"
step_timeout="${LOOM_GPU_STEP_TIMEOUT:-480}"
multiarch=x86_64-linux-gnu

# What the build needs from Debian (scripts/install-deps.sh's -dev packages).
# ocl-icd-opencl-dev: Debian's oneDNN is built with the OpenCL GPU runtime,
# and its CMake config runs find_package(OpenCL REQUIRED) (headers and
# libOpenCL.so); install-deps.sh installs it too.
roots=(libboost-dev libboost-program-options-dev libdnnl-dev ocl-icd-opencl-dev
       libfmt-dev doctest-dev libyaml-cpp-dev nlohmann-json3-dev)

# Not carried (and their own Depends not followed): the C and C++ toolchain
# and its runtime. Every image that can build CUDA code has them, because nvcc
# needs a working g++: glibc (libc6, its -dev and what that pulls in), GCC's
# runtime libraries (libgcc-s1, libstdc++6, libgomp1, libatomic1,
# sanitizers...) and GCC's own headers (libstdc++-N-dev: the image's g++ has
# its own). The carried libraries need glibc >= 2.34 and GLIBCXX_3.4.29
# (GCC 11) at least; `run deps` checks that with ldd.
skip_re='^(libc6|libc6-dev|libc-dev-bin|libcrypt1|libcrypt-dev|libnsl2|libnsl-dev|libtirpc.*|rpcsvc-proto|linux-libc-dev|gcc-[0-9]+-base|libgcc-s1|libgcc-[0-9]+-dev|libstdc\+\+6|libstdc\+\+-[0-9]+-dev|libgomp1|libatomic1|libitm1|libquadmath0|libasan[0-9]+|liblsan0|libtsan[0-9]+|libubsan1|libhwasan0)$'

log() { printf 'gpu-check: %s\n' "$*" >&2; }
die() { printf 'gpu-check: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- fetch ----

# The real packages PKG depends on (Depends and Pre-Depends): of each
# alternative group (a | b) the first real package, else the first provider
# of the virtual one.
direct_depends() {
  apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "$1" | awk '
    function choose() {
      for (i = 1; i <= n; i++) if (cand[i] !~ /^</) { print cand[i]; n = 0; want_provider = 0; return }
      want_provider = 1; n = 0
    }
    /^ [ |](Pre)?Depends: / {
      line = $0; alt = substr(line, 2, 1) == "|"
      sub(/^ [ |](Pre)?Depends: /, "", line)
      cand[++n] = line
      if (!alt) choose()
      next
    }
    /^    [^ ]/ { if (want_provider) { sub(/^ +/, ""); print; want_provider = 0 } next }
    { want_provider = 0 }'
}

fetch() {
  command -v apt-get >/dev/null && command -v apt-cache >/dev/null || die "fetch needs apt-get (a Debian or Ubuntu machine)"
  # Breadth-first over Depends, from the roots, not into skipped packages.
  local -A seen=()
  local queue=("${roots[@]}") wanted=() skipped=() p d
  while [ ${#queue[@]} -gt 0 ]; do
    p="${queue[0]}"; queue=("${queue[@]:1}")
    [ -n "${seen[$p]:-}" ] && continue
    seen[$p]=1
    if [[ "$p" =~ $skip_re ]]; then skipped+=("$p"); continue; fi
    apt-cache show "$p" >/dev/null 2>&1 || die "package '$p' is unknown to apt (apt-get update?)"
    wanted+=("$p")
    while read -r d; do [ -n "$d" ] && queue+=("$d"); done < <(direct_depends "$p")
  done
  log "packages to carry (${#wanted[@]}): ${wanted[*]}"
  log "left to the GPU image (toolchain and its runtime): ${skipped[*]}"

  rm -rf "$debs"
  mkdir -p "$debs"
  local sandbox=()
  [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)  # _apt cannot write here
  (cd "$debs" && apt-get download -q "${sandbox[@]}" "${wanted[@]}") || die "apt-get download failed"
  # A manifest `run` checks the folder against.
  (cd "$debs" && for f in *.deb; do
     printf '%s %s %s\n' "$(dpkg-deb -f "$f" Package)" "$(dpkg-deb -f "$f" Version)" "$(sha256sum "$f" | cut -d' ' -f1)"
   done) >"$debs/MANIFEST"
  grep -qx '/.gpu-debs/' "$repo/.gitignore" 2>/dev/null || log "warning: add /.gpu-debs/ to .gitignore, or it travels as an untracked file"
  log "$(ls "$debs"/*.deb | wc -l) .deb files, $(du -sh "$debs" | cut -f1) in $debs (listed in MANIFEST)"
  cat <<EOF

Next, with the device tool (each call at most 10 minutes; see docs/gpu.md):
  run(command="bash scripts/gpu-check.sh run env deps build ops test", carry=[".gpu-debs"], timeout_s=600)
  run(command="bash scripts/gpu-check.sh run check bench", carry=[".gpu-debs"], timeout_s=600)
The summary and logs come back from \$OUT (summary.md, *.log, bench_gpu.json).
EOF
}

# ------------------------------------------------------------------ run ----

summary="$out/summary.md"
note() { printf '%s\n' "$*" | tee -a "$summary"; }
step_begin() { step_started=$SECONDS; note ""; note "## $1"; }
step_end() { note "($1: $((SECONDS - step_started)) s)"; }

# The toolkit in $CUDA_HOME, $CUDA_PATH or /usr/local/cuda (where
# sdk/cmake/LoomCuda.cmake looks first), else the nvcc on PATH.
find_nvcc() {
  local d
  for d in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda /opt/cuda; do
    if [ -n "$d" ] && [ -x "$d/bin/nvcc" ]; then
      case ":$PATH:" in *":$d/bin:"*) ;; *) export PATH="$d/bin:$PATH" ;; esac
      break
    fi
  done
  command -v nvcc >/dev/null || return 1
  cuda_root="$(cd "$(dirname "$(readlink -f "$(command -v nvcc)")")/.." && pwd)"
}

# Sets cudnn_include and cudnn_library: $CUDNN_ROOT, the CUDA toolkit, /usr,
# or the nvidia-cudnn wheel of the machine's Python (PyTorch's cuDNN).
find_cudnn() {
  local roots_=() r lib py
  [ -n "${CUDNN_ROOT:-}" ] && roots_+=("$CUDNN_ROOT")
  [ -n "${cuda_root:-}" ] && roots_+=("$cuda_root" "$cuda_root/targets/x86_64-linux")
  roots_+=(/usr/local/cuda /usr)
  for py in python3 /opt/torch/.venv/bin/python3; do
    r="$("$py" -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)"
    [ -n "$r" ] && roots_+=("$r")
  done
  cudnn_include="" cudnn_library=""
  for r in "${roots_[@]}"; do
    [ -f "$r/include/cudnn.h" ] || [ -f "$r/include/$multiarch/cudnn.h" ] || continue
    for lib in "$r"/lib64/libcudnn.so "$r"/lib/libcudnn.so "$r/lib/$multiarch/libcudnn.so" \
               "$r"/lib64/libcudnn.so.9 "$r"/lib/libcudnn.so.9 "$r/lib/$multiarch/libcudnn.so.9"; do
      if [ -e "$lib" ]; then
        cudnn_library="$lib"
        if [ -f "$r/include/cudnn.h" ]; then cudnn_include="$r/include"; else cudnn_include="$r/include/$multiarch"; fi
        return 0
      fi
    done
  done
  return 1
}

cudnn_version() {
  local h="$cudnn_include/cudnn_version.h"
  [ -f "$h" ] || { echo "unknown"; return; }
  awk '/#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) /{v[$2]=$3} END{print v["CUDNN_MAJOR"] "." v["CUDNN_MINOR"] "." v["CUDNN_PATCHLEVEL"]}' "$h"
}

gpu_name() {
  command -v nvidia-smi >/dev/null || { echo "none (no nvidia-smi)"; return; }
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 ||
    echo "none (nvidia-smi failed)"
}

libdir() { echo "$prefix/usr/lib/$multiarch"; }

# Library paths for the built programs: the prefix and cuDNN's folder.
runtime_env() {
  local extra
  extra="$(libdir)"
  [ -n "${cudnn_library:-}" ] && extra="$extra:$(dirname "$cudnn_library")"
  export LD_LIBRARY_PATH="$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

step_env() {
  step_begin "env"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -srm), $(nproc) CPUs"
    echo "os: $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")"
    echo "glibc: $(ldd --version 2>/dev/null | head -1)"
    echo "g++: $(g++ --version 2>/dev/null | head -1 || echo none)"
    echo "cmake: $(cmake --version 2>/dev/null | head -1 || echo none)"
    echo "ninja: $(ninja --version 2>/dev/null || echo none)"
    echo "nvcc: $( (find_nvcc && nvcc --version | tail -2 | tr '\n' ' ') || echo none)"
    echo "gpu: $(gpu_name)"
    if find_nvcc && find_cudnn; then
      echo "cudnn: $(cudnn_version) (header $cudnn_include, library $cudnn_library)"
    else
      echo "cudnn: not found"
    fi
    echo "python torch: $(python3 -c 'import torch; print(torch.__version__, torch.cuda.is_available())' 2>/dev/null || echo none)"
    command -v nvidia-smi >/dev/null && nvidia-smi 2>&1 | head -20
  } 2>&1 | tee "$out/env.log" | tee -a "$summary" >/dev/null
  note "GPU: $(gpu_name)"
  step_end env
}

step_deps() {
  step_begin "deps"
  [ -d "$debs" ] && ls "$debs"/*.deb >/dev/null 2>&1 ||
    die "no .deb files in $debs: run 'scripts/gpu-check.sh fetch' on a machine with Debian's network and carry .gpu-debs"
  if [ -f "$debs/MANIFEST" ]; then
    local pkg ver sum f bad=0
    while read -r pkg ver sum; do
      f="$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -1)"
      if [ -z "$f" ] || [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sum" ]; then
        log "missing or changed: $pkg $ver"; bad=1
      fi
    done <"$debs/MANIFEST"
    [ $bad -eq 0 ] || die "$debs does not match its MANIFEST: fetch again"
  fi
  local stamp="$prefix/.loom-debs" want
  want="$(cd "$debs" && sha256sum ./*.deb | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$prefix"
    mkdir -p "$prefix"
    local deb
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$prefix" || die "cannot unpack $deb"; done
    # doctest's exported targets name /usr/include outright (every other
    # package computes its prefix from the config file's own place): point
    # them at the prefix.
    local dt="$prefix/usr/lib/cmake/doctest/doctestTargets.cmake"
    [ -f "$dt" ] && sed -i "s|^set(_IMPORT_PREFIX \"/usr\")|set(_IMPORT_PREFIX \"$prefix/usr\")|" "$dt"
    echo "$want" >"$stamp"
    note "unpacked $(ls "$debs"/*.deb | wc -l) packages into $prefix"
  else
    note "$prefix is up to date"
  fi
  # Every carried library must resolve against this machine's glibc and
  # libstdc++ (they are Debian 12's; the toolchain runtime is the image's).
  local so missing=""
  for so in "$(libdir)"/*.so.*; do
    [ -L "$so" ] && continue
    missing+="$(LD_LIBRARY_PATH="$(libdir)" ldd "$so" 2>&1 | grep -E 'not found' | sed "s|^|$(basename "$so"): |" || true)"
  done
  [ -z "$missing" ] || die "carried libraries do not resolve here (need glibc >= 2.34, GLIBCXX_3.4.29):"$'\n'"$missing"
  note "carried libraries resolve against this machine's glibc and libstdc++"
  step_end deps
}

# Sets cuda_root, cudnn_include and cudnn_library, or stops with the reason.
need_cuda() {
  find_nvcc || die "no CUDA toolkit: nvcc is neither on PATH nor in \$CUDA_HOME, /usr/local/cuda or /opt/cuda"
  find_cudnn || die "no cuDNN (cudnn.h and libcudnn.so*) in \$CUDNN_ROOT, $cuda_root, /usr or Python's nvidia-cudnn package"
}

# Runs in a subshell (its output goes to build.log); need_cuda ran before.
configure() {
  local gen=() launcher=() ignore=() flags=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  fi
  # Never Debian's packages from /usr or / (usrmerge) when the prefix has
  # them, unless the CUDA toolkit itself lives in /usr.
  local rt=()
  if [ "$cuda_root" != /usr ]; then
    ignore=(-DCMAKE_IGNORE_PREFIX_PATH="/usr;/")
    # glibc's librt, which FindCUDAToolkit looks for (for cudart_static) in
    # the prefixes just ignored: take the compiler's.
    local f
    for f in librt.so librt.a; do
      f="$(g++ -print-file-name="$f")"
      [ -f "$f" ] && { rt=(-DCUDAToolkit_rt_LIBRARY="$f"); break; }
    done
  fi
  # cudnn.h outside the toolkit's include folder (the Python wheel's): the
  # plugin's targets only name CUDAToolkit_INCLUDE_DIRS.
  if [ "$cudnn_include" != "$cuda_root/include" ] && [[ "$cudnn_include" != /usr/include* ]]; then
    flags=(-DCMAKE_CXX_FLAGS="-isystem $cudnn_include" -DCMAKE_CUDA_FLAGS="-isystem $cudnn_include")
  fi
  note "CUDA: $(nvcc --version | tail -1) in $cuda_root; cuDNN $(cudnn_version): $cudnn_library"
  # A fresh cache each time, so the settings below are the ones in force.
  rm -f "$build/CMakeCache.txt"
  cmake -S "$repo" -B "$build" "${gen[@]}" "${launcher[@]}" "${ignore[@]}" "${flags[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DLOOM_WITH_CUDA=ON \
    -DCUDAToolkit_ROOT="$cuda_root" \
    -DLOOM_CUDNN_LIBRARY="$cudnn_library" -DLOOM_CUDNN_INCLUDE_DIR="$cudnn_include" \
    -DCMAKE_PREFIX_PATH="$prefix/usr" \
    -DCMAKE_LIBRARY_PATH="$(libdir)" "${rt[@]}" \
    -DOpenCL_INCLUDE_DIR="$prefix/usr/include" -DOpenCL_LIBRARY="$(libdir)/libOpenCL.so" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON || die "cmake configure failed"
  # Where each package was found: all of them must come from the prefix.
  local cache="$build/CMakeCache.txt" var val bad=0
  for var in Boost_DIR boost_headers_DIR boost_program_options_DIR fmt_DIR yaml-cpp_DIR nlohmann_json_DIR dnnl_DIR \
             doctest_DIR OpenCL_LIBRARY OpenCL_INCLUDE_DIR; do
    val="$(grep -E "^${var}:" "$cache" | head -1 | cut -d= -f2-)"
    note "  $var = ${val:-(not set)}"
    case "$val" in "$prefix"/*) ;; *) bad=1 ;; esac
  done
  [ $bad -eq 0 ] || die "a package was found outside $prefix (see above)"
}

step_build() {
  step_begin "build"
  [ -f "$prefix/.loom-debs" ] || step_deps
  need_cuda
  {
    configure
    cmake --build "$build" -j "$jobs" || die "the build failed"
  } 2>&1 | tee "$out/build.log" >/dev/null || {
    tail -40 "$out/build.log" | tee -a "$summary"
    die "configure or build failed (log: build.log)"
  }
  note "built in $build with $jobs jobs; compiler warnings in the log: $(grep -c 'warning:' "$out/build.log" || true)"
  [ -f "$build/lib/loom/plugins/libloom-cudnn.so" ] || die "the cudnn plugin was not built"
  step_end build
}

# Builds when the build folder is missing (a fresh machine); else a no-op
# incremental build.
ensure_built() {
  if [ ! -f "$build/CMakeCache.txt" ] || [ ! -f "$build/lib/loom/plugins/libloom-cudnn.so" ]; then
    step_build
  else
    need_cuda
    cmake --build "$build" -j "$jobs" >>"$out/build.log" 2>&1 || die "incremental build failed (build.log)"
  fi
  runtime_env
}

# "N passed, M failed of T" from a ctest log.
ctest_counts() {
  grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1 || echo "no ctest summary (timed out?)"
}

step_ops() {
  ensure_built
  step_begin "ops (conformance suite)"
  local rc=0
  timeout "$step_timeout" ctest --test-dir "$build" -R test_ops -V --timeout "$step_timeout" >"$out/ops.log" 2>&1 || rc=$?
  note "GPU: $(gpu_name)"
  note "ctest -R test_ops: $(ctest_counts "$out/ops.log")"
  # Every test case (one ctest test each) prints the backends it covers.
  note "$(grep -m1 -o 'conformance: backends under test: .*' "$out/ops.log" || echo 'no backend list in ops.log')"
  note "assertions: $(grep -o '\[doctest\] assertions: *[0-9]* | *[0-9]* passed | *[0-9]* failed' "$out/ops.log" |
    awk -F'|' '{gsub(/[^0-9]/, "", $1); gsub(/[^0-9]/, "", $2); gsub(/[^0-9]/, "", $3); t += $1; p += $2; f += $3}
               END {print t " (" p " passed, " f " failed)"}')"
  if ! grep -q 'conformance: backends under test: .*cudnn' "$out/ops.log"; then
    note "cudnn cases SKIPPED: $(grep -m1 -o "skipping backend 'cudnn': .*" "$out/ops.log" || echo 'cudnn not loaded')"
    if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
      note "but this machine has a GPU: the cudnn backend should have run"
      rc=1
    fi
  fi
  step_end ops
  [ $rc -eq 0 ] || { note "ops: FAILED (exit $rc; log: ops.log)"; return 1; }
}

step_test() {
  ensure_built
  step_begin "test (every test)"
  local rc=0
  timeout "$step_timeout" ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300 \
    >"$out/ctest.log" 2>&1 || rc=$?
  note "ctest: $(ctest_counts "$out/ctest.log")"
  sed -n '/The following tests FAILED/,$p' "$out/ctest.log" | tee -a "$summary"
  step_end test
  [ $rc -eq 0 ] || { note "test: FAILED (exit $rc; log: ctest.log)"; return 1; }
}

step_check() {
  ensure_built
  step_begin "check (loom check-plugin --backend cudnn, pipelines on cudnn)"
  local loom="$build/bin/loom" so rc=0 line
  : >"$out/check.log"
  "$loom" plugins >>"$out/check.log" 2>&1 || rc=1
  line="$(grep -m1 -E '^ +backend +cudnn ' "$out/check.log" || echo 'cudnn not listed')"
  note "loom plugins: $(echo "$line" | sed 's/^ *//; s/  */ /g')"
  if [[ "$line" == *unavailable* ]] || [[ "$line" == "cudnn not listed" ]]; then
    if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
      note "check: FAILED: this machine has a GPU but the cudnn backend cannot run"
    else
      note "check: skipped: no GPU here (nvidia-smi finds none)"
      step_end check
      return 0
    fi
    step_end check
    return 1
  fi
  for so in "$build"/lib/loom/plugins/libloom-*.so; do
    echo "== loom check-plugin $so --backend cudnn" >>"$out/check.log"
    if timeout 300 "$loom" check-plugin "$so" --backend cudnn >>"$out/check.log" 2>&1; then :; else rc=1; fi
    line="$(tail -1 "$out/check.log")"
    note "  $(basename "$so"): $line"
  done
  # The quickstart's pipelines on the GPU against their expected outputs.
  local ex="$repo/examples/pipelines" tmp
  tmp="$(mktemp -d)"
  if [ -d "$ex/recurrent_encoder" ]; then
    echo "== pipeline recurrent_encoder --backend cudnn" >>"$out/check.log"
    if "$loom" run "$ex/recurrent_encoder/pipeline.yaml" --backend cudnn --input "$ex/recurrent_encoder/input.npy" \
         --input "mask=$ex/recurrent_encoder/mask.npy" --compare "$ex/recurrent_encoder/expected.npy" \
         --output "$tmp/recurrent.npy" >>"$out/check.log" 2>&1; then
      note "  pipeline recurrent_encoder on cudnn: matches expected.npy"
    else
      note "  pipeline recurrent_encoder on cudnn: FAILED (check.log)"; rc=1
    fi
  fi
  if [ -d "$ex/text_classifier" ]; then
    echo "== pipeline text_classifier --backend cudnn" >>"$out/check.log"
    if "$loom" run "$ex/text_classifier/pipeline.yaml" --backend cudnn --input "$ex/text_classifier/input.txt" \
         --compare "$ex/text_classifier/expected.npy" --tolerance 1e-4 --output "$tmp/text.jsonl" \
         >>"$out/check.log" 2>&1; then
      note "  pipeline text_classifier on cudnn: matches expected.npy (tolerance 1e-4)"
    else
      note "  pipeline text_classifier on cudnn: FAILED (check.log)"; rc=1
    fi
  fi
  rm -rf "$tmp"
  step_end check
  [ $rc -eq 0 ] || { note "check: FAILED (log: check.log)"; return 1; }
}

step_bench() {
  ensure_built
  step_begin "bench (bench_gpu)"
  local rc=0 args
  read -r -a args <<<"${LOOM_GPU_BENCH_ARGS:---rounds 9}"
  [ -x "$build/bin/bench_gpu" ] || die "no $build/bin/bench_gpu: was the build configured without CUDA?"
  timeout "$step_timeout" "$build/bin/bench_gpu" "${args[@]}" --json "$out/bench_gpu.json" \
    >"$out/bench_gpu.log" 2>&1 || rc=$?
  note "GPU: $(gpu_name)"
  grep -m1 '^bench_gpu: skipped' "$out/bench_gpu.log" | tee -a "$summary" || true
  sed -n '/^Summary against the targets:/,$p' "$out/bench_gpu.log" | tee -a "$summary"
  step_end bench
  [ $rc -eq 0 ] || { note "bench: FAILED or timed out (exit $rc; log: bench_gpu.log)"; return 1; }
}

run_steps() {
  mkdir -p "$out"
  [ -f "$summary" ] || printf '# Loom GPU check\n\nrepo: %s (%s)\n' "$repo" \
    "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no git')" >"$summary"
  local steps=("$@") failed=() s
  [ ${#steps[@]} -eq 0 ] && steps=(all)
  [ "${steps[*]}" = all ] && steps=(env deps build ops test check bench)
  for s in "${steps[@]}"; do
    case "$s" in
      env | deps | build | ops | test | check | bench) ;;
      *) die "unknown step '$s' (env deps build ops test check bench all)" ;;
    esac
  done
  for s in "${steps[@]}"; do
    # A failed step is noted and the next ones still run (their logs help);
    # deps and build failures stop everything (die).
    "step_$s" || failed+=("$s")
  done
  note ""
  if [ ${#failed[@]} -eq 0 ]; then
    note "gpu-check: ${steps[*]}: all passed (summary: $summary)"
  else
    note "gpu-check: FAILED: ${failed[*]} (summary: $summary)"
    exit 1
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  run) shift; run_steps "$@" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
