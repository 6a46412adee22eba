"""What instrumentation hands on: the copy in memory (``InstrumentedApp``), the text edits, and the
Pysa rules of S3 content legs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gate.policy.rules import Rule

if TYPE_CHECKING:
    from gate.plan.types import WriteSite
from pathlib import Path

from gate.plan.types import ContentPlan, WriteSite


def store_kind(index: int) -> str:
    return f"S3Store{index}"


def object_kind(index: int) -> str:
    return f"S3Object{index}"


@dataclass(frozen=True)
class ContentLeg:
    """One Pysa rule of a content flow: ``rule``'s sources into bucket ``bucket``, or its content into
    ``rule``'s sinks. ``pysa`` is the rule Pysa runs for the leg."""

    pysa: Rule
    rule: Rule
    bucket: str
    store: bool


_FIRST_CODE = 90000  # far above policy rule codes


def content_legs(rules: list[Rule], content: ContentPlan) -> dict[int, ContentLeg]:
    """Two Pysa rules per (policy rule, bucket): the store leg and the read leg."""
    legs: dict[int, ContentLeg] = {}
    code = _FIRST_CODE
    for rule in rules:
        for i, bucket in enumerate(content.buckets):
            store = replace(rule, code=code, title=f"{rule.title}: into S3 object content",
                            sinks=(store_kind(i),), sanitizers=())
            read = replace(rule, code=code + 1, title=f"{rule.title}: from S3 object content",
                           sources=(object_kind(i),))
            legs[code] = ContentLeg(store, rule, bucket, True)
            legs[code + 1] = ContentLeg(read, rule, bucket, False)
            code += 2
    return legs


HOPS_MODULE = "flowgate_hops"
SDK_MODULE = "flowgate_sdk"
_HOPS_ALIAS = "_fg_hops"
_SDK_ALIAS = "_fg_sdk"


@dataclass
class Edit:
    start: tuple[int, int]  # (line, byte column), 1-based line
    end: tuple[int, int]
    text: str


@dataclass
class InstrumentedApp:
    root: Path  # the analysis root (pyrefly project)
    models_dir: Path
    stubs_dir: Path
    # instrumented file (relative to root) -> original file
    file_map: dict[str, Path] = field(default_factory=dict)
    # instrumented file -> {line: [(instrumented col, original col delta)]}
    column_shifts: dict[str, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)
    # dotted handler callable in the copy -> function keys it serves
    handlers: dict[str, list[str]] = field(default_factory=dict)
    hops: dict[str, WriteSite] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    content: ContentPlan = field(default_factory=lambda: ContentPlan([], []))
    content_legs: dict[int, ContentLeg] = field(default_factory=dict)  # Pysa rule code -> leg
    # every file of the copy (under root, models_dir or stubs_dir) -> its text; see materialize()
    files: dict[Path, str] = field(default_factory=dict)

    def original(self, rel: str) -> Path | None:
        return self.file_map.get(rel)
