#!/usr/bin/env bash
# The SDK as a third party uses it: against an *installed* Loom, each consumer
# in its own build folder (the way fmt's find-package test builds a separate
# project). ctest runs each step as a test (tests/sdk); by hand:
#
#   scripts/test-sdk.sh BUILD_DIR WORK_DIR            every step, in order
#   scripts/test-sdk.sh BUILD_DIR WORK_DIR install    cmake --install BUILD_DIR into WORK_DIR/prefix, then check
#                                                     the layout, that the installed loom finds its plugins by
#                                                     itself, and what each installed plugin exports and links
#   scripts/test-sdk.sh BUILD_DIR WORK_DIR example NAME
#                                                     configure and build sdk/examples/NAME against WORK_DIR/prefix
#                                                     in WORK_DIR/NAME-build (warnings are errors), check the plugin
#                                                     file, and run the example's own ctest (check-plugin and its
#                                                     pipeline through the installed loom)
#   scripts/test-sdk.sh BUILD_DIR WORK_DIR tutorial   run every command of docs/writing-a-plugin.md (its
#                                                     ```sh tutorial blocks, and its ```LANG tutorial file=NAME
#                                                     blocks written out) with HOME=WORK_DIR/tutorial/home
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
step=${3:-all}
prefix=$work/prefix

say() { printf '== %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# The compiler (and launcher) the main build used, for the consumer projects.
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
consumer_args=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=$(cache_value CMAKE_CXX_COMPILER)")
launcher=$(cache_value CMAKE_CXX_COMPILER_LAUNCHER)
[ -n "$launcher" ] && consumer_args+=("-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher")

# A plugin exports loom_plugin_entry and nothing of its own (hidden
# visibility; libstdc++'s template instances are default-visible by design)
# and never links libloom-core.
check_plugin_file() {
  local f=$1 own
  readelf -d "$f" | grep -q 'NEEDED.*libloom-core' && die "$f links libloom-core (plugins link only the SDK)"
  nm -D --defined-only "$f" | grep -qw loom_plugin_entry || die "$f does not export loom_plugin_entry"
  own=$(nm -D --defined-only -C "$f" | awk '{ $1 = ""; $2 = ""; print }' | grep -v 'std::\|__gnu_cxx::' |
        grep -vx ' *loom_plugin_entry' || true)
  [ -z "$own" ] || die "$f exports symbols of its own besides loom_plugin_entry (visibility not hidden?): $own"
}

step_install() {
  say "install $build into $prefix"
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix" >"$work/install.log"
  for f in bin/loom lib/libloom-core.so include/loom/abi/plugin.h include/loom/sdk/plugin.hpp \
           include/loom/plugin_manager.hpp lib/cmake/Loom/LoomConfig.cmake lib/cmake/Loom/LoomConfigVersion.cmake \
           lib/cmake/Loom/LoomTargets.cmake lib/cmake/Loom/LoomAddPlugin.cmake; do
    [ -e "$prefix/$f" ] || die "the install has no $f"
  done
  # write_basic_package_version_file(COMPATIBILITY SameMajorVersion) says so in its header.
  grep -q "requested major version is the same" "$prefix/lib/cmake/Loom/LoomConfigVersion.cmake" ||
    die "the version file is not SameMajorVersion"
  # The installed loom uses the installed core, and finds the installed plugins
  # with no setting, from any working directory.
  local core
  core=$(ldd "$prefix/bin/loom" | awk '/libloom-core/ { print $3 }')
  [ -n "$core" ] && [ "$(realpath "$core")" = "$(realpath "$prefix/lib/libloom-core.so")" ] ||
    die "installed loom loads libloom-core from '$core', not from $prefix/lib"
  local listing
  listing=$(cd / && env -u LOOM_PLUGIN_PATH "$prefix/bin/loom" plugins)
  grep -q "^  $prefix/lib/loom/plugins\$" <<<"$listing" || die "installed loom does not search $prefix/lib/loom/plugins"
  local n_built n_listed
  n_built=$(ls "$build"/lib/loom/plugins/libloom-*.so | wc -l)
  n_listed=$(grep -c "file: $prefix/lib/loom/plugins/libloom-" <<<"$listing" || true)
  [ "$n_listed" -eq "$n_built" ] || die "installed loom lists $n_listed plugins from the prefix, the build has $n_built"
  grep -q "$build/lib/loom/plugins" <<<"$listing" && die "installed loom reads plugins from the build tree"
  for f in "$prefix"/lib/loom/plugins/libloom-*.so; do check_plugin_file "$f"; done
  say "install ok: $n_listed plugins found by the installed loom"
}

step_example() {
  local name=$1 dir=$work/$1-build
  [ -d "$src/sdk/examples/$name" ] || die "no example sdk/examples/$name"
  [ -x "$prefix/bin/loom" ] || die "no Loom installed in $prefix (run the install step first)"
  say "example $name: configure and build against $prefix in $dir"
  rm -rf "$dir"
  cmake -S "$src/sdk/examples/$name" -B "$dir" "${consumer_args[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
    "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Wshadow -Werror" >"$work/$name-configure.log" ||
    { cat "$work/$name-configure.log"; die "configuring $name failed"; }
  cmake --build "$dir" -j 2 || die "building $name failed"
  local plugin
  plugin=$(ls "$dir"/libloom-*.so)
  check_plugin_file "$plugin"
  say "example $name: its own tests, through the installed loom"
  ctest --test-dir "$dir" --output-on-failure || die "the tests of $name failed"
}

# docs/writing-a-plugin.md as one bash script: ```sh tutorial blocks as they
# are, ```LANG tutorial file=NAME blocks as heredocs writing NAME.
doc_script() {
  awk '
    /^```/ && inside { inside = 0; if (file != "") print "LOOM_DOC_EOF"; next }
    /^```[a-z]+ +tutorial/ {
      inside = 1; file = ""
      for (i = 1; i <= NF; ++i) if ($i ~ /^file=/) file = substr($i, 6)
      if (file != "") print "cat > " file " <<'"'"'LOOM_DOC_EOF'"'"'"
      next
    }
    inside { print }
  ' "$src/docs/writing-a-plugin.md"
}

step_tutorial() {
  local dir=$work/tutorial
  say "tutorial: the commands of docs/writing-a-plugin.md, HOME=$dir/home"
  rm -rf "$dir"
  mkdir -p "$dir/home" "$dir/checkout"
  ln -s "$build" "$dir/checkout/build"  # the reader's Loom checkout, built into build/
  doc_script >"$dir/tutorial.sh"
  grep -q 'check-plugin' "$dir/tutorial.sh" || die "no tutorial blocks found in docs/writing-a-plugin.md"
  (cd "$dir/checkout" && env -u LOOM_PLUGIN_PATH HOME="$dir/home" \
     bash -euo pipefail -x "$dir/tutorial.sh") || die "a command of docs/writing-a-plugin.md failed (script: $dir/tutorial.sh)"
  say "tutorial ok"
}

case $step in
  install) step_install ;;
  example) step_example "${4:?example NAME}" ;;
  tutorial) step_tutorial ;;
  all)
    step_install
    for e in "$src"/sdk/examples/*/; do step_example "$(basename "$e")"; done
    step_tutorial
    ;;
  *) die "unknown step '$step' (install, example NAME, tutorial, all)" ;;
esac
