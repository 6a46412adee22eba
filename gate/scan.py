"""The orchestrator: one scan, stage by stage — inputs -> model -> plan -> instrument -> Pysa ->
findings -> verdict — returning the ``ScanResult`` that reports read. The only module that imports
every stage; no stage imports it."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate.common.cache import PysaCache
from gate.common.cache import key as cache_key
from gate.common.errors import GateInputError
from gate.common.progress import Progress
from gate.findings.trace import build_findings
from gate.inputs.detect import load_input
from gate.inputs.serverless_vars import Options
from gate.instrument.build import instrument, materialize
from gate.instrument.types import InstrumentedApp
from gate.model.build import build_app_model
from gate.model.types import AppModel
from gate.plan.build import build_plan
from gate.plan.scope import scope_plan
from gate.plan.types import Plan
from gate.policy.load import default_policy
from gate.policy.types import Policy
from gate.pysa.components import SHARED, Results, SplitCopy, copy_texts, partition, split_copy
from gate.pysa.driver import run_pysa
from gate.report.types import ScanResult
from gate.verdict.triage import triage, unknown_suppression_targets


def _scratch_parent() -> str | None:
    """``$FLOWGATE_TMPDIR``, else tmpfs when there is one: pyrefly writes tens of MB of reports per run
    (2x faster there), else the system temporary directory."""
    explicit = os.environ.get("FLOWGATE_TMPDIR")
    if explicit:
        return explicit
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _make_workdir() -> Path:
    parent = _scratch_parent()
    try:
        return Path(tempfile.mkdtemp(prefix="flowgate-", dir=parent))
    except OSError as exc:
        raise GateInputError(f"cannot create the gate's scratch directory: {exc.strerror or exc}",
                             parent or tempfile.gettempdir()) from None


def _with_declared_suppressions(policy: Policy, model: AppModel) -> Policy:
    """The policy plus the suppressions written on function resources (CDK ``FlowGateSuppressions``)."""
    declared = model.declared_suppressions
    if not declared:
        return policy
    names = {r.name for r in policy.rules}
    for s in declared:
        if s.rule not in names:
            model.warnings.append(f"suppression {s.describe()} names a rule the policy does not have "
                                  f"(rules: {', '.join(sorted(names))})")
    return replace(policy, suppressions=[*policy.suppressions, *declared])


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one scan. Parsing and indexing thousands of modules
    allocates millions of long-lived AST nodes, and the collector re-traversing them took ~40 % of
    loading and planning (measured at 1000 functions: 1.9 s -> 1.1 s). Nothing is leaked for long:
    a scan is bounded, and collection resumes afterwards (also inside a CDK app)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyse(plan: Plan, app: InstrumentedApp, workdir: Path, cache: PysaCache | None, keep_workdir: bool,
             progress: Progress, timings: dict[str, float]) -> Results:
    """Pysa's issues and models for the whole app: without a cache one run; with one, per component
    (see gate.components), running Pysa once over the components the cache does not have. Records
    ``timings["pysa"]`` when Pysa ran."""
    if cache is None:
        return _run_pysa(plan, app, workdir, None, keep_workdir, progress, timings)
    # The whole copy first: an unchanged app is one lookup, not one per component.
    whole = cache_key(copy_texts(app))
    hit = cache.load(whole)
    if hit is not None:
        return hit
    split = split_copy(app, partition(plan))
    digests = split.digests()
    found: dict[str, Results | None] = {c: cache.load(d) for c, d in digests.items()}
    components = split.partition.components
    missing = {c for c in components if found[c] is None}
    if found[SHARED] is None or keep_workdir:  # --keep-workdir keeps (and analyses) the whole copy
        missing = set(components)
    timings["components"], timings["components_analysed"] = len(components), len(missing)
    if missing:
        subset = None if missing == set(components) else (split, missing)
        results = split.divide(*_run_pysa(plan, app, workdir, subset, keep_workdir, progress, timings))
        for c in [*sorted(missing), SHARED]:
            got = results.get(c, ([], {}))
            found[c] = got
            cache.store(digests[c], *got)
    issues: list[dict[str, Any]] = []
    models: dict[str, dict[str, Any]] = {}
    for c in [SHARED, *components]:
        part = found[c]
        assert part is not None
        issues += part[0]
        models.update(part[1])
    cache.store(whole, issues, models)
    return issues, models


def _run_pysa(plan: Plan, app: InstrumentedApp, workdir: Path, subset: tuple[SplitCopy, set[str]] | None,
              keep_workdir: bool, progress: Progress, timings: dict[str, float]) -> Results:
    if subset is None:
        functions = sum(len(root.functions) for root in plan.roots)
        if not keep_workdir:  # else it is written already
            materialize(app)
    else:
        split, components = subset
        functions = sum(len(root.functions) for root in plan.roots
                        if split.partition.of_package[root.package] in components)
        materialize(app, split.files_for(components))
    progress.stage(f"Pysa: analysing {functions} function(s)")
    result = run_pysa(app, workdir)
    timings["pysa"] = result.seconds
    return result.issues, result.models


def _issue_order(issue: dict[str, Any]) -> tuple[str, int, int, int, str]:
    """Pysa's own order differs between a whole-app run and a run over some components."""
    return (str(issue.get("callable", "")), int(issue.get("code", 0)), int(issue.get("line", 0)),
            int(issue.get("start", 0)), str(issue.get("master_handle", "")))


