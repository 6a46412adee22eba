"""Suppressions declared next to the code they accept: ``Metadata.flowgate.suppressions`` on a
Lambda function resource (what ``cdk_aspect.FlowGateSuppressions`` writes, and what a SAM or
CloudFormation author can write by hand).

They belong to that function whatever its logical ID or asset hash becomes, so they are keyed on
its construct path (CDK) or logical ID, never on line numbers; a reason is mandatory, as in the
policy file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.model.types import Function
from gate.policy.types import Suppression

METADATA_KEY = "flowgate"
FIELDS = ("rule", "reason", "handler", "sink", "expires")


def declared_suppressions(fn: Function, metadata: dict[str, Any], template_path: Path) -> list[Suppression]:
    """The suppressions in one function resource's ``Metadata`` (located errors when malformed)."""
    declared = metadata.get(METADATA_KEY)
    if declared is None:
        return []
    where = f"{template_path} (resource {fn.logical_id}, Metadata.{METADATA_KEY})"
    entries = declared.get("suppressions") if isinstance(declared, dict) else None
    if not isinstance(entries, list):
        raise GateInputError("flowgate metadata must be a mapping with a list of suppressions", where)
    return [_suppression(entry, fn.construct_path, fn.logical_id, f"{where}.suppressions[{i}]")
            for i, entry in enumerate(entries)]


def suppression_problem(entry: Any) -> str | None:
    """Why ``entry`` is not a valid declared suppression, or None (shared with ``cdk_aspect``, which
    checks suppressions when they are attached to constructs)."""
    if not isinstance(entry, dict):
        return f"a suppression must be a mapping of {', '.join(FIELDS)}; got {type(entry).__name__}"
    unknown = sorted(str(k) for k in entry if k not in FIELDS)
    if unknown:
        return f"unknown suppression field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})"
    for name in ("rule", "reason"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            return f"a suppression needs a non-empty {name!r}"
    for name in ("handler", "sink", "expires"):
        if name in entry and not isinstance(entry[name], str):
            return f"suppression field {name!r} must be a string"
    if "expires" in entry:
        try:
            dt.date.fromisoformat(entry["expires"])
        except ValueError:
            return f"suppression expires {entry['expires']!r} is not a date (YYYY-MM-DD)"
    return None


def _suppression(entry: Any, construct_path: str | None, logical_id: str, where: str) -> Suppression:
    problem = suppression_problem(entry)
    if problem:
        raise GateInputError(problem, where)
    who = {"construct_path": construct_path} if construct_path else {"function": logical_id}
    return Suppression(entry["rule"], entry["reason"], handler=entry.get("handler"), sink=entry.get("sink"),
                       expires=dt.date.fromisoformat(entry["expires"]) if "expires" in entry else None, **who)
