"""The pipeline's policy floor: what the project's own ``flowgate.yml`` may tighten but not lower.

``flowgate.yml`` lives in the scanned tree, so a pull request can edit it. A floor is a policy file
the pipeline owns (``--policy-floor``, ``$FLOWGATE_POLICY_FLOOR``; the SAM wrapper and the CDK
plugin read both). The project's policy is applied on top of it and then held to it:

* every rule of the floor is enforced, at no lower severity and with at least its sources and sinks,
  whatever the project disables or drops;
* ``block_at`` is the stricter of the two;
* the project's custom sources and sinks are kept (they only find more);
* the project's sanitizers are not applied unless the floor says ``floor: {sanitizers: allow}``
  (a sanitizer declared on ``os.getenv`` would clean everything);
* the project's suppressions are applied only as the floor demands: ``floor: {suppressions:
  forbid}``, or with a reason and an ``expires`` at most ``max_days`` ahead (default 90).

Every decision that overrides the project is a note in the reports' warnings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from gate.policy.rules import SEVERITIES, Rule
from gate.policy.types import Policy, Suppression

DEFAULT_MAX_DAYS = 90


@dataclasses.dataclass(frozen=True)
class FloorDemands:
    suppressions: str = "expiring"  # "forbid" | "expiring" | "allow"
    max_days: int = DEFAULT_MAX_DAYS
    sanitizers: str = "forbid"  # "forbid" | "allow"

    @staticmethod
    def from_policy_data(data: dict[str, Any]) -> FloorDemands:
        floor = data.get("floor") or {}
        return FloorDemands(floor.get("suppressions", "expiring"), int(floor.get("max_days", DEFAULT_MAX_DAYS)),
                            floor.get("sanitizers", "forbid"))


def _stricter(a: str, b: str) -> str:
    return a if SEVERITIES.index(a) >= SEVERITIES.index(b) else b


def _held(own: Rule | None, floor: Rule, notes: list[str], origin: str, demands: FloorDemands) -> Rule:
    if own is None:
        notes.append(f"policy floor: {origin} does not enforce rule {floor.name}; the pipeline's floor does, "
                     "so it is enforced")
        return floor
    severity = _stricter(own.severity, floor.severity)
    if severity != own.severity:
        notes.append(f"policy floor: rule {own.name} stays at {severity} ({origin} lowers it to {own.severity})")
    sources = tuple(dict.fromkeys([*floor.sources, *own.sources]))
    sinks = tuple(dict.fromkeys([*floor.sinks, *own.sinks]))
    if len(sources) > len(own.sources) or len(sinks) > len(own.sinks):
        notes.append(f"policy floor: rule {own.name} keeps the floor's sources and sinks ({origin} drops some)")
    sanitizers = own.sanitizers if demands.sanitizers == "allow" else \
        tuple(s for s in own.sanitizers if s in floor.sanitizers)
    if len(sanitizers) < len(own.sanitizers):
        notes.append(f"policy floor: rule {own.name}'s own sanitizers in {origin} are not applied")
    return dataclasses.replace(own, severity=severity, sources=sources, sinks=sinks, sanitizers=sanitizers)


def _admitted(s: Suppression, demands: FloorDemands, today: dt.date) -> str | None:
    """Why the floor does not admit the project's suppression ``s``, or ``None``."""
    if demands.suppressions == "forbid":
        return "the pipeline's floor admits no suppressions from the project"
    if demands.suppressions == "expiring":
        if s.expires is None:
            return f"the pipeline's floor requires an expiry (at most {demands.max_days} days ahead)"
        if s.expires > today + dt.timedelta(days=demands.max_days):
            return f"it expires {s.expires}, more than the floor's {demands.max_days} days ahead"
    return None


def apply_floor(own: Policy, floor: Policy, demands: FloorDemands, today: dt.date | None = None) -> Policy:
    """``own`` held to ``floor``: a pure function of both (``today`` decides expiry limits)."""
    today = today or dt.date.today()
    notes: list[str] = []
    mine = {r.name: r for r in own.rules}
    rules = [_held(mine.pop(r.name, None), r, notes, own.origin, demands) for r in floor.rules]
    rules += list(mine.values())  # the project's own further rules tighten
    first = min((r.code for r in rules), default=0)
    rules = [dataclasses.replace(r, code=first + i) for i, r in enumerate(rules)]  # Pysa codes stay unique
    block_at = _stricter_threshold(own.block_at, floor.block_at)
    if block_at != own.block_at:
        notes.append(f"policy floor: flows block from {block_at} up ({own.origin} says {own.block_at})")
    sanitizers = list(floor.sanitizers)
    extra = [s for s in own.sanitizers if s not in floor.sanitizers]
    if extra and demands.sanitizers == "allow":
        sanitizers += extra
    elif extra:
        notes.append(f"policy floor: sanitizers of {own.origin} are not applied ({', '.join(extra)}); the floor "
                     "admits none")
    suppressions = list(floor.suppressions)
    for s in own.suppressions:
        if s in floor.suppressions:
            continue
        why = _admitted(s, demands, today)
        if why is None:
            suppressions.append(s)
        else:
            notes.append(f"policy floor: suppression {s.describe()} of {own.origin} is not applied: {why}")
    names = {r.name for r in rules}
    return Policy(
        block_at=block_at, rules=rules, sanitizers=sanitizers,
        custom_sources=list(dict.fromkeys([*floor.custom_sources, *own.custom_sources])),
        custom_sinks=list(dict.fromkeys([*floor.custom_sinks, *own.custom_sinks])),
        suppressions=suppressions, origin=f"{own.origin} over the floor {floor.origin}",
        source_kinds=list(dict.fromkeys([*floor.source_kinds, *own.source_kinds])),
        sink_kinds=list(dict.fromkeys([*floor.sink_kinds, *own.sink_kinds])),
        disabled=[n for n in dict.fromkeys([*floor.disabled, *own.disabled]) if n not in names],
        notes=[*floor.notes, *own.notes, *notes],
    )


def _stricter_threshold(a: str, b: str) -> str:
    """The lower of two ``block_at`` severities: more flows block."""
    return a if SEVERITIES.index(a) <= SEVERITIES.index(b) else b
