"""Baseline files: today's flows recorded by fingerprint, so that only new ones block."""

from __future__ import annotations

import json
from pathlib import Path

from gate import __version__
from gate.common.errors import GateInputError
from gate.findings.types import Finding
from gate.model.types import AppModel

BASELINE_VERSION = 1


def write_baseline(path: Path, findings: list[Finding], model: AppModel) -> None:
    doc = {"version": BASELINE_VERSION, "tool": f"flowgate {__version__}",
           "findings": [{"fingerprint": f.fingerprint, "rule": f.rule.name,
                         "source_function": f.source_function, "sink_function": f.sink_function,
                         "sink": f.sink_callable} for f in findings]}
    try:
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise GateInputError(f"cannot write baseline: {exc}", str(path)) from None


def read_baseline(path: Path) -> set[str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GateInputError(f"cannot read baseline: {exc}", str(path)) from None
    if not isinstance(doc, dict) or doc.get("version") != BASELINE_VERSION or not isinstance(
            doc.get("findings"), list):
        raise GateInputError(f"not a flowgate baseline (version {BASELINE_VERSION} expected)", str(path))
    return {f["fingerprint"] for f in doc["findings"] if isinstance(f, dict) and "fingerprint" in f}
