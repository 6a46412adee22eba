#!/usr/bin/env bash
# First command of the README: set everything up, then gate the bundled vulnerable SAM sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo
echo "== flowgate scan samples/sam-vulnerable"
set +e
.venv/bin/flowgate scan samples/sam-vulnerable
code=$?
set -e
echo
if [ "$code" -eq 1 ]; then
  echo "flowgate exited 1: blocking flows found, so this deployment would be stopped (as intended for this sample)."
  echo "Try the safe twin: .venv/bin/flowgate scan samples/sam-safe   (exits 0)"
  exit 0
fi
echo "unexpected exit code $code from flowgate" >&2
exit 1
