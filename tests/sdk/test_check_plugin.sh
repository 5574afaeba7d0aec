#!/usr/bin/env bash
# usage: test_check_plugin.sh LOOM PLUGIN_DIR BAD_PLUGIN ABI_TEST_PLUGINS
# `loom check-plugin` on every in-tree plugin (each must pass), on a plugin
# with one deliberate fault per layer (each must be caught), on broken files,
# and its command-line errors.
set -u
loom=$1 plugin_dir=$2 bad=$3 abi_plugins=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; echo "  stdout: $out"; echo "  stderr: $err"; failed=$((failed + 1)); fi
}
run() {  # run ARGS...: sets rc, out, err
  "$loom" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
has() { grep -qF -- "$2" <<<"$1"; }
row() {  # row CHECK BACKEND STATUS: a table row with these first columns
  grep -qE "^$1 +$2 +[^ ]+ +$3 " <<<"$out"
}

# Every in-tree plugin passes (warnings allowed: a layer without examples).
for f in "$plugin_dir"/libloom-*.so; do
  name=$(basename "$f")
  run check-plugin "$f"
  check "$name passes" [ "$rc" -eq 0 ]
  check "$name: summary" has "$out" ", 0 failed"
  check "$name: no FAIL row" [ -z "$(grep -E '^[^ ].* FAIL ' <<<"$out")" ]
  check "$name: abi ok" row abi - ok
done
# Layers with examples are really run: on both CPU backends, against the reference.
run check-plugin "$plugin_dir/libloom-basic-layers.so"
check "linear on onednn vs the reference" has "$out" "vs basic-layers linear@any on reference"
check "linear on the reference backend" row 'linear@any' reference ok
check "errors are probed" row 'errors linear@any' onednn ok
check "resolution is shown" row 'resolution linear' reference ok
check "a declared invalid example is refused" has "$out" "refused as declared: layer 'check' (linear): input has 7 features"
run check-plugin "$plugin_dir/libloom-onednn.so"
check "a backend plugin runs every layer's examples" row 'recurrent lstm@any' onednn ok
check "a backend plugin: memory" row memory onednn ok
run check-plugin "$plugin_dir/libloom-basic-layers.so" --backend reference
check "--backend restricts the backends" [ -z "$(grep -E '^linear@any +onednn' <<<"$out")" ]

# Each deliberate fault is caught.
run check-plugin "$bad"
check "bad layers: exit 1" [ "$rc" -eq 1 ]
check "backends that disagree" row 'disagrees_on_onednn@any' onednn FAIL
check "backends that disagree: the values" has "$out" "but the reference gives"
check "a layer that leaks backend memory" has "$out" "bytes of backend memory still in use"
check "an invalid example accepted" has "$out" "accepted the inputs its example marks as invalid"
check "an undeclared output" has "$out" "produced undeclared output 'extra'"
check "no examples: a warning" row 'metadata no_examples@any' - WARN
run check-plugin "$bad" --strict --backend reference
check "--strict: warnings fail" [ "$rc" -eq 1 ]

# Files that are not loadable plugins.
run check-plugin "$abi_plugins/wrong-major/libloom-wrong-major.so"
check "wrong major: exit 1" [ "$rc" -eq 1 ]
check "wrong major: says so" has "$out" "is incompatible with this host's ABI"
run check-plugin "$abi_plugins/garbage/libloom-garbage.so"
check "not an ELF file: exit 1" [ "$rc" -eq 1 ]
check "not an ELF file: abi FAIL" row abi - FAIL
run check-plugin "$abi_plugins/init-fails/libloom-init-fails.so"
check "failing init: exit 1" [ "$rc" -eq 1 ]
check "failing init: reason" has "$out" "license server unreachable"
run check-plugin "$tmp/nothing-here.so"
check "missing file: exit 1" [ "$rc" -eq 1 ]
check "missing file: named" has "$err" "$tmp/nothing-here.so: no such plugin file"

# Command-line mistakes exit 2.
run check-plugin
check "no file: exit 2" [ "$rc" -eq 2 ]
run check-plugin "$bad" --option in_features=3
check "--option without TYPE.: exit 2" [ "$rc" -eq 2 ]
check "--option syntax named" has "$err" "TYPE.KEY=VALUE"

# --option reaches the examples: an option value the layer refuses fails it.
run check-plugin "$plugin_dir/libloom-basic-layers.so" --backend reference --option linear.in_features=0
check "--option applies to the examples" row 'linear@any' reference FAIL

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
