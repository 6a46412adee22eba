#!/usr/bin/env bash
# Create .venv and install flowgate with its pinned analysis toolchain (pyre-check 0.10.0 + pyrefly 1.4.1),
# .venv-sam with the SAM CLI, and node_modules/ with the CDK CLI (aws-cdk 2.x, pinned in package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,cdk]"
test -x .venv/bin/pyre.bin || { echo "pyre.bin missing from the pyre-check install" >&2; exit 1; }
.venv/bin/python -c "import importlib.metadata as m; print('pyre-check', m.version('pyre-check'))"
.venv/bin/pyrefly --version
# The real SAM CLI for `flowgate sam build` and its tests, in its own venv: it pins many packages.
if [ ! -x .venv-sam/bin/sam ]; then
  "$PYTHON" -m venv .venv-sam
  .venv-sam/bin/python -m pip install --quiet --upgrade pip
  .venv-sam/bin/python -m pip install --quiet "aws-sam-cli==1.170.0"
fi
.venv-sam/bin/sam --version
# The real CDK CLI for the CDK samples and tests (`npx cdk synth`): node + npm from Debian if missing.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "node/npm are missing: sudo apt-get install nodejs npm" >&2
    exit 1
  fi
fi
if [ ! -x node_modules/.bin/cdk ] || [ ! -e node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool ]; then
  npm ci --no-audit --no-fund --silent
fi
# npm does not run the package's own postinstall (chmod u+x) by default: the SARIF validator the tests run
chmod u+x node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 node_modules/.bin/cdk --version
