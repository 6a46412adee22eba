"""Machine-readable report (JSON): the same facts as the terminal report, nothing more."""

from __future__ import annotations

import json
from pathlib import Path

from gate import __version__
from gate.model.types import logical_id
from gate.report.paths import rel
from gate.report.text import chain
from gate.report.types import ScanResult


def render_json(result: ScanResult, base: Path) -> str:
    model = result.model
    doc = {
        "tool": {"name": "flowgate", "version": __version__},
        "policy": result.policy.origin if result.policy else None,
        "summary": {"flows": len(result.findings), "blocking": len(result.blocking),
                    "suppressed": len(result.suppressed),
                    "baselined": len([f for f in result.findings if f.baselined]),
                    "functions_analysed": len(model.analysable_functions()),
                    "sdk_writes": len(result.plan.writes)},
        "skipped_functions": [{"function": f.logical_id, "stack": f.stack, "reason": f.skipped_reason}
                              for f in model.skipped_functions()],
        "complete": not result.incomplete,
        "not_analysed": result.incomplete,
        "warnings": result.warnings,
        "findings": [{
            "rule": f.rule.name, "rule_id": f.rule.id, "docs": f.rule.docs,
            "category": f.rule.category, "code": f.rule.code, "title": f.rule.title,
            "cwe": f.rule.cwe,
            "severity": f.severity, "confidence": f.confidence, "blocking": f.blocking,
            "fingerprint": f.fingerprint,
            "suppressed": ({"reason": f.suppressed_by.reason,
                            "expires": f.suppressed_by.expires and f.suppressed_by.expires.isoformat()}
                           if f.suppressed_by else None),
            "baselined": f.baselined,
            "latent": f.latent or None,
            "source_function": logical_id(f.source_function),
            "sink_function": logical_id(f.sink_function),
            # what the user calls them: a CDK construct path, a Serverless Framework function key
            "source_name": model.display_name(f.source_function) if f.source_function else None,
            "sink_name": model.display_name(f.sink_function) if f.sink_function else None,
            "sink": {"callable": f.sink_callable, "file": rel(f.sink.file, base), "line": f.sink.line},
            "chain": chain(f, model, base),
            "hops": [h.to_dict() for h in f.hops],
            "steps": [{"kind": s.kind, "file": rel(s.file, base), "line": s.line, "column": s.column,
                       "message": s.message, "function": logical_id(s.function)}
                      for s in f.steps],
            "notes": f.notes,
        } for f in result.findings],
    }
    return json.dumps(doc, indent=2) + "\n"
