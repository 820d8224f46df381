#!/usr/bin/env bash
# Writes or checks crds/ against what `goto-operator crds` generates from the Rust types.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"${CARGO_TARGET_DIR:-target}/debug/goto-operator" crds >"$tmp"
targets=(crds/goto-operator.dev_crds.yaml)
[ -d charts/goto-operator ] && targets+=(charts/goto-operator/crds/goto-operator.dev_crds.yaml)
for f in "${targets[@]}"; do
  if [ "$mode" = write ]; then
    mkdir -p "$(dirname "$f")"
    cp "$tmp" "$f"
    echo "wrote $f"
  elif ! diff -u "$f" "$tmp"; then
    echo "error: $f differs from 'goto-operator crds': run 'make crds' and commit" >&2
    exit 1
  fi
done
