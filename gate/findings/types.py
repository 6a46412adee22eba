"""What the findings stage hands on: ``Finding`` with its ``Step``s and service ``Hop``s."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gate.model.types import AppModel, logical_id
from gate.policy.rules import Rule
from gate.policy.types import Suppression


@dataclass
class Step:
    kind: str  # "source" | "call" | "write" | "trigger" | "sink"
    file: Path | None
    line: int
    column: int
    message: str
    function: str | None = None  # Lambda function key executing this step, when known


@dataclass
class Hop:
    service: str
    resource: str  # resource key
    api: str
    from_function: str | None
    to_function: str
    confidence: str
    note: str
    # The functions whose run of the write fires this hop (empty: any function running the code);
    # a function whose role may not make the write is not a writer.
    writers: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()  # a latent hop: the functions that would make it if allowed
    would_need: str = ""

    def label(self, model: AppModel) -> str:
        return f"{self.service}:{model.display_name(self.resource)}"

    def to_dict(self) -> dict[str, str | None]:
        return {"service": self.service, "resource": logical_id(self.resource), "api": self.api,
                "from": logical_id(self.from_function), "to": logical_id(self.to_function),
                "confidence": self.confidence, "note": self.note}


@dataclass
class Finding:
    rule: Rule
    severity: str  # the rule's until gate.verdict decides it (one step lower at low confidence)
    confidence: str  # "high" | "low"
    source_function: str | None
    sink_function: str | None
    sink_callable: str
    steps: list[Step]
    hops: list[Hop]
    blocking: bool = False
    notes: list[str] = field(default_factory=list)
    suppressed_by: Suppression | None = None
    baselined: bool = False
    fingerprint: str = ""  # set by gate.triage: stable identity plus occurrence number
    sink_scope: str = ""  # the Python function containing the sink, e.g. pkg.loader.load
    # Content legs (gate.content): the generated read helper at the source, the store hop or file at the sink.
    content_read: str = ""
    content_store: str = ""
    # What the untrusted data is at the source: "event" (an entry point's event), "s3-listing"
    # (object keys from a listing), "outside-content" (object content outsiders may upload),
    # "exception-text". Reports name the entry by it.
    origin: str = "event"
    other_paths: int = 0  # further chains from the same entry to the same sink (loops, fan-out)
    # A flow through a write the role may not make: reported, never blocking ("latent: would
    # reach os.system if F's role were allowed sqs:SendMessage on Q").
    latent: str = ""

    @property
    def sink(self) -> Step:
        return self.steps[-1]

    @property
    def source(self) -> Step:
        return self.steps[0]

    def identity(self, name: Callable[[str], str] = lambda key: key) -> str:
        """Stable across line shifts: rule, functions, the function holding the sink, sink callable,
        hops. ``name`` turns function and resource keys into names that do not depend on where the app
        is checked out (``AppModel.stable_name``)."""
        parts = [self.rule.name, name(self.source_function) if self.source_function else "",
                 name(self.sink_function) if self.sink_function else "", self.sink_scope, self.sink_callable,
                 *[f"{h.service}:{name(h.resource)}>{name(h.to_function)}" for h in self.hops]]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
