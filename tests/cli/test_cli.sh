#!/usr/bin/env bash
# usage: test_cli.sh LOOM TEST_PLUGIN_ROOT FIXTURES
set -u
loom=$1 plugins=$2 fixtures=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
run() {  # run ARGS...: sets rc, out, err
  "$loom" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
has() { grep -qF -- "$2" <<<"$1"; }

run --version
check "version exits 0" [ "$rc" -eq 0 ]
check "version prints the ABI" has "$out" "plugin ABI 1."

run plugins
check "plugins exits 0" [ "$rc" -eq 0 ]
check "plugins: no warning on a clean path" [ -z "$err" ]
for want in "reference" "onednn" "basic-layers" "linear@any" "embedding@any" "layer_norm@any" "gelu@any" \
            "available on cpu"; do
  check "plugins lists $want" has "$out" "$want"
done
clean_listing=$(sed -n '/^plugins (/,/^$/p' <<<"$out")

broken=(wrong-major no-entry null-descriptor init-fails garbage)
args=()
for b in "${broken[@]}"; do args+=(--plugin-dir "$plugins/$b"); done
run plugins "${args[@]}"
check "broken plugins: still exits 0" [ "$rc" -eq 0 ]
check "broken plugins: one warning line each" [ "$(wc -l <<<"$err")" -eq "${#broken[@]}" ]
for b in "${broken[@]}"; do
  check "broken plugins: warning names libloom-$b.so" has "$err" "libloom-$b.so"
done
check "broken plugins: good plugins unchanged" [ "$(sed -n '/^plugins (/,/^$/p' <<<"$out")" = "$clean_listing" ]
check "broken plugins: listed as skipped" has "$out" "skipped (5):"

# LOOM_PLUGIN_PATH is searched too, after --plugin-dir: the same plugin in both
# loads from --plugin-dir and the later copy is skipped as already loaded.
mkdir -p "$tmp/env-dir"
cp "$plugins/newer-minor/libloom-newer-minor.so" "$tmp/env-dir/"
LOOM_PLUGIN_PATH="$tmp/env-dir" run plugins
check "LOOM_PLUGIN_PATH: plugin loaded" has "$out" "$tmp/env-dir/libloom-newer-minor.so"
LOOM_PLUGIN_PATH="$tmp/env-dir" run plugins --plugin-dir "$plugins/newer-minor"
check "search order: --plugin-dir first" has "$out" "file: $plugins/newer-minor/libloom-newer-minor.so"
check "search order: later copy skipped" has "$err" "already loaded"

run plugins --verbose
check "plugins --verbose shows options" has "$out" "option in_features:int (required)"

run inspect "$fixtures/io/all_dtypes.safetensors"
check "inspect safetensors exits 0" [ "$rc" -eq 0 ]
check "inspect shows a tensor" has "$out" "f32"

printf 'not a safetensors file at all' >"$tmp/bad.safetensors"
run inspect "$tmp/bad.safetensors"
check "inspect malformed exits 1" [ "$rc" -eq 1 ]
check "inspect malformed names the file" has "$err" "$tmp/bad.safetensors"

run inspect "$tmp/missing.npy"
check "inspect missing file exits 1" [ "$rc" -eq 1 ]
check "inspect missing file says so" has "$err" "no such file"

touch "$tmp/x.txt"
run inspect "$tmp/x.txt"
check "inspect unknown type exits 2" [ "$rc" -eq 2 ]

run frobnicate
check "unknown command exits 2" [ "$rc" -eq 2 ]

run plugins --no-such-flag
check "unknown flag exits 2" [ "$rc" -eq 2 ]

# Backend options ride on the name: NAME:KEY=VALUE,...
run run-layer gelu -i "$fixtures/layers/gelu_input.npy" --backend onednn:threads=1
check "backend options: onednn:threads=1 runs" [ "$rc" -eq 0 ]
run run-layer gelu -i "$fixtures/layers/gelu_input.npy" --backend onednn:thread=1
check "backend options: unknown option exits 1" [ "$rc" -eq 1 ]
check "backend options: unknown option named" has "$err" "thread"
check "backend options: did-you-mean" has "$err" "threads"
run run-layer gelu -i "$fixtures/layers/gelu_input.npy" --backend "onednn:threads"
check "backend options: malformed exits non-zero" [ "$rc" -ne 0 ]
check "backend options: malformed names the text" has "$err" "backend 'onednn:threads'"

# The GPU backend, when it was built: listed either way; without a GPU it says
# why and `--backend cudnn` is a clear error, with one `auto` takes it.
run plugins
if has "$out" "backend    cudnn"; then
  gelu=(run-layer gelu -i "$fixtures/layers/gelu_input.npy" --output "$tmp/gelu.npy")
  if has "$out" "unavailable: no CUDA device"; then
    run "${gelu[@]}" --backend cudnn
    check "cudnn without a GPU: exit 1" [ "$rc" -eq 1 ]
    check "cudnn without a GPU: says why" has "$err" "backend 'cudnn' cannot run here: no CUDA device"
    check "cudnn without a GPU: no output written" [ ! -e "$tmp/gelu.npy" ]
    run "${gelu[@]}" --backend auto
    check "auto without a GPU: runs" [ "$rc" -eq 0 ]
    check "auto without a GPU: says it passed over cudnn" has "$err" "backend auto chose 'onednn' (cudnn: no CUDA device"
  else
    run "${gelu[@]}" --backend auto
    check "auto with a GPU: runs" [ "$rc" -eq 0 ]
    check "auto with a GPU: takes cudnn" has "$err" "backend auto chose 'cudnn'"
  fi
  rm -f "$tmp/gelu.npy"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
