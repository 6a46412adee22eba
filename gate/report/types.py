"""What reports read: ``ScanResult``, the outcome of one scan (model, plan, copy, findings, policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gate.findings.types import Finding
from gate.instrument.types import InstrumentedApp
from gate.model.types import AppModel
from gate.plan.types import Plan
from gate.policy.types import Policy


@dataclass
class ScanResult:
    model: AppModel
    plan: Plan
    app: InstrumentedApp
    findings: list[Finding]
    timings: dict[str, float] = field(default_factory=dict)
    workdir: Path | None = None
    policy: Policy | None = None
    triage_warnings: list[str] = field(default_factory=list)
    baseline_used: bool = False
    # Where SARIF paths are relative to (``--source-root``); None: the git top level, else the cwd.
    source_root: Path | None = None

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def warnings(self) -> list[str]:
        return [*self.model.warnings, *self.app.warnings, *self.triage_warnings]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed_by is not None]

    @property
    def incomplete(self) -> list[str]:
        """What could not be analysed: functions, modules left out of an analysed code root, and
        layers of analysed functions whose code is not here (an ARN, or no local content)."""
        out = [f"{f.logical_id}: {f.skipped_reason}" for f in self.model.problem_functions()]
        reasons = {f.skipped_reason for f in self.model.problem_functions()}
        out += [why for why in self.plan.file_problems.values() if why not in reasons]
        out += [f"{f.logical_id}: layer {layer} is not analysed (its code is not here)"
                for f in self.model.analysable_functions() for layer in f.unseen_layers]
        out += self.plan.dynamic_problems
        return out
