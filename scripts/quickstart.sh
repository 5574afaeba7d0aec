#!/usr/bin/env bash
# Installs what is missing, builds, and runs Loom's main job on what ships with
# it: the text pipeline examples/pipelines/text_classifier (wordpiece ->
# embedding -> transformer encoder layer -> mean pooling -> classifier) on the
# shipped input.txt, printing one JSON line per example and checking the
# probabilities against PyTorch's. Before that it lists the plugins and runs
# an nn.Linear(8, 4) saved from PyTorch (examples/tiny) and a tensor pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
loom=build/bin/loom
$loom --version
$loom plugins
$loom inspect examples/tiny/weights.safetensors examples/tiny/input.npy
$loom run-layer linear -o in_features=8 -o out_features=4 --backend onednn \
  -w examples/tiny/weights.safetensors -i examples/tiny/input.npy \
  --compare examples/tiny/expected.npy --output build/tiny-output.npy
# A pipeline from examples/pipelines: token ids -> embedding -> LSTM -> mean
# pooling over real tokens, compared with PyTorch's output.
ex=examples/pipelines/recurrent_encoder
$loom validate $ex/pipeline.yaml
$loom run $ex/pipeline.yaml --input $ex/input.npy --input mask=$ex/mask.npy \
  --compare $ex/expected.npy --output build/pipeline-output.npy
# The main job: text in, labels out, through the tokenizer and the layers.
tc=examples/pipelines/text_classifier
$loom validate $tc/pipeline.yaml
$loom run $tc/pipeline.yaml --input $tc/input.txt --output build/text-classifier.jsonl \
  --compare $tc/expected.npy --tolerance 1e-5
cat build/text-classifier.jsonl
