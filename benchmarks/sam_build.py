"""`sam build` with and without the gate on the SAM samples (the real SAM CLI from .venv-sam).

Run:  .venv/bin/python benchmarks/sam_build.py [--repeat N]

Each run builds a fresh copy of the sample (no `--cached`), so both sides pay the same SAM work;
the difference is what `flowgate sam build` adds: reading the build, instrumenting, Pysa, reporting.
"cold" starts from an empty result cache (one Pysa run), "warm" from the cache the cold run filled
(an unchanged app: no Pysa run).
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


def _timed(cmd: list[str], app: Path, ok: tuple[int, ...], env: dict[str, str] = ENV) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=app, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return elapsed


def measure(sample: Path, repeat: int) -> tuple[float, float, float]:
    plain, cold, warm = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            a, b, c = Path(tmp) / "plain", Path(tmp) / "cold", Path(tmp) / "warm"
            for copy in (a, b, c):
                shutil.copytree(sample, copy)
            env = {**ENV, "FLOWGATE_CACHE_DIR": str(Path(tmp) / "cache")}
            env.pop("FLOWGATE_NO_CACHE", None)
            gated = [sys.executable, "-m", "gate", "sam", "build"]
            plain.append(_timed([str(SAM), "build"], a, (0,)))
            cold.append(_timed(gated, b, (0, 1), env))
            warm.append(_timed(gated, c, (0, 1), env))
    return statistics.median(plain), statistics.median(cold), statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'sample':<16} {'sam build':>10} {'gated cold':>11} {'gated warm':>11} {'cold/plain':>11} "
          f"{'warm/plain':>11}")
    for name in ("sam-vulnerable", "sam-safe"):
        plain, cold, warm = measure(ROOT / "samples" / name, args.repeat)
        print(f"{name:<16} {plain:>9.2f}s {cold:>10.2f}s {warm:>10.2f}s {cold / plain:>10.1f}x "
              f"{warm / plain:>10.1f}x")


if __name__ == "__main__":
    main()
