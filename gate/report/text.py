"""Terminal report: findings grouped by severity, each with its hop chain on one line, then steps."""

from __future__ import annotations

import json
from pathlib import Path

from gate.findings.types import Finding
from gate.model.build import CDK_INTERNAL
from gate.model.types import AppModel
from gate.plan.scope import OUT_OF_SCOPE
from gate.policy.rules import SEVERITIES
from gate.report.escape import for_terminal
from gate.report.paths import rel
from gate.report.snippets import line_of
from gate.report.types import ScanResult

_COLOURS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
_RESET = "\033[0m"
_DIM = "\033[2m"
_FILTER_DETAILS = ("FilterCriteria", "FilterPolicy", "EventPattern", "StreamViewType", "State", "InputPath")


def _compact(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def chain(f: Finding, model: AppModel, base: Path) -> str:
    """``HttpApi → ApiFn → s3:Bucket → S3Fn → subprocess.run at app.py:17``."""
    parts = []
    entry = model.entry_kinds(f.source_function) if f.source_function else []
    if entry:
        parts.append("/".join(entry))
    elif f.origin == "s3-listing":
        parts.append("s3 listing")
    elif f.origin == "outside-content":
        parts.append("ExternalResource (S3 object content)")
    if f.source_function:
        parts.append(model.display_name(f.source_function))
    for hop in f.hops:
        parts += [hop.label(model), model.display_name(hop.to_function)]
    parts.append(f"{f.sink_callable.removeprefix('builtins.')} at {rel(f.sink.file, base)}:{f.sink.line}")
    return " → ".join(parts)


def render_text(result: ScanResult, base: Path, colour: bool = False, explain: bool = False) -> str:
    """The text report; every line passes ``for_terminal`` before colour codes are added."""
    model = result.model
    out: list[str] = []
    coloured: set[int] = set()  # indexes of lines already escaped and coloured
    if explain:
        out += explain_lines(result, base)
    for sev in reversed(SEVERITIES):
        group = [f for f in result.findings if f.severity == sev]
        if not group:
            continue
        head = f"{sev.upper()} ({len(group)})"
        if colour:
            coloured.add(len(out))
        out.append((_COLOURS[sev] + head + _RESET) if colour else head)
        for f in group:
            tag = "BLOCK" if f.blocking else ("suppressed" if f.suppressed_by else (
                "baseline" if f.baselined else "latent" if f.latent else "warn"))
            conf = "" if f.confidence == "high" else " [lower confidence]"
            cwe = f" ({f.rule.cwe})" if f.rule.cwe else ""
            out.append(f"  [{tag}] {f.rule.title}{cwe} {f.rule.id}{conf}")
            if f.suppressed_by:
                until = f", until {f.suppressed_by.expires}" if f.suppressed_by.expires else ""
                out.append(f"    suppressed: {f.suppressed_by.reason}{until}")
            out.append(f"    {chain(f, model, base)}")
            for s in f.steps:
                fn = f" [{model.display_name(s.function)}]" if s.function else ""
                out.append(f"      {s.kind:<7} {rel(s.file, base)}:{s.line}{fn}  {s.message}")
                code = line_of(s.file, s.line)
                if code and colour:
                    coloured.add(len(out))
                    out.append(f"              {_DIM + for_terminal(code) + _RESET}")
                elif code:
                    out.append(f"              {code}")
            for note in f.notes:
                out.append(f"      note    {note}")
            if f.blocking:
                who = model.stable_name(f.sink_function) if f.sink_function else "the function"
                out.append(f"      rule    {f.rule.id}: {f.rule.docs}; to accept it, suppress rule "
                           f"{f.rule.name!r} for {who} in flowgate.yml (with a reason)")
    if result.incomplete:
        out += [f"not analysed: {problem}" for problem in result.incomplete]
    for w in result.warnings:
        out.append(f"warning: {w}")
    out.append(summary_line(result))
    return "\n".join(line if i in coloured else for_terminal(line) for i, line in enumerate(out)) + "\n"


def summary_line(result: ScanResult) -> str:
    """The one line every text report ends with (and all ``--quiet`` prints)."""
    model = result.model
    skipped = model.skipped_functions()
    fns = model.analysable_functions()
    quiet = [f"{len(result.suppressed)} suppressed"] if result.suppressed else []
    baselined = [f for f in result.findings if f.baselined]
    quiet += [f"{len(baselined)} in baseline"] if baselined else []
    latent = [f for f in result.findings if f.latent and not f.suppressed_by and not f.baselined]
    quiet += [f"{len(latent)} latent (a role denies a write on the way)"] if latent else []
    summary = (f"flowgate: {len(result.findings)} flow(s), {len(result.blocking)} blocking"
               + "".join(f", {q}" for q in quiet) + "; "
               f"{len(fns)} Python function(s) analysed, {len(result.plan.writes)} SDK write(s) instrumented")
    scoped_out = [f for f in skipped if f.skipped_reason == OUT_OF_SCOPE]
    skipped = [f for f in skipped if f.skipped_reason not in (OUT_OF_SCOPE, CDK_INTERNAL)]
    if skipped:
        summary += f", {len(skipped)} skipped (" + "; ".join(
            f"{model.display_name(f.key)}: {f.skipped_reason}" for f in skipped) + ")"
    if scoped_out:
        summary += f", {len(scoped_out)} out of scope (no untrusted input reaches them)"
    if result.incomplete:
        summary += f"; INCOMPLETE: {len(result.incomplete)} not analysed"
    if result.policy is not None and result.policy.disabled:
        summary += f"; policy disables {len(result.policy.disabled)} rule(s): {', '.join(result.policy.disabled)}"
    return for_terminal(summary)


def explain_lines(result: ScanResult, base: Path) -> list[str]:
    model = result.model
    out = ["Trigger graph:"]
    for e in model.entry_points:
        out.append(f"  {e.kind} ({e.via}) -> {model.display_name(e.function)}")
    used = {(e.trigger.source, e.trigger.function) for w in result.plan.writes for e in w.edges}
    for t in model.triggers:
        if t.details.get("implicit") and (t.source, t.function) not in used:
            continue  # every function may be invoked directly; show only the invocations the code makes
        filt = "".join(f" {k}={v!r}" for k, v in (("prefix", t.prefix), ("suffix", t.suffix)) if v)
        filt += "".join(f" {k}={_compact(t.details[k])}" for k in _FILTER_DETAILS if k in t.details)
        via = f" via {t.via}" if " -> " in t.via else ""
        out.append(f"  {t.service}:{model.display_name(t.source)} -> {model.display_name(t.function)}"
                   f" ({', '.join(t.events)}{filt}){via}")
    if model.external:
        out.append("Externally writable resources (their events are ExternalResource sources):")
        for key, why in model.external.items():
            out.append(f"  {model.display_name(key)}: {why}")
    out.append("Environment bindings:")
    for fn in model.analysable_functions():
        for b in fn.env.values():
            out.append(f"  {fn.logical_id}: {b.describe()}")
    out.append("SDK writes:")
    for w in result.plan.writes:
        out.append(f"  {rel(w.file, base)}:{w.line} {w.api.label} target {w.target_sym.describe()}"
                   + (f", key {w.key_sym.describe()}" if w.key_sym else ""))
        if w.reached_by:
            out.append(f"      reached from the handler of: {', '.join(model.display_name(k) for k in w.reached_by)}")
        for d in w.decisions:
            out.append(f"      {d}")
    if result.plan.content.sites:
        out.append("S3 object content (stored content reaches the readers of the same bucket):")
        for bucket, why in result.plan.content.outside.items():
            out.append(f"  {model.display_name(bucket)}: content chosen by outsiders ({why})")
        for c in result.plan.content.sites:
            how = "stores content into" if c.role == "store" else "reads content of"
            buckets = ", ".join(model.display_name(b) for b in c.buckets)
            out.append(f"  {rel(c.module.path, base)}:{c.line} {c.api.label} {how} {buckets}")
            for d in c.decisions:
                out.append(f"      {d}")
    if result.plan.out_of_scope:
        out.append("Out of scope (why no untrusted input can reach them):")
        for key, why in result.plan.out_of_scope.items():
            out.append(f"  {model.display_name(key)}: {why}")
    checks = [(path, v) for root in result.plan.roots for path, vs in root.validations.items() for v in vs]
    if checks:
        out.append("Validations (regex and allow-list checks):")
        for path, v in checks:
            verdict = "trusted, sanitizes" if v.trusted else "not trusted"
            out.append(f"  {rel(path, base)}:{v.line} {v.name.id} against {v.pattern!r}: {verdict} ({v.reason})")
    out.append("")
    return out
