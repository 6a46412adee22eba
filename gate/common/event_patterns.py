"""Event filters evaluated statically: EventBridge patterns, ESM ``FilterCriteria``, SNS filter policies.

All three use the same content-filtering language (exact values, ``prefix``, ``suffix``,
``anything-but``, ``exists``, ``equals-ignore-case``, ``numeric``, ...). The gate evaluates it against
what it knows about an event at the write site: a *known value* is a plain Python value (dicts are
closed: a key that is not there is absent), ``UNKNOWN`` is anything, and ``JsonText`` is a string
known to hold that JSON (a body built with ``json.dumps``). The answer is three-valued: ``yes``,
``no`` (the event cannot pass: the edge is pruned) or ``maybe`` (the edge is kept, lower confidence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN_VALUE: Any = _Unknown()


@dataclass(frozen=True)
class JsonText:
    """A string known to be the JSON encoding of ``value``."""

    value: Any


YES, NO, MAYBE = "yes", "no", "maybe"


def _and(verdicts: list[str]) -> str:
    return NO if NO in verdicts else (MAYBE if MAYBE in verdicts else YES)


def _or(verdicts: list[str]) -> str:
    return YES if YES in verdicts else (MAYBE if MAYBE in verdicts else NO)


def match(pattern: Any, value: Any) -> str:
    """Does an event whose statically known shape is ``value`` match ``pattern``?"""
    if not isinstance(pattern, dict):
        return MAYBE  # unreadable pattern: cannot decide
    if value is UNKNOWN_VALUE:
        return MAYBE
    if isinstance(value, JsonText):
        value = value.value
        if value is UNKNOWN_VALUE:
            return MAYBE
    if not isinstance(value, dict):
        return NO  # a field pattern against a scalar (e.g. a plain-text body): never matches
    verdicts = []
    for key, sub in pattern.items():
        if key in ("$or",) and isinstance(sub, list):
            verdicts.append(_or([match(p, value) for p in sub]))
            continue
        present = key in value
        field = value.get(key, UNKNOWN_VALUE)
        if isinstance(sub, dict):
            verdicts.append(match(sub, field) if present else NO)
        elif isinstance(sub, list):
            verdicts.append(_field(sub, field, present))
        else:
            verdicts.append(MAYBE)
    return _and(verdicts)


def _field(alternatives: list[Any], value: Any, present: bool) -> str:
    """A leaf: the field must match one of the alternatives."""
    if isinstance(value, JsonText):
        value = UNKNOWN_VALUE  # compared as text: its exact spelling is unknown
    return _or([_one(alt, value, present) for alt in alternatives])


def _one(alt: Any, value: Any, present: bool) -> str:
    if isinstance(alt, dict) and len(alt) == 1:
        (op, arg), = alt.items()
        if op == "exists":
            if value is UNKNOWN_VALUE and present:
                return YES if arg else NO
            return YES if bool(arg) == present else NO
        if not present:
            return NO if op != "anything-but" else YES
        if value is UNKNOWN_VALUE:
            return MAYBE
        if isinstance(value, list):
            return _or([_one(alt, v, True) for v in value])
        if op == "prefix" and isinstance(arg, str):
            return YES if isinstance(value, str) and value.startswith(arg) else NO
        if op == "suffix" and isinstance(arg, str):
            return YES if isinstance(value, str) and value.endswith(arg) else NO
        if op == "equals-ignore-case" and isinstance(arg, str):
            return YES if isinstance(value, str) and value.lower() == arg.lower() else NO
        if op == "anything-but":
            banned = arg if isinstance(arg, list) else [arg]
            if all(not isinstance(b, dict) for b in banned):
                return NO if value in banned else YES
        return MAYBE  # numeric, wildcard, cidr, nested anything-but: not decided statically
    if not present:
        return NO
    if value is UNKNOWN_VALUE:
        return MAYBE
    if isinstance(value, list):
        return _or([_one(alt, v, True) for v in value])
    if isinstance(value, dict):
        return NO
    if isinstance(alt, int | float) and isinstance(value, int | float) and not isinstance(value, bool):
        return YES if alt == value else NO
    return YES if alt == value else NO


def match_any(patterns: list[Any], value: Any, what: str) -> tuple[str, str]:
    """A filter with several patterns passes when one matches; returns the verdict and a note."""
    if not patterns:
        return YES, f"no {what}"
    verdict = _or([match(p, value) for p in patterns])
    shown = "; ".join(_compact(p) for p in patterns)
    notes = {YES: f"{what} {shown} matches", NO: f"{what} {shown} cannot match",
             MAYBE: f"{what} {shown} may match (values not known statically)"}
    return verdict, notes[verdict]


def _compact(value: Any) -> str:
    import json

    try:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def rule_pattern(properties: dict[str, Any]) -> dict[str, Any] | None:
    """The ``EventPattern`` of an ``AWS::Events::Rule`` (JSON text parsed), or ``None`` when the rule
    has none (a schedule fires on time, not on events) or is ``DISABLED`` (it matches nothing)."""
    if str(properties.get("State", "ENABLED")).upper() == "DISABLED":
        return None
    pattern = properties.get("EventPattern")
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return None
    return pattern if isinstance(pattern, dict) else None
