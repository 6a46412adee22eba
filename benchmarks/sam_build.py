"""`sam build` with and without the gate on the SAM samples (the real SAM CLI from .venv-sam).

Run:  .venv/bin/python benchmarks/sam_build.py [--repeat N]

Each run builds a fresh copy of the sample (no `--cached`), so both sides pay the same SAM work;
the difference is what `flowgate sam build` adds: reading the build, instrumenting, Pysa, reporting.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAM = ROOT / ".venv-sam" / "bin" / "sam"
ENV = {**os.environ, "FLOWGATE_SAM": str(SAM), "SAM_CLI_TELEMETRY": "0"}


def _timed(cmd: list[str], app: Path, ok: tuple[int, ...]) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=app, env=ENV, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return elapsed


def measure(sample: Path, repeat: int) -> tuple[float, float]:
    plain, gated = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            a, b = Path(tmp) / "plain", Path(tmp) / "gated"
            shutil.copytree(sample, a)
            shutil.copytree(sample, b)
            plain.append(_timed([str(SAM), "build"], a, (0,)))
            gated.append(_timed([sys.executable, "-m", "gate", "sam", "build"], b, (0, 1)))
    return statistics.median(plain), statistics.median(gated)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'sample':<16} {'sam build':>10} {'flowgate sam build':>19} {'ratio':>6}")
    for name in ("sam-vulnerable", "sam-safe"):
        plain, gated = measure(ROOT / "samples" / name, args.repeat)
        print(f"{name:<16} {plain:>9.2f}s {gated:>18.2f}s {gated / plain:>5.1f}x")


if __name__ == "__main__":
    main()
