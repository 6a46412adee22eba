"""What a compiled policy hands on: ``Policy`` and its custom sources, sinks and suppressions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gate.policy.rules import SOURCE_KINDS, Rule, taint_config


@dataclass(frozen=True)
class CustomSink:
    name: str
    callable: str
    parameter: str
    kind: str


@dataclass(frozen=True)
class CustomSource:
    name: str
    callable: str
    kind: str


@dataclass(frozen=True)
class Suppression:
    rule: str
    reason: str
    function: str | None = None
    construct_path: str | None = None
    handler: str | None = None
    sink: str | None = None
    expires: dt.date | None = None

    def describe(self) -> str:
        who = self.function or self.construct_path
        extra = "".join(f" {k}={v}" for k, v in (("handler", self.handler), ("sink", self.sink)) if v)
        return f"{self.rule} in {who}{extra}"


@dataclass
class Policy:
    block_at: str
    rules: list[Rule]
    sanitizers: list[str]
    custom_sources: list[CustomSource]
    custom_sinks: list[CustomSink]
    suppressions: list[Suppression]
    origin: str = "bundled default"
    source_kinds: list[str] = field(default_factory=list)
    sink_kinds: list[str] = field(default_factory=list)
    # Bundled rules this policy does not enforce (``extends: none``, ``enabled: false``): every report
    # says so, so a policy that switches the gate off cannot do it quietly.
    disabled: list[str] = field(default_factory=list)
    # What the pipeline's floor overrode in the project's policy (gate/policy/floor.py): report warnings.
    notes: list[str] = field(default_factory=list)

    @property
    def rules_by_code(self) -> dict[int, Rule]:
        return {r.code: r for r in self.rules}

    def taint_config(self, rules: tuple[Rule, ...] = (), sources: tuple[str, ...] = (),
                     sinks: tuple[str, ...] = ()) -> str:
        """Pysa's taint.config: the policy's rules and kinds, plus generated ones (S3 content legs)."""
        return taint_config([*self.rules, *rules], [*self.source_kinds, *sources], [*self.sink_kinds, *sinks])

    def entry_source_kinds(self, entry_kinds: list[str]) -> list[str]:
        return [SOURCE_KINDS[k] for k in entry_kinds if k in SOURCE_KINDS]