def scan(path: Path, template: Path | None = None, policy: Policy | None = None, fail_on: str | None = None,
         baseline: set[str] | None = None, keep_workdir: bool = False,
         code_dirs: dict[str, Path] | None = None, cache: PysaCache | None = None,
         progress: Progress | None = None, framework: Options | None = None) -> ScanResult:
    """Analyse an app. ``cache`` (off unless given) reuses Pysa results for an identical instrumented
    tree; ``progress`` reports stages on a terminal; ``framework`` holds the Serverless Framework's
    ``--stage``/``--region``/``--param`` for a ``serverless.yml``."""
    with _without_cyclic_gc():
        return _scan(path, template, policy, fail_on, baseline, keep_workdir, code_dirs, cache, progress,
                     framework)


def _scan(path: Path, template: Path | None, policy: Policy | None, fail_on: str | None,
          baseline: set[str] | None, keep_workdir: bool, code_dirs: dict[str, Path] | None,
          cache: PysaCache | None, progress: Progress | None, framework: Options | None) -> ScanResult:
    progress = progress or Progress(enabled=False)
    policy = policy or default_policy()
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    progress.stage("loading templates")
    stacks = load_input(path, template, code_dirs, cache, framework)
    model = build_app_model(stacks)
    policy = _with_declared_suppressions(policy, model)
    unknown = unknown_suppression_targets(policy, model)
    if unknown:
        raise GateInputError("; ".join(unknown), policy.origin)
    timings["load"] = time.monotonic() - t0
    t1 = time.monotonic()
    progress.stage(f"planning {len(model.functions)} function(s)")
    plan = build_plan(model)
    plan, _out_of_scope = scope_plan(plan.model, plan, policy)
    model = plan.model  # every function's status as the plan decided it (problems, out of scope)
    timings["plan"] = time.monotonic() - t1
    workdir = _make_workdir()
    cache_warnings: list[str] = []
    try:
        t2 = time.monotonic()
        progress.stage("instrumenting a copy")
        app = instrument(model, plan, workdir, policy)
        if keep_workdir:
            materialize(app)
        timings["instrument"] = time.monotonic() - t2
        if not model.analysable_functions():
            progress.done()
            return ScanResult(model, plan, app, [], timings, workdir if keep_workdir else None, policy)
        issues, models = _analyse(plan, app, workdir, cache, keep_workdir, progress, timings)
        issues = sorted(issues, key=_issue_order)
        if "pysa" not in timings:
            timings["pysa"], timings["cache"] = 0.0, 1.0
        if cache:
            cache_warnings = cache.warnings
        t3 = time.monotonic()
        progress.stage("tracing findings")
        findings = build_findings(model, app, issues, models, policy)
        warnings = triage(findings, model, policy, fail_on, baseline) + cache_warnings
        warnings += policy.notes  # what the pipeline's floor overrode in the project's policy
        if policy.disabled:
            warnings.append(f"policy {policy.origin} does not enforce the bundled rule(s) "
                            f"{', '.join(policy.disabled)}: flows of those kinds are not looked for")
        timings["findings"] = time.monotonic() - t3
        progress.done()
    finally:
        progress.done()
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    timings["total"] = time.monotonic() - t0
    return ScanResult(model, plan, app, findings, timings, workdir if keep_workdir else None, policy, warnings,
                      baseline is not None)
