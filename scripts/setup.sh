#!/usr/bin/env bash
# Create .venv and install flowgate with its pinned analysis toolchain (pyre-check 0.10.0 + pyrefly 1.4.1).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/pyre --version none >/dev/null
.venv/bin/pyrefly --version
