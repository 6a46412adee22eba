#!/usr/bin/env bash
# Second command of the README: install if needed, lint, and run the whole test suite (real Pysa).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check gate tests
.venv/bin/python -m pytest -q "$@"
