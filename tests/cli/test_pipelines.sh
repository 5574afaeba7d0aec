#!/usr/bin/env bash
# usage: test_pipelines.sh LOOM SOURCE_DIR
# `loom run` / `loom validate` end to end: every example pipeline vs its
# PyTorch output, inline == YAML, --print-spec round trip, batching, outputs,
# and error cases that exit non-zero with the expected message and no file.
set -u
loom=$1 src=$2
ex="$src/examples/pipelines"
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
absent() { [ ! -e "$1" ] && [ -z "$(ls "$(dirname "$1")" | grep -F "$(basename "$1").tmp" || true)" ]; }

# Each example against PyTorch, on every CPU backend and batched.
extra_input() {  # the examples' named inputs beyond 'input'
  if [ -f "$ex/$1/mask.npy" ]; then echo "--input=mask=$ex/$1/mask.npy"; else echo "--log-level=warn"; fi
}
for e in recurrent_encoder attention classifier; do
  for b in onednn reference; do
    run run "$ex/$e/pipeline.yaml" --input "$ex/$e/input.npy" "$(extra_input "$e")" --backend "$b" --compare "$ex/$e/expected.npy" \
        --tolerance 1e-5 --output "$tmp/$e-$b.npy"
    check "$e on $b: exits 0" [ "$rc" -eq 0 ]
    check "$e on $b: compared" has "$out" "max |"
    check "$e on $b: output written" [ -f "$tmp/$e-$b.npy" ]
    [ "$e" = recurrent_encoder ] && check "$e on $b: summary line" has "$err" "examples/s"
  done
  run run "$ex/$e/pipeline.yaml" -i "$ex/$e/input.npy" "$(extra_input "$e")" --batch-size 1 -q --compare "$ex/$e/expected.npy" --tolerance 1e-5
  check "$e batched: exits 0" [ "$rc" -eq 0 ]
  check "$e --quiet: no summary" [ -z "$err" ]
  run validate "$ex/$e/pipeline.yaml"
  check "$e validate: exits 0" [ "$rc" -eq 0 ]
  check "$e validate: ok" has "$out" ": ok: "
done

# The long-sequence attention examples (encoder layers with attention: linformer / longformer) against PyTorch.
for e in linformer longformer; do
  named=(--log-level=warn)
  [ -f "$ex/$e/globals.npy" ] && named=(--input "globals=$ex/$e/globals.npy")
  for b in onednn reference; do
    run run "$ex/$e/pipeline.yaml" --input "$ex/$e/input.npy" "${named[@]}" --backend "$b" -q --compare "$ex/$e/expected.npy" \
        --tolerance 1e-5
    check "$e on $b: exits 0" [ "$rc" -eq 0 ]
  done
  run validate "$ex/$e/pipeline.yaml"
  check "$e validate: ok" has "$out" ": ok: "
done

# Text in: the text classifier (wordpiece -> embedding -> transformer encoder
# layer -> mean pooling -> classifier) against PyTorch + Hugging Face tokenizers.
tc="$ex/text_classifier"
for b in onednn reference; do
  for bs in 1 3 0; do
    run run "$tc/pipeline.yaml" --input "$tc/input.txt" --backend "$b" --batch-size "$bs" -q \
        --compare "$tc/expected.npy" --tolerance 1e-5
    check "text classifier on $b, batch size $bs: matches PyTorch" [ "$rc" -eq 0 ]
  done
done
run run "$tc/pipeline.yaml" --input "$tc/input.txt" --batch-size 3 --output "$tmp/text.jsonl"
check "text run: exits 0" [ "$rc" -eq 0 ]
check "text run: summary counts tokens" has "$err" "8 examples, 65 tokens"
check "text JSONL: input order and text kept" has "$(sed -n 4p "$tmp/text.jsonl")" '"index":3,"text":"THE LECTURE WAS VERY BORING.","label_id":0,"label":"negative"'
check "text JSONL: one row per line" [ "$(wc -l <"$tmp/text.jsonl")" -eq 8 ]
run run "$tc/pipeline.yaml" --text "The movie was great." --text "the food was awful" -q --output "$tmp/two.jsonl"
check "--text twice: two rows" [ "$(wc -l <"$tmp/two.jsonl")" -eq 2 ]
check "--text: labels" has "$(cat "$tmp/two.jsonl")" '"index":1,"text":"the food was awful","label_id":0'
"$loom" run "$tc/pipeline.yaml" --input - -q --output "$tmp/stdin.jsonl" <"$tc/input.txt" >/dev/null 2>&1
check "text on stdin: same rows as the file" cmp -s "$tmp/stdin.jsonl" "$tmp/text.jsonl"
run run "$tc/pipeline.yaml" --input "$tc/input.txt" -q --output-dir "$tmp/text_outputs"
check "per-token outputs padded into one .npy" [ -f "$tmp/text_outputs/encoder.output.npy" ]
# The same pipeline inline: --tokenizer and --layer stages.
run run --tokenizer "wordpiece:vocab=$tc/vocab.txt,lowercase=true" -w "$tc/weights.safetensors" \
    --layer embedding:name=embed,prefix=embed.,num_embeddings=119,embedding_dim=32 \
    --layer transformer_encoder_layer:name=encoder,prefix=encoder.,d_model=32,nhead=4,dim_feedforward=64,batch_first=true,in.src_key_padding_mask=padding_mask \
    --layer pooling:name=pool,mode=mean,in.mask=mask \
    --layer "classifier:name=head,prefix=head.,in_features=32,num_classes=2,labels=negative|positive" \
    --input "$tc/input.txt" -q --compare "$tc/expected.npy" --tolerance 1e-5
