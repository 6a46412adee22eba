"""`cdk synth` of the CDK samples with and without the gate (the real CDK CLI from node_modules/).

Run:  .venv/bin/python benchmarks/cdk_synth.py [--repeat N]

Three variants per sample, each on a fresh copy, medians of N runs:
  plain   the app without `FlowGate.enable(app)` (the two flowgate lines removed)
  cold    with the gate, result cache off ($FLOWGATE_NO_CACHE): one Pysa run inside the synthesis
  warm    with the gate and a warm result cache (nothing changed since the last synth): no Pysa run
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
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
       "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true",
       "FLOWGATE_NO_PROGRESS": "1"}
ENV.pop("FLOWGATE_NO_CACHE", None)


def _without_gate(app: Path) -> None:
    source = app / "app.py"
    lines = [line for line in source.read_text().splitlines(keepends=True)
             if "FlowGate" not in line and "cdk_aspect" not in line]
    source.write_text("".join(lines))


def _synth(app: Path, env: dict[str, str]) -> float:
    shutil.rmtree(app / "cdk.out", ignore_errors=True)
    start = time.monotonic()
    proc = subprocess.run([str(CDK), "synth", "--quiet", "--no-notices"], cwd=app, env=env, capture_output=True,
                          text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"cdk synth failed in {app} ({proc.returncode}): {proc.stderr[-1500:]}")
    return elapsed


def measure(sample: Path, repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {"plain": [], "cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as tmp:
        plain, gated = Path(tmp) / "plain", Path(tmp) / "gated"
        shutil.copytree(sample, plain, ignore=shutil.ignore_patterns("cdk.out"))
        shutil.copytree(sample, gated, ignore=shutil.ignore_patterns("cdk.out"))
        _without_gate(plain)
        cache = {**ENV, "FLOWGATE_CACHE_DIR": str(Path(tmp) / "cache")}
        _synth(gated, cache)  # fills the cache for the warm runs
        for _ in range(repeat):
            times["plain"].append(_synth(plain, ENV))
            times["cold"].append(_synth(gated, {**ENV, "FLOWGATE_NO_CACHE": "1"}))
            times["warm"].append(_synth(gated, cache))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'sample':<16} {'plain':>8} {'gate cold':>10} {'gate warm':>10} {'cold/plain':>11} {'warm/plain':>11}")
    for name in ("cdk-vulnerable", "cdk-safe"):
        t = measure(ROOT / "samples" / name, args.repeat)
        print(f"{name:<16} {t['plain']:>7.2f}s {t['cold']:>9.2f}s {t['warm']:>9.2f}s "
              f"{t['cold'] / t['plain']:>10.2f}x {t['warm'] / t['plain']:>10.2f}x")


if __name__ == "__main__":
    main()
