#!/usr/bin/env bash
# Create .venv and install flowgate with its pinned analysis toolchain (pyre-check 0.10.0 + pyrefly 1.4.1),
# and .venv-sam with the SAM CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
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
