#!/usr/bin/env bash
# usage: test_tokenize.sh LOOM FIXTURES
# `loom tokenize`: table and JSONL output, pairs, files and stdin, decode,
# truncation, ill-formed UTF-8, and errors with their exit codes. Expected
# ids come from tests/fixtures/tokenizers/expected-wordpiece-uncased.json
# (Hugging Face tokenizers, line 0 of corpus.txt).
set -u
loom=$1 fixtures=$2/tokenizers
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
run() {  # run ARGS...: sets rc, out, err
  "$loom" tokenize "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
has() { grep -qF -- "$2" <<<"$1"; }

wp="wordpiece:vocab=$fixtures/wordpiece/vocab-uncased.txt"
line0="Hello world! This is a simple test."
ids0="[2,822,823,106,1209,495,1189,78,1559,482,1576,491,99,3]"

run -t "$wp" --text "$line0" --format jsonl
check "jsonl exits 0" [ "$rc" -eq 0 ]
check "jsonl: HF's ids" has "$out" "\"ids\":$ids0"
check "jsonl: offsets" has "$out" '"offsets":[[0,0],[0,5],[6,11],[11,12],'
check "jsonl: special mask" has "$out" '"special_tokens_mask":[1,0,0,0,0,0,0,0,0,0,0,0,0,1]'
check "jsonl: one line" [ "$(wc -l <"$tmp/out")" -eq 1 ]

run -t "$wp" --text "$line0"
check "table exits 0" [ "$rc" -eq 0 ]
check "table: header" has "$out" "offsets"
check "table: a token with offsets and text" grep -qE '^ +1 +822 +hello +0:5 +Hello$' "$tmp/out"
check "table: special tokens have no offsets" grep -qE '^ +0 +2 +\[CLS\] +-' "$tmp/out"

run -t "$wp" --text "$line0" --no-special-tokens --format jsonl
check "--no-special-tokens" has "$out" '"ids":[822,823,'
check "--no-special-tokens: no [SEP]" bash -c "! grep -qF '[SEP]' '$tmp/out'"

run -t "$wp" --text "hello" --pair "world" --format jsonl
check "pair: type ids" has "$out" '"type_ids":[0,0,0,1,1]'
check "pair: offsets into each text" has "$out" '"offsets":[[0,0],[0,5],[0,0],[0,5],[0,0]]'
run -t "$wp" --text "hello" --pair "world"
check "pair table marks A and B" grep -qE 'B 0:5 +world' "$tmp/out"

run -t "$wp" --text "$line0" --max-length 5 --format jsonl
check "--max-length truncates, keeps [SEP]" has "$out" '"ids":[2,822,823,106,3]'

printf 'first line\n%s\nlast\n' "$line0" >"$tmp/in.txt"
run -t "$wp" --input "$tmp/in.txt" --format jsonl
check "--input: one JSON line per text" [ "$(wc -l <"$tmp/out")" -eq 3 ]
check "--input: line 2 is HF's" has "$(sed -n 2p "$tmp/out")" "\"ids\":$ids0"
"$loom" tokenize -t "$wp" --input - --format jsonl <"$tmp/in.txt" >"$tmp/stdin.out" 2>&1
check "--input -: same as the file" cmp -s "$tmp/stdin.out" "$tmp/out"

run -t "$wp" --text "2 822 823 106 3" --decode
check "--decode" [ "$out" = "hello world!" ]
run -t "$wp" --text "2,822,823,106,3" --decode --keep-special-tokens
check "--decode --keep-special-tokens" [ "$out" = "[CLS] hello world! [SEP]" ]
run -t "$wp" --text "[822, 823]" --decode --format jsonl
check "--decode jsonl" [ "$out" = '{"text":"hello world"}' ]

run -t char --text "학교" --format jsonl
check "char: a Hangul syllable is one token" has "$out" '"ids":[54617,44368],"tokens":["학","교"],"offsets":[[0,3],[3,6]]'

printf 'bad \xff\xfe bytes \xe2\x82\n' >"$tmp/bad.txt"
run -t char --input "$tmp/bad.txt" --format jsonl
check "ill-formed UTF-8: exits 0" [ "$rc" -eq 0 ]
check "ill-formed UTF-8: one U+FFFD per bad sequence" has "$out" '"ids":[98,97,100,32,65533,65533,32,98,121,116,101,115,32,65533]'
check "ill-formed UTF-8: offsets on the bytes" has "$out" '[4,5],[5,6],[6,7]'

# Errors: exit 1 for bad specs and files, 2 for command-line mistakes.
run -t wordpeice --text x
check "unknown type exits 1" [ "$rc" -eq 1 ]
check "unknown type: did you mean" has "$err" "did you mean 'wordpiece'?"
run -t "$wp,lowercse=true" --text x
check "unknown option: did you mean" has "$err" "unknown option 'lowercse'; did you mean 'lowercase'?"
run -t wordpiece:vocab=$tmp/nope.txt --text x
check "missing vocab exits 1" [ "$rc" -eq 1 ]
check "missing vocab names the file" has "$err" "$tmp/nope.txt cannot be opened"
printf '[UNK]\n[CLS]\n[SEP]\nhello\nhello\n' >"$tmp/dup.txt"
run -t wordpiece:vocab=$tmp/dup.txt --text x
check "duplicate vocab entry names file and line" has "$err" "$tmp/dup.txt line 5: duplicate token 'hello' (already on line 4)"
run -t "$wp" --text "1 99999" --decode
check "decode: id out of range exits 1" [ "$rc" -eq 1 ]
check "decode: names the id" has "$err" "id 99999 is outside the vocabulary"
run -t "$wp" --text "1 x" --decode
check "decode: not an id exits 2" [ "$rc" -eq 2 ]
run -t "$wp"
check "no --text/--input exits 2" [ "$rc" -eq 2 ]
run -t "$wp" --text a --input "$tmp/in.txt"
check "both --text and --input exit 2" [ "$rc" -eq 2 ]
run -t "$wp" --text a --format xml
check "bad --format exits 2" [ "$rc" -eq 2 ]
run -t "$wp" --input "$tmp/missing.txt"
check "missing --input file exits 1" [ "$rc" -eq 1 ]
check "missing --input names it" has "$err" "$tmp/missing.txt cannot be opened"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
