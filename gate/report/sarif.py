"""SARIF 2.1.0: one result per flow; the sink is the primary location; codeFlows carry the trace
from the entry handler across each service hop to the sink. Artifact URIs are relative to the
repository root (``ScanResult.source_root``, else the git top level, else the working directory)
under ``uriBaseId`` SRCROOT, percent-encoded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from gate import __version__
from gate.findings.types import Finding, Step
from gate.model.types import logical_id
from gate.policy.rules import DOCS_URL
from gate.report.paths import repo_root, sarif_uri
from gate.report.text import chain
from gate.report.types import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0"}


def _uri(path: Path | None, root: Path) -> dict[str, Any]:
    return {"uri": "unknown"} if path is None else sarif_uri(path, root)


def _location(step: Step, root: Path, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": _uri(step.file, root),
                                                "region": {"startLine": max(step.line, 1),
                                                           "startColumn": max(step.column, 1)}}}
    if message:
        loc["message"] = {"text": message}
    return loc


def _result(f: Finding, result: ScanResult, root: Path, base: Path) -> dict[str, Any]:
    model = result.model
    level = "error" if f.blocking else ("warning" if _LEVEL[f.severity] == "error" else _LEVEL[f.severity])
    if f.latent:
        level = "note"  # the role may not make a write on the way: not exploitable as deployed
    flow_locations = []
    for s in f.steps:
        fn = model.display_name(s.function) if s.function else None
        text = f"{s.message} [{fn}]" if fn else s.message
        flow_locations.append({"location": _location(s, root, text),
                               "kinds": [{"source": "source", "sink": "sink", "write": "call",
                                          "trigger": "enter", "call": "call"}[s.kind]]})
    return {
        "ruleId": f.rule.id,
        "level": level,
        "message": {"text": f"{f.rule.title}: {chain(f, model, base)}"},
        "locations": [_location(f.sink, root)],
        "codeFlows": [{"message": {"text": chain(f, model, base)},
                       "threadFlows": [{"locations": flow_locations}]}],
        "partialFingerprints": {"flowgate/v1": f.fingerprint},
        **({"suppressions": [{"kind": "external", "status": "accepted",
                              "justification": f.suppressed_by.reason}]} if f.suppressed_by else {}),
        **({"baselineState": "unchanged" if f.baselined else "new"} if result.baseline_used else {}),
        "properties": {
            "sourceFunction": logical_id(f.source_function),
            "sinkFunction": logical_id(f.sink_function),
            "category": f.rule.category,
            "policyRule": f.rule.name,
            "severity": f.severity,
            "confidence": f.confidence,
            "blocking": f.blocking,
            **({"latent": f.latent} if f.latent else {}),
            "hops": [{k: v for k, v in h.to_dict().items() if k != "note"} for h in f.hops],
            "sinkCallable": f.sink_callable,
        },
    }


def _pascal(title: str) -> str:
    """``Server-side request forgery`` -> ``ServerSideRequestForgery`` (SARIF rule names)."""
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", title) if word)


def render_sarif(result: ScanResult, base: Path) -> str:
    assert result.policy is not None
    root = (result.source_root or repo_root(base)).resolve()
    rules = [{"id": r.id, "name": _pascal(r.title), "shortDescription": {"text": r.title},
              "fullDescription": {"text": r.help}, "help": {"text": f"{r.help} See {r.docs}."},
              "helpUri": DOCS_URL + r.docs,
              "defaultConfiguration": {"level": _LEVEL[r.severity]},
              "properties": {"tags": ["security", *([r.cwe] if r.cwe else [])], "security-severity": _SCORE[r.severity],
                             "pysaRuleCode": r.code, "policyRule": r.name}} for r in result.policy.rules]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "flowgate", "version": __version__, "informationUri":
                                "https://github.com/serverless-flowgate", "rules": rules}},
            "originalUriBaseIds": {"SRCROOT": {"uri": root.as_uri() + "/"}},
            "results": [_result(f, result, root, base) for f in result.findings],
            "invocations": [{"executionSuccessful": not result.incomplete,
                             "toolExecutionNotifications": [
                                 *({"level": "error", "message": {"text": f"not analysed: {p}"}}
                                   for p in result.incomplete),
                                 *({"level": "warning", "message": {"text": w}} for w in result.warnings)]}],
        }],
    }
    return json.dumps(doc, indent=2) + "\n"
