"""Decide what blocks: each finding's severity (the rule's, one step lower at low confidence), the
threshold, suppressions (with expiry) and baselines.

Runs after findings are built, so the analysis result can be cached and re-triaged under another
policy or baseline without running Pysa again.
"""

from __future__ import annotations

import datetime as dt
import difflib

from gate.findings.types import Finding
from gate.model.types import AppModel
from gate.policy.rules import SEVERITIES, at_least, lower
from gate.policy.types import Policy, Suppression


def assign_fingerprints(findings: list[Finding], model: AppModel) -> None:
    """Identity plus an occurrence number, so two same-shaped flows in one function stay distinct
    and a baseline does not hide the second one; line numbers play no part."""
    seen: dict[str, int] = {}
    for f in sorted(findings, key=lambda f: (str(f.sink.file), f.sink.line, str(f.source.file), f.source.line)):
        base = f.identity(model.stable_name)
        n = seen.get(base, 0) + 1
        seen[base] = n
        f.fingerprint = base if n == 1 else f"{base}#{n}"


def unknown_suppression_targets(policy: Policy, model: AppModel) -> list[str]:
    """Suppressions whose ``function``/``construct_path`` names no function of the app (a typo would
    otherwise suppress nothing and say nothing): one message each, with the closest name."""
    known = sorted({i for key in model.functions for i in _function_ids(model, key)})
    out = []
    for s in policy.suppressions:
        who = s.function if s.function is not None else s.construct_path
        if who is None or who in known:
            continue
        close = difflib.get_close_matches(who, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        field = "function" if s.function is not None else "construct_path"
        out.append(f"suppression {s.describe()}: no function of this app has the {field} {who!r}{hint}")
    return out


def _function_ids(model: AppModel, key: str | None) -> set[str]:
    if not key or key not in model.functions:
        return set()
    fn = model.functions[key]
    ids = {fn.logical_id}
    if fn.construct_path:
        ids.add(fn.construct_path)
        ids.add(fn.construct_path.removesuffix("/Resource"))
    return ids


def _matches(s: Suppression, f: Finding, model: AppModel) -> bool:
    if s.rule != f.rule.name:
        return False
    if s.sink and s.sink != f.sink_callable:
        return False
    ends = [k for k in (f.source_function, f.sink_function) if k]
    for key in ends:
        ids = _function_ids(model, key)
        who = s.function if s.function is not None else s.construct_path
        if who in ids and (s.handler is None or s.handler == model.functions[key].handler):
            return True
    return False


def severity_of(f: Finding) -> str:
    """The rule's severity; one step lower when a hop of the flow is unresolved (lower confidence)."""
    return lower(f.rule.severity) if f.confidence == "low" else f.rule.severity


def triage(findings: list[Finding], model: AppModel, policy: Policy, fail_on: str | None = None,
           baseline: set[str] | None = None, today: dt.date | None = None) -> list[str]:
    """Set ``blocking``, ``suppressed_by`` and ``baselined``; return warnings (e.g. expired suppressions)."""
    today = today or dt.date.today()
    threshold = fail_on or policy.block_at
    for f in findings:
        f.severity = severity_of(f)
    findings.sort(key=lambda f: (-SEVERITIES.index(f.severity), f.rule.code, str(f.sink.file), f.sink.line))
    warnings: list[str] = []
    assign_fingerprints(findings, model)
    expired_seen: set[Suppression] = set()
    matched: set[int] = set()
    for f in findings:
        for i, s in enumerate(policy.suppressions):
            if not _matches(s, f, model):
                continue
            matched.add(i)
            if s.expires is not None and s.expires < today:
                f.notes.append(f"suppression expired on {s.expires.isoformat()}: {s.reason}")
                if s not in expired_seen:
                    warnings.append(f"suppression {s.describe()} expired on {s.expires.isoformat()}; "
                                    "its flows block again")
                    expired_seen.add(s)
                continue
            f.suppressed_by = s
            break
        f.baselined = baseline is not None and f.fingerprint in baseline
        f.blocking = (at_least(f.severity, threshold) and f.suppressed_by is None and not f.baselined
                      and not f.latent)
    for i, s in enumerate(policy.suppressions):
        if i not in matched:
            warnings.append(f"suppression {s.describe()} matched no flow; remove it if the flow is gone")
    return warnings