check "text classifier inline == PyTorch" [ "$rc" -eq 0 ]
run run "$tc/pipeline.yaml" --print-spec
printf '%s\n' "$out" >"$tmp/text_spec.yaml"
check "--print-spec keeps the tokenizer" has "$out" "type: wordpiece"
run run "$tmp/text_spec.yaml" --input "$tc/input.txt" -q --compare "$tc/expected.npy" --tolerance 1e-5
check "--print-spec of a text pipeline round-trips" [ "$rc" -eq 0 ]
run run --tokenizer "wordpiece:vocab=$tc/vocab.txt,max_length=4" --layer embedding:num_embeddings=119,embedding_dim=32,prefix=embed. \
    -w "$tc/weights.safetensors" --text "the movie was absolutely brilliant" -q --output "$tmp/trunc.npy"
check "max_length truncates" [ "$rc" -eq 0 ]
check "max_length: 4 tokens" has "$("$loom" inspect "$tmp/trunc.npy" 2>&1)" "[1, 4, 32]"
run validate "$tc/pipeline.yaml"
check "text classifier validate: ok" has "$out" ": ok: "

# The heads' pooling modes with and without the padding mask, and l2_normalize, on every CPU backend.
hf="$src/tests/fixtures/heads"
for b in onednn reference; do
  for mode in mean max cls; do
    run run --layer "pooling:mode=$mode" -i "$hf/x.npy" -b "$b" -q --compare "$hf/expected_$mode.npy" --tolerance 1e-6
    check "pooling $mode on $b" [ "$rc" -eq 0 ]
    run run --layer "pooling:mode=$mode,in.mask=mask" -i "$hf/x.npy" -i "mask=$hf/mask.npy" -b "$b" -q \
        --compare "$hf/expected_${mode}_masked.npy" --tolerance 1e-6
    check "pooling $mode with mask on $b" [ "$rc" -eq 0 ]
  done
  run run --layer l2_normalize -i "$hf/x.npy" -b "$b" -q --threads 2 --compare "$hf/expected_l2.npy" --tolerance 1e-6
  check "l2_normalize on $b (--threads 2)" [ "$rc" -eq 0 ]
done

# Every named output, with attention maps when asked.
run run "$ex/attention/pipeline.yaml" -i "$ex/attention/input.npy" -q --attention --output-dir "$tmp/od"
check "output-dir: exits 0" [ "$rc" -eq 0 ]
for f in proj.output attn.output attn.attention pool.output normalize.output; do check "output-dir: $f.npy" [ -f "$tmp/od/$f.npy" ]; done
run run "$ex/attention/pipeline.yaml" -i "$ex/attention/input.npy" -q --output-dir "$tmp/od2"
check "output-dir: no attention unless asked" [ ! -e "$tmp/od2/attn.attention.npy" ]
run run "$ex/attention/pipeline.yaml" -i "$ex/attention/input.npy" -q --output "$tmp/o.jsonl"
check "jsonl: one line per example" [ "$(wc -l <"$tmp/o.jsonl")" -eq 2 ]
check "jsonl: names the output" has "$(head -1 "$tmp/o.jsonl")" '{"index":0,"normalize:output":['

