#!/usr/bin/env bash
# First command of the README: set everything up, then gate the bundled vulnerable SAM sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Run a gate that must block the vulnerable sample: exit 1 is the expected outcome, anything else fails.
expect_block() {
  local what="$1"; shift
  set +e
  "$@"
  local code=$?
  set -e
  echo
  if [ "$code" -ne 1 ]; then
    echo "unexpected exit code $code from $what" >&2
    exit 1
  fi
}

echo
echo "== flowgate scan samples/sam-vulnerable"
expect_block flowgate .venv/bin/flowgate scan samples/sam-vulnerable
echo "flowgate exited 1: blocking flows found, so this deployment would be stopped (as intended for this sample)."
echo "Try the safe twin: .venv/bin/flowgate scan samples/sam-safe   (exits 0)"
echo
echo "== cdk synth samples/cdk-vulnerable (FlowGate.enable(app) in app.py)"
out="$(mktemp -d)"
root="$PWD"
expect_block "cdk synth" env -C samples/cdk-vulnerable PATH="$root/.venv/bin:$PATH" \
  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_DISABLE_CLI_TELEMETRY=true \
  "$root/node_modules/.bin/cdk" synth --quiet --no-notices --output "$out"
echo "cdk synth exited 1: the gate refused to produce a deployable assembly (reports in $out/flowgate/)."
echo "The safe twin samples/cdk-safe synthesizes normally with one flowgate summary line."
