"""Wall time of `flowgate scan` on the samples versus bare Pysa on the same code.

Run:  .venv/bin/python benchmarks/run.py [--repeat N]

"Bare Pysa" is pyre-check + pyrefly on an uninstrumented copy of the same function code (each code
root as its own package, the same curated models and entry-point sources, the same tmpfs scratch
space), without flowgate's loading, planning, instrumentation, hops or reporting. The difference
is what flowgate adds around the engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gate.inputs.detect import load_input  # noqa: E402
from gate.instrument.build import DATA_DIR  # noqa: E402
from gate.model.build import build_app_model  # noqa: E402
from gate.policy.load import default_policy  # noqa: E402
from gate.pysa.driver import DEFAULT_TIMEOUT, PYREFLY_TOML, run_engine, tool_path  # noqa: E402
from gate.scan import _scratch_parent  # noqa: E402


def time_flowgate(app: Path) -> float:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "gate", "scan", str(app), "--format", "json", "--no-cache"],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"flowgate failed on {app}: {proc.stderr}")
    return elapsed


def time_bare_pysa(app: Path, engine: bool = False) -> float:
    """``pyre analyze`` (as users run Pysa) on the uninstrumented code; with ``engine``, the same
    two engine steps flowgate runs itself (``gate.pysa.run_engine``: pyrefly, then pyre.bin,
    without the pyre client's ~0.7 s start)."""
    model = build_app_model(load_input(app))
    work = Path(tempfile.mkdtemp(prefix="flowgate-bench-", dir=_scratch_parent()))
    try:
        root, models, stubs = work / "root", work / "models", work / "stubs"
        root.mkdir()
        models.mkdir()
        shutil.copytree(DATA_DIR / "stubs", stubs)
        shutil.copy(DATA_DIR / "flowgate_anchor.py", root / "flowgate_anchor.py")
        shutil.copy(DATA_DIR / "flowgate_sdk.py", root / "flowgate_sdk.py")
        policy = default_policy()
        (models / "taint.config").write_text(policy.taint_config())
        (models / "sanitizers.pysa").write_text("".join(f"def {s}() -> Sanitize: ...\n" for s in policy.sanitizers))
        shutil.copy(DATA_DIR / "sinks_sources.pysa", models / "sinks_sources.pysa")
        lines, dirs = [], {}
        for fn in model.analysable_functions():
            pkg = dirs.setdefault(fn.code_dir, f"pkg{len(dirs)}")
            if not (root / pkg).exists():
                shutil.copytree(fn.code_dir, root / pkg)
                (root / pkg / "__init__.py").touch()
            if model.entry_kinds(fn.key):
                module = fn.handler_file.removesuffix(".py").replace("/", ".")
                kinds = ", ".join(policy.entry_source_kinds(model.entry_kinds(fn.key)))
                lines.append(f"def {pkg}.{module}.{fn.handler_function}(event: TaintSource[{kinds}], "
                             "context) -> TaintSink[HttpResponse]: ...")
        (models / "app.pysa").write_text("\n".join(lines) + "\n")
        (root / "pyrefly.toml").write_text(PYREFLY_TOML.format(root=root, stubs=stubs))
        env = dict(os.environ, PYREFLY_CONFIG=str(root / "pyrefly.toml"), TMPDIR=str(work))
        cmd = [tool_path("pyre"), "--noninteractive", "--number-of-workers", "2", "analyze",
               "--pyrefly-binary", tool_path("pyrefly"), "--taint-models-path", str(models),
               "--save-results-to", str(work / "out"), "--repository-root", str(root)]
        start = time.monotonic()
        if engine:
            run_engine(root, models, stubs, work, DEFAULT_TIMEOUT)
            return time.monotonic() - start
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            raise SystemExit(f"bare Pysa failed on {app}: {proc.stdout[-500:]}")
        return elapsed
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for name in ("sam-vulnerable", "sam-safe"):
        app = ROOT / "samples" / name
        fg = [time_flowgate(app) for _ in range(args.repeat)]
        bare = [time_bare_pysa(app) for _ in range(args.repeat)]
        rows.append({"app": name, "flowgate_median_s": round(statistics.median(fg), 2),
                     "flowgate_min_s": round(min(fg), 2), "bare_pysa_median_s": round(statistics.median(bare), 2),
                     "bare_pysa_min_s": round(min(bare), 2),
                     "ratio_median": round(statistics.median(fg) / statistics.median(bare), 3)})
    print(f"{'app':<16} {'flowgate (median/min s)':>24} {'bare Pysa (median/min s)':>25} {'ratio':>7}")
    for r in rows:
        print(f"{r['app']:<16} {r['flowgate_median_s']:>15.2f} / {r['flowgate_min_s']:<6.2f} "
              f"{r['bare_pysa_median_s']:>16.2f} / {r['bare_pysa_min_s']:<6.2f} {r['ratio_median']:>7.3f}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
