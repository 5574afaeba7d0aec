#!/usr/bin/env bash
# Installs what is missing, builds, and runs Loom on the example that ships in
# examples/tiny: lists the plugins, then runs an nn.Linear(8, 4) saved from
# PyTorch on a shipped input, on the oneDNN backend, and compares with
# PyTorch's own output (examples/tiny/expected.npy).
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