run run "$ex/classifier/pipeline.yaml" -i "$ex/classifier/input.npy" -q --output "$tmp/c.jsonl" --output-dir "$tmp/cd"
check "classifier jsonl: one line per example" [ "$(wc -l <"$tmp/c.jsonl")" -eq 4 ]
check "classifier jsonl: argmax and label" grep -qE '^\{"index":0,"label_id":[0-2],"label":"(negative|neutral|positive)","head:probs":\[' "$tmp/c.jsonl"
check "classifier output-dir: label ids" [ -f "$tmp/cd/head.label_id.npy" ]
check "classifier output-dir: logits" [ -f "$tmp/cd/head.logits.npy" ]
# Inline composition gives the same result as the YAML; --print-spec round-trips.
inline=(--layer embedding:name=embed,num_embeddings=20,embedding_dim=8 --prefix embedding.
        --layer lstm:name=encoder,input_size=8,hidden_size=6,batch_first=true,prefix=encoder.
        --layer pooling:name=pool,mode=mean,in.mask=mask
        --weights "$ex/recurrent_encoder/weights.safetensors")
rin=(-i "$ex/recurrent_encoder/input.npy" -i "mask=$ex/recurrent_encoder/mask.npy")
run run "${inline[@]}" "${rin[@]}" -q --output "$tmp/inline.npy"
check "inline: exits 0" [ "$rc" -eq 0 ]
run run "$ex/recurrent_encoder/pipeline.yaml" "${rin[@]}" -q --output "$tmp/yaml.npy"
check "inline == YAML" cmp -s "$tmp/inline.npy" "$tmp/yaml.npy"
run run "${inline[@]}" --print-spec
check "print-spec: exits 0" [ "$rc" -eq 0 ]
printf '%s\n' "$out" >"$tmp/printed.yaml"
run run "$tmp/printed.yaml" --print-spec
check "print-spec: YAML -> YAML is a fixed point" [ "$out" = "$(cat "$tmp/printed.yaml")" ]
run run "$tmp/printed.yaml" "${rin[@]}" -q --output "$tmp/printed.npy"
check "print-spec: the printed spec runs to the same output" cmp -s "$tmp/printed.npy" "$tmp/yaml.npy"
run run "$ex/attention/pipeline.yaml" --print-spec
printf '%s\n' "$out" >"$tmp/attn.yaml"
run run "$tmp/attn.yaml" -i "$ex/attention/input.npy" -q --compare "$ex/attention/expected.npy" --tolerance 1e-5
check "print-spec of a file spec: runs from another folder" [ "$rc" -eq 0 ]

# Errors: non-zero, the expected message, and no output file.
err_case() {  # err_case NAME EXPECTED_RC MESSAGE ARGS...
  local name=$1 want_rc=$2 msg=$3; shift 3
  rm -f "$tmp/fail.npy"
  run "$@" --output "$tmp/fail.npy"
  check "$name: exit $want_rc" [ "$rc" -eq "$want_rc" ]
  check "$name: message" has "$err" "$msg"
  check "$name: no output file" absent "$tmp/fail.npy"
}
x="$ex/recurrent_encoder/input.npy" w="$ex/recurrent_encoder/weights.safetensors"
err_case "unknown type" 1 "unknown layer type 'lstn'; did you mean 'lstm'?" \
  run --layer lstn:input_size=8 -w "$w" -i "$x"
err_case "unknown type lists the known ones" 1 "known types: " run --layer lstn:input_size=8 -i "$x"
err_case "unknown option" 1 "unknown option 'hiden_size'; did you mean 'hidden_size'?" \
  run --layer lstm:input_size=8,hiden_size=6 -i "$x"
err_case "labels do not match num_classes" 1 "option 'labels' names 2 classes but num_classes is 3" \
  run --layer "classifier:in_features=8,num_classes=3,labels=a|b,prefix=head." -w "$ex/classifier/weights.safetensors" -i "$x"
err_case "badly typed option" 1 "option 'hidden_size' must be an integer, got 'six'" \
  run --layer lstm:input_size=8,hidden_size=six -i "$x"
err_case "missing weight" 1 "missing weight 'nope.weight' in $w" \
  run --layer embedding:num_embeddings=20,embedding_dim=8,prefix=nope. -w "$w" -i "$x"
printf 'layers:\n  - type: linear\n    in_features: [1, 2\n' >"$tmp/bad.yaml"
err_case "malformed YAML" 1 "$tmp/bad.yaml: malformed YAML at line" run "$tmp/bad.yaml" -i "$x"
printf 'backend: auto\nlayer:\n  - type: linear\n' >"$tmp/key.yaml"
err_case "unknown spec key" 1 "unknown key 'layer'; did you mean 'layers'?" run "$tmp/key.yaml" -i "$x"
err_case "missing input file" 1 "$tmp/missing.npy: input file not found" \
  run "$ex/recurrent_encoder/pipeline.yaml" -i "$tmp/missing.npy"
err_case "missing named input" 1 "the pipeline needs input 'mask' (give it with --input mask=FILE.npy)" \
  run "$ex/recurrent_encoder/pipeline.yaml" -i "$x"
