"""The policy-validation plugin: after ``cdk synth`` has written the templates, run the flowgate engine
on the cloud assembly (with the asset *source* directories the aspect recorded) and turn blocking
flows into CDK policy violations, which fail both ``cdk synth`` and plain ``python app.py``.

Fail closed: CDK lets a synthesis pass when a plugin's ``validate`` raises, so every error (a template
the engine cannot read, a Pysa crash, a malformed suppression) becomes a violation here.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii

from cdk_aspect.recorder import FlowGateAspect
from gate.report.registry import FORMATS

if TYPE_CHECKING:
    from gate.findings.types import Finding
    from gate.report.types import ScanResult

PLUGIN_NAME = "flowgate"
REPORT_DIR = "flowgate"  # inside the cloud assembly: cdk.out/flowgate/
ERROR_RULE = "flowgate-error"
INCOMPLETE_RULE = "flowgate-incomplete"
REPORT_FORMATS = tuple(FORMATS)  # every format of gate.report.registry


@dataclass
class GateOptions:
    policy: Path | None = None
    fail_on: str | None = None
    allow_incomplete: bool = False
    reports: tuple[str, ...] = REPORT_FORMATS
    cache_dir: Path | None = None
    no_cache: bool = False
    project_dir: Path = field(default_factory=Path.cwd)
    policy_floor: Path | None = None


@dataclass
class Violation:
    """A CDK policy violation as plain data (kept apart from jsii types so it is easy to test)."""

    rule: str
    description: str
    severity: str
    fix: str
    resources: list[tuple[str, str, list[str]]]  # (logical ID, template path, locations)


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class FlowGatePlugin:
    def __init__(self, aspect: FlowGateAspect, options: GateOptions | None = None) -> None:
        self._aspect = aspect
        self._options = options or GateOptions()
        self.failed = False  # read by FlowGate's synth wrapper (enable.py)
        self.summary = ""

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        from gate import __version__

        return __version__

    @property
    def rule_ids(self) -> list[str]:
        try:
            from gate.policy.load import find_policy

            opts = self._options
            names = [r.name for r in find_policy(opts.policy, opts.project_dir, opts.policy_floor).rules]
        except Exception:  # the same error is reported by validate(); names are informational
            names = []
        return [*names, INCOMPLETE_RULE, ERROR_RULE]

    def validate(self, context: Any) -> cdk.PolicyValidationPluginReportBeta1:
        templates = [str(p) for p in context.template_paths]
        try:
            violations, success = self._run(Path(context.app_construct.outdir), templates)
        except KeyboardInterrupt:
            violations, success = [_error("interrupted", templates)], False
        except Exception as exc:  # fail closed: a raising plugin would let the synthesis pass
            from gate.common.errors import GateInputError

            message = str(exc) if isinstance(exc, GateInputError) else f"internal error: {type(exc).__name__}: {exc}"
            if os.environ.get("FLOWGATE_DEBUG"):
                traceback.print_exc()
            violations, success = [_error(message, templates)], False
            self.summary = f"flowgate: the application could not be analysed; the gate blocks: {message}"
        # Printed here in full: whether CDK's own report reaches the terminal depends on how the app
        # runs (the CDK CLI only reports stacks it selected; in-memory synthesis puts the report into
        # an exception, which enable.py turns into a one-line exit).
        for v in violations:
            lines = v.description.splitlines()
            print(f"flowgate: [{v.severity}] {v.rule}: {lines[0]}", file=sys.stderr)
            for line in lines[1:]:
                print(f"flowgate:   {line.strip()}", file=sys.stderr)
        if self.summary:
            print(self.summary, file=sys.stderr)
        self.failed = not success
        return cdk.PolicyValidationPluginReportBeta1(
            success=success, violations=[_to_cdk(v) for v in violations], plugin_version=self.version)

    def _run(self, outdir: Path, templates: list[str]) -> tuple[list[Violation], bool]:
        from gate.common.cache import from_options
        from gate.policy.load import find_policy
        from gate.scan import scan

        started = time.monotonic()
        outdir = outdir.resolve()
        report_dir = outdir / REPORT_DIR
        recorded = self._aspect.recorded
        if recorded.errors:
            self.summary = f"flowgate: {len(recorded.errors)} invalid suppression(s); the gate blocks"
            return [Violation(ERROR_RULE, f"invalid flowgate suppression: {e}", "high",
                              "Give every suppression a rule and a reason (see the flowgate README).",
                              _anchor(templates)) for e in recorded.errors], False
        index = build_construct_index(self._aspect, outdir)
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "constructs.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n",
                                                    encoding="utf-8")
        opts = self._options
        policy = find_policy(opts.policy, opts.project_dir, opts.policy_floor)
        result = scan(outdir, policy=policy, fail_on=opts.fail_on,
                      cache=from_options(opts.cache_dir, opts.no_cache))
        written = write_reports(result, reports_dir(outdir, opts.project_dir), opts.project_dir, opts.reports)
        violations = violations_of(result, opts.project_dir, opts.allow_incomplete, _anchor(templates))
        success = not violations
        self.summary = summary_line(result, success, time.monotonic() - started, written, opts.project_dir)
        return violations, success


def build_construct_index(aspect: FlowGateAspect, outdir: Path) -> dict[str, Any]:
    """``cdk.out/flowgate/constructs.json``: see ``gate.load.ConstructIndex``."""
    templates: dict[str, dict[str, Any]] = {}

    def entry(stack: Any) -> dict[str, Any]:
        stage_dir = Path(cdk.Stage.of(stack).outdir).resolve()
        rel = (stage_dir / stack.template_file).relative_to(outdir).as_posix()
        return templates.setdefault(rel, {"construct_paths": {}, "code_dirs": {}, "nested": {}})

    rec = aspect.recorded
    for res in rec.resources:
        stack = cdk.Stack.of(res)
        entry(stack)["construct_paths"][stack.resolve(res.logical_id)] = res.node.path
    for fn in rec.functions:
        source = _asset_source(fn)
        if source is not None:
            stack = cdk.Stack.of(fn)
            entry(stack)["code_dirs"][stack.resolve(fn.logical_id)] = str(Path(source).resolve())
    for nested in rec.nested_stacks:
        resource = nested.nested_stack_resource
        if resource is None:
            continue
        parent = cdk.Stack.of(resource)
        entry(parent)["nested"][parent.resolve(resource.logical_id)] = nested.template_file
    return {"version": 1, "templates": templates}


def _asset_source(cfn: Any) -> str | None:
    """The directory ``Code.from_asset`` (or a bundling construct such as ``PythonFunction``) was
    given: the staging construct keeps it as ``source_path``."""
    owner = cfn.node.scope
    code = owner.node.try_find_child("Code") if owner is not None else None
    stage = code.node.try_find_child("Stage") if code is not None else None
    source = getattr(stage, "source_path", None) if stage is not None else None
    return source if isinstance(source, str) and Path(source).is_dir() else None


def reports_dir(outdir: Path, project_dir: Path) -> Path:
    """``cdk.out/flowgate/`` inside the cloud assembly, unless the assembly is not in the project:
    plain ``python app.py`` synthesizes into a temporary directory CDK deletes when the app exits,
    so its reports go to ``<project>/cdk.out/flowgate/`` instead: where they usually are, in the
    folder CDK projects already ignore, and one that still exists after the app exits."""
    project = project_dir.resolve()
    if outdir == project or project in outdir.parents:
        return outdir / REPORT_DIR
    return project / "cdk.out" / REPORT_DIR


def write_reports(result: ScanResult, report_dir: Path, base: Path, formats: tuple[str, ...]) -> list[Path]:
    from gate.report.registry import render_report

    written = []
    if formats:
        report_dir.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        path = report_dir / FORMATS[fmt].file_name
        path.write_text(render_report(result, base, fmt), encoding="utf-8")
        written.append(path)
    return written


def violations_of(result: ScanResult, base: Path, allow_incomplete: bool,
                  anchor: list[tuple[str, str, list[str]]]) -> list[Violation]:
    """CDK ignores a violation without a violating resource, so problems that are not about one
    function (an incomplete analysis, an error) are attached to ``anchor``."""
    out = [_flow_violation(f, result, base) for f in result.findings if f.blocking]
    if result.incomplete and not allow_incomplete:
        out.append(Violation(INCOMPLETE_RULE, "Not every Python function could be analysed:\n"
                             + "\n".join(f"  not analysed: {p}" for p in result.incomplete), "high",
                             "Fix the code or the construct, or pass allow_incomplete=True to FlowGate.enable "
                             "to accept a partial analysis.", _problem_resources(result) or anchor))
    return out


def _flow_violation(f: Finding, result: ScanResult, base: Path) -> Violation:
    from gate.report.paths import rel
    from gate.report.text import chain

    model = result.model
    cwe = f" ({f.rule.cwe})" if f.rule.cwe else ""
    lines = [f"{f.rule.title}{cwe}: {chain(f, model, base)}"]
    for step in (f.source, f.sink):
        fn = f" [{model.display_name(step.function)}]" if step.function else ""
        lines.append(f"    {step.kind:<6} {rel(step.file, base)}:{step.line}{fn}  {step.message}")
    ends = [k for k in dict.fromkeys((f.sink_function, f.source_function)) if k]
    lines.append("    functions: " + " -> ".join(model.display_name(k) for k in reversed(ends)))
    lines += [f"    note: {n}" for n in f.notes]
    # One violating resource, the sink function: CDK prints the whole violation once per resource.
    resources = []
    if f.sink_function:
        fn = model.functions[f.sink_function]
        template = model.stack(fn.stack).template_path
        resources.append((fn.logical_id, str(template), [f"{rel(f.sink.file, base)}:{f.sink.line}"]))
    fix = f.rule.help + " To accept the risk: FlowGateSuppressions.add_resource_suppressions(fn, " \
        f"[{{'rule': '{f.rule.name}', 'reason': '...'}}])."
    return Violation(f.rule.name, "\n".join(lines), f.severity, fix, resources)


def _problem_resources(result: ScanResult) -> list[tuple[str, str, list[str]]]:
    model = result.model
    return [(f.logical_id, str(model.stack(f.stack).template_path), []) for f in model.problem_functions()]


def _anchor(templates: list[str]) -> list[tuple[str, str, list[str]]]:
    """The first resource of the first template that has one."""
    for template in templates:
        try:
            resources = json.loads(Path(template).read_text(encoding="utf-8")).get("Resources") or {}
        except (OSError, ValueError, AttributeError):
            continue
        for logical_id in resources:
            return [(str(logical_id), template, [])]
    return []


def _error(message: str, templates: list[str]) -> Violation:
    return Violation(ERROR_RULE, f"flowgate could not analyse the application: {message}", "high",
                     "Fix the reported problem; the gate blocks until the application can be analysed.",
                     _anchor(templates))


def _to_cdk(v: Violation) -> cdk.PolicyViolationBeta1:
    return cdk.PolicyViolationBeta1(
        rule_name=v.rule, description=v.description, severity=v.severity, fix=v.fix,
        violating_resources=[cdk.PolicyViolatingResourceBeta1(resource_logical_id=logical, template_path=tpl,
                                                              locations=locations)
                             for logical, tpl, locations in v.resources])


def summary_line(result: ScanResult, success: bool, seconds: float, written: list[Path], base: Path) -> str:
    model = result.model
    stacks = len(model.stacks)
    analysed = len(model.analysable_functions())
    verdict = "passed" if success else "BLOCKED"
    flows = f"{len(result.findings)} flow(s), {len(result.blocking)} blocking"
    if result.suppressed:
        flows += f", {len(result.suppressed)} suppressed"
    from gate.model.build import CDK_INTERNAL
    from gate.report.paths import rel

    skipped = [f for f in model.skipped_functions() if f.skipped_reason != CDK_INTERNAL]
    skip_text = ""
    if skipped:
        skip_text = f"; {len(skipped)} skipped (" + "; ".join(
            f"{model.display_name(f.key)}: {f.skipped_reason}" for f in skipped) + ")"
    if result.incomplete:
        skip_text += f"; {len(result.incomplete)} not analysed"
    if result.warnings:
        skip_text += f"; {len(result.warnings)} warning(s), listed in the reports"
    reports = f"; reports in {rel(written[0].parent, base)}/" if written else ""
    return (f"flowgate: {verdict}: {flows}; {analysed} Python function(s) in {stacks} stack(s) analysed"
            f"{skip_text} ({seconds:.1f} s){reports}")
