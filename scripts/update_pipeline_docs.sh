#!/usr/bin/env bash
# usage: scripts/update_pipeline_docs.sh BUILD_DIR
# Rewrites the generated section of docs/pipelines.md (every layer type's
# options, inputs and outputs) from `loom plugins --markdown`. The test
# cli.pipelines fails while the section differs from the plugins' declarations.
set -euo pipefail
build=${1:?usage: update_pipeline_docs.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
doc="$root/docs/pipelines.md"
generated=$("$build/bin/loom" plugins --markdown)
tmp=$(mktemp "$doc.XXXXXX")
trap 'rm -f "$tmp"' EXIT
LOOM_GENERATED="$generated" awk '
  /^<!-- BEGIN GENERATED/ { print; print ENVIRON["LOOM_GENERATED"]; skip = 1; next }
  /^<!-- END GENERATED/ { skip = 0 }
  !skip { print }' "$doc" >"$tmp"
mv "$tmp" "$doc"
trap - EXIT
echo "updated $doc"