err_case "missing spec file" 1 "cannot open the pipeline spec" run "$tmp/none.yaml" -i "$x"
err_case "text without tokenizer" 1 "text input needs a tokenizer stage" \
  run "$ex/recurrent_encoder/pipeline.yaml" --text "hello world"
printf 'hello\n' >"$tmp/in.txt"
err_case "text file without tokenizer" 1 "text input needs a tokenizer stage" \
  run "$ex/recurrent_encoder/pipeline.yaml" -i "$tmp/in.txt"
err_case "unknown tokenizer type" 1 "no tokenizer plugin provides type 'wordpeice'; did you mean 'wordpiece'?" \
  run --tokenizer wordpeice:vocab=v.txt --layer embedding:num_embeddings=20,embedding_dim=8 -w "$w" --text "hi"
err_case "unknown tokenizer option" 1 "did you mean 'lowercase'" \
  run --tokenizer "wordpiece:vocab=$ex/text_classifier/vocab.txt,lowercse=true" --layer embedding:num_embeddings=20,embedding_dim=8 -w "$w" --text "hi"
err_case "missing vocab file" 1 "$tmp/none.txt" \
  run --tokenizer "wordpiece:vocab=$tmp/none.txt" --layer embedding:num_embeddings=20,embedding_dim=8 -w "$w" --text "hi"
err_case "text and tensors mixed" 1 "either text or .npy inputs" \
  run "$ex/text_classifier/pipeline.yaml" --text "hi" -i "$x"
err_case "text for a pipeline reading other inputs" 1 "which text does not provide" \
  run --tokenizer "wordpiece:vocab=$ex/text_classifier/vocab.txt" --layer embedding:num_embeddings=119,embedding_dim=32,prefix=embed.,in.input=tokens \
  -w "$ex/text_classifier/weights.safetensors" --text "hi"
err_case "tolerance exceeded" 1 "exceeds --tolerance" \
  run --layer l2_normalize -i "$ex/attention/input.npy" --compare "$ex/attention/input.npy"
err_case "spec and --layer" 2 "not both" run "$ex/attention/pipeline.yaml" --layer relu -i "$x"
err_case "bad wiring" 1 "has no input 'quary'; did you mean 'query'?" \
  run --layer linear:in_features=8,out_features=8,prefix=proj. \
  --layer multihead_attention:embed_dim=8,num_heads=2,in.quary=layers.0,prefix=attn. \
  -w "$ex/attention/weights.safetensors" -i "$ex/attention/input.npy"

err_case "attention output without --attention" 1 "attention maps need --attention" \
  run --layer linear:in_features=8,out_features=8,prefix=proj. \
  --layer multihead_attention:embed_dim=8,num_heads=2,batch_first=true,prefix=attn.,in.key=layers.0,in.value=layers.0 \
  --layer pooling:in.input=layers.1:attention -w "$ex/attention/weights.safetensors" -i "$ex/attention/input.npy"

run validate "$tmp/key.yaml"
check "validate bad spec: exit 1" [ "$rc" -eq 1 ]
printf 'weights: w.safetensors\nlayers:\n  - type: linear\n    in_features: 8\n    out_features: 8\n' >"$tmp/w.yaml"
run validate "$tmp/w.yaml"
check "validate: missing weights file named" has "$err" "$tmp/w.safetensors: weights file not found"
printf 'weights: %s\nlayers:\n  - type: linear\n    in_features: 9\n    out_features: 8\n    prefix: proj.\n' \
  "$ex/attention/weights.safetensors" >"$tmp/shape.yaml"
run validate "$tmp/shape.yaml"
check "validate: wrong weight shape exits 1" [ "$rc" -eq 1 ]
check "validate: wrong weight shape named" has "$err" "weight 'weight' has shape [8, 8], expected [8, 9]"

# docs/pipelines.md's generated section is `loom plugins --markdown`.
run plugins --markdown
check "plugins --markdown exits 0" [ "$rc" -eq 0 ]
printf '%s\n' "$out" >"$tmp/generated.md"
sed -n '/^<!-- BEGIN GENERATED/,/^<!-- END GENERATED/p' "$src/docs/pipelines.md" | sed '1d;$d' >"$tmp/docs.md"
if ! diff -u "$tmp/docs.md" "$tmp/generated.md" >"$tmp/docs.diff"; then
  echo "docs/pipelines.md is stale; regenerate with scripts/update_pipeline_docs.sh BUILD_DIR"; head -40 "$tmp/docs.diff"
  false
fi
docs_rc=$?
out="" err=""
check "docs/pipelines.md generated section is current" [ "$docs_rc" -eq 0 ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
