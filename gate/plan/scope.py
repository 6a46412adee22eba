"""Analyse only what can matter: code roots that untrusted data can reach through the trigger graph.

A flow needs a source. Sources live in entry-point handlers (API Gateway, function URLs, externally
writable resources), in code that lists S3 objects, in code that reads content outsiders can
upload, and wherever a policy's custom source is called. From those functions, data travels only
along the plan's edges: SDK writes to the handlers they trigger, and S3 object content from the
functions that store it to the functions that read it. Code roots none of whose functions is on
such a path cannot produce a finding, so they are left out of the instrumented copy (and Pysa's
work); their functions are reported as skipped, out of scope. The cut is at code-root granularity:
a root shared with an in-scope function is analysed whole.
"""

from __future__ import annotations

from dataclasses import replace

from gate.common.intrinsics import references
from gate.model.types import AppModel
from gate.plan.types import CodeRootPlan, Plan
from gate.policy.types import Policy

OUT_OF_SCOPE = "out of scope: no untrusted input can reach it"


def scope_plan(model: AppModel, plan: Plan, policy: Policy) -> tuple[Plan, list[str]]:
    """The plan restricted to reachable code roots (its model marks the others out of scope), and
    the keys of the functions left out."""
    reached = _reachable(model, plan, policy)
    kept = [r for r in plan.roots if any(f.key in reached for f in r.functions)]
    if len(kept) == len(plan.roots):
        return plan, []
    kept_ids = {id(r) for r in kept}
    indexes = {id(r.index) for r in kept}
    content = replace(plan.content, sites=[s for s in plan.content.sites if id(s.module.root) in indexes])
    dropped = [f.key for r in plan.roots if id(r) not in kept_ids for f in r.functions]
    scoped = replace(plan, roots=kept, writes=[w for w in plan.writes if id(w.root) in kept_ids], content=content,
                     model=plan.model.with_skips(dropped, OUT_OF_SCOPE),
                     out_of_scope={k: _why_unreached(model, plan, k) for k in dropped})
    return scoped, dropped


def _why_unreached(model: AppModel, plan: Plan, key: str) -> str:
    """What could start the function, and why none of it carries untrusted input (``--explain``)."""
    name = model.display_name
    writers: dict[str, set[str]] = {}
    for write in plan.writes:
        for edge in write.edges:
            if edge.trigger.function == key:
                for w in edge.writers or write.reached_by:
                    writers.setdefault(edge.trigger.source, set()).add(name(w))
    parts = []
    for t in model.triggers:
        if t.function != key or t.details.get("implicit") and t.source not in writers:
            continue
        who = writers.get(t.source)
        if t.service == "lambda":
            parts.append(f"invoked by {', '.join(sorted(who or ()))}, itself out of scope")
        elif who:
            parts.append(f"{t.service}:{name(t.source)}, written by {', '.join(sorted(who))} (out of scope)")
        elif t.service == "events" and (t.details.get("schedule") or "EventPattern" not in t.details):
            parts.append(f"{t.service}:{name(t.source)} (a schedule or an event only AWS or the app sends)")
        else:
            parts.append(f"{t.service}:{name(t.source)}, which no function of the app writes to and outsiders "
                         "cannot (its policy admits no one else)")
    logical = key.split("/", 1)[1]
    for res in model.resources.values():
        props = res.properties
        expression = props.get("ScheduleExpression")
        target = props.get("Targets", props.get("Target"))
        if expression is not None and logical in {ref for ref, _attr in references(target)}:
            shown = expression if isinstance(expression, str) else "an expression"
            parts.append(f"a schedule ({shown}, {res.logical_id}): nothing untrusted is in its event")
    if not parts:
        return "no API, URL, event source or invocation in the app starts it"
    return "not an entry point; started only by " + "; ".join(parts)


def _reachable(model: AppModel, plan: Plan, policy: Policy) -> set[str]:
    seeds = {f.key for r in plan.roots for f in r.functions if model.entry_kinds(f.key)}
    for root in plan.roots:
        if any(s.source for s in root.sdk_sites) or _calls_custom_source(root, policy):
            seeds |= {f.key for f in root.functions}
    for site in plan.content.reads():
        if any(b in plan.content.outside for b in site.buckets):
            seeds |= {fn for runs in site.buckets.values() for fn, _c, _h in runs}
    edges: dict[str, set[str]] = {}
    for write in plan.writes:
        for edge in write.edges:
            for writer in edge.writers or write.reached_by:
                edges.setdefault(writer, set()).add(edge.trigger.function)
    stores = plan.content.stores()
    for read in plan.content.reads():
        for bucket, runs in read.buckets.items():
            readers = {fn for fn, _c, _h in runs}
            for store in stores:
                for writer, _c, _h in store.buckets.get(bucket, []):
                    edges.setdefault(writer, set()).update(readers)
    reached, todo = set(seeds), list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    return reached


def _calls_custom_source(root: CodeRootPlan, policy: Policy) -> bool:
    """Could this root call one of the policy's custom sources? (By name, conservatively.)"""
    names = {s.callable.rsplit(".", 1)[-1] for s in policy.custom_sources}
    if not names:
        return False
    for path in root.files:
        module = root.index.module(root.index.dotted_name(path))
        if module is not None and any(n in module.source for n in names):
            return True
    return False
