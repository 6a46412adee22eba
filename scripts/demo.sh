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
if [ "$code" -ne 1 ]; then
  echo "unexpected exit code $code from flowgate" >&2
  exit 1
fi
echo "flowgate exited 1: blocking flows found, so this deployment would be stopped (as intended for this sample)."
echo "Try the safe twin: .venv/bin/flowgate scan samples/sam-safe   (exits 0)"
echo
echo "== cdk synth samples/cdk-vulnerable (FlowGate.enable(app) in app.py)"
out="$(mktemp -d)"
set +e
(cd samples/cdk-vulnerable && PATH="$OLDPWD/.venv/bin:$PATH" JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
  CDK_DISABLE_CLI_TELEMETRY=true "$OLDPWD/node_modules/.bin/cdk" synth --quiet --no-notices --output "$out")
code=$?
set -e
echo
if [ "$code" -ne 1 ]; then
  echo "unexpected exit code $code from cdk synth" >&2
  exit 1
fi
echo "cdk synth exited 1: the gate refused to produce a deployable assembly (reports in $out/flowgate/)."
echo "The safe twin samples/cdk-safe synthesizes normally with one flowgate summary line."
