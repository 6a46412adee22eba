#!/usr/bin/env bash
# Second command of the README: install if needed, lint, and run the whole test suite (real Pysa).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The HTML report is tested in a real headless browser: Debian's chromium.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
.venv/bin/ruff check gate sam_hook cdk_aspect tests benchmarks
.venv/bin/python -m pytest -q "$@"
