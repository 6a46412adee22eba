"""The instrumentation plan: which SDK call fires which trigger, and why.

For each function code root we find the SDK writes (and the SDK calls that are sources or sinks
themselves), resolve each write's target resource in the context of every Lambda function that
runs that code, match it to the triggers of that resource, and evaluate S3 key filters. Every
decision is recorded so ``--explain`` can show it; an unresolvable target keeps its edges, labelled.
"""

from __future__ import annotations

import ast
from pathlib import Path

from gate.model.types import AppModel, Trigger
from gate.plan.argv_calls import argv_sites
from gate.plan.code_roots import _code_root, _handler_target, _template_of, is_code_location, skipped_imports
from gate.plan.content import plan_content, read_api
from gate.plan.reach import reachable_scopes, reached_by
from gate.plan.targets import iam_check, names, target_resources
from gate.plan.types import CodeRootPlan, ContentRead, Edge, Plan, SdkSite, WriteSite
from gate.pyast.index import ModuleIndex
from gate.pyast.regex_guards import find_validations
from gate.pyast.resolve import resolve_handle
from gate.services.registry import SERVICES, sdk_helper, write_api


def build_plan(model: AppModel) -> Plan:
    """The plan for every analysable function; functions whose code is missing or broken are left
    out and recorded in ``Plan.function_problems`` (the scan is then incomplete), files that do not
    parse in ``Plan.file_problems`` (their code root is analysed without them)."""
    roots: dict[Path, CodeRootPlan] = {}
    layers: dict[Path, CodeRootPlan] = {}  # layer directory -> its code root
    function_problems: dict[str, str] = {}
    file_problems: dict[Path, str] = {}
    for fn in model.analysable_functions():
        assert fn.code_dir is not None
        if not is_code_location(fn.code_dir):
            what = "is not a directory or a zip archive" if fn.code_dir.exists() else "does not exist"
            function_problems[fn.key] = f"code directory {fn.code_dir} {what} ({_template_of(model, fn)})"
            continue
        root = roots.get(fn.code_dir)
        if root is None:
            root = _code_root(fn.code_dir, len(roots) + len(layers), file_problems,
                              model.stack(fn.stack).project)
            roots[fn.code_dir] = root
        target = _handler_target(model, fn, root, file_problems)
        if isinstance(target, str):
            function_problems[fn.key] = target
            continue
        root.handlers[fn.key] = target
        root.functions.append(fn)
        for layer_dir in fn.layer_dirs:
            layer = layers.get(layer_dir)
            if layer is None:
                layer = layers[layer_dir] = _code_root(layer_dir, len(roots) + len(layers), file_problems,
                                                       model.stack(fn.stack).project)
                layer.layer = True
            layer.functions.append(fn)
            if layer not in root.layers:
                root.layers.append(layer)
    code_roots = [r for r in roots.values() if r.functions] + list(layers.values())
    writes: list[WriteSite] = []
    dynamic: list[str] = []
    for root in code_roots:
        for path in root.files:
            module = root.index.module(root.index.dotted_name(path))
            if module is None:
                continue
            _scan_module(model, root, module, writes)
            dynamic += [f"{path}:{u.line}: {u.what}: {u.why}" for u in module.unresolved]
            dynamic += skipped_imports(root, module)
            root.sdk_sites += argv_sites(module)
            found = find_validations(module)
            if found:
                root.validations[path] = found
        root.reach = {} if root.layer else {fn.key: reachable_scopes(root, fn) for fn in root.functions}
        for site in root.writes:
            site.reached_by = reached_by(root, site.module, site.scope_name)
            _resolve_edges(model, root, site)
    plan = Plan(code_roots, writes, model.with_problems(function_problems),
                function_problems=function_problems, dynamic_problems=dynamic,
                file_problems={p: why for p, why in file_problems.items()
                               if any(r.directory in p.parents for r in code_roots)})
    plan.content = plan_content(model, plan)
    return plan


def _scan_module(model: AppModel, root: CodeRootPlan, module: ModuleIndex, writes: list[WriteSite]) -> None:
    for call, scope in module.calls:
        f = call.func
        if not isinstance(f, ast.Attribute):
            continue
        handle = resolve_handle(f.value, scope)
        if handle is None:
            continue
        helper = sdk_helper(handle.service, handle.kind, f.attr)
        if helper is not None:
            root.sdk_sites.append(SdkSite(module, call, helper.name, helper.source))
            continue
        api = write_api(handle.service, handle.kind, f.attr)
        if api is None:
            read = read_api(handle.service, handle.kind, f.attr)
            if read is not None:
                root.content_reads.append(ContentRead(module, call, scope, read, handle))
            continue
        facts = SERVICES[api.service].call_facts(api, call, scope, handle)
        if facts is None:
            continue
        site = WriteSite(len(writes) + 1, root, module, call, scope, api, handle, facts)
        root.writes.append(site)
        writes.append(site)


def _resolve_edges(model: AppModel, root: CodeRootPlan, site: WriteSite) -> None:
    """Edges of one write, evaluated as each function that runs it (its env vars and its role).

    The functions that run it are those whose handler reaches it through the syntactic call graph;
    when none does (dynamic dispatch the graph misses), every function of the code root counts.
    """
    service = SERVICES[site.api.service]
    candidates = model.resources_of_types(service.resource_types)
    seen: dict[tuple[str, str], Edge] = {}
    latent: dict[tuple[str, str], Edge] = {}  # denied by every role that runs the write
    by_outcome: dict[str, list[str]] = {}
    iam: dict[tuple[str, str, str], list[str]] = {}  # (resource, verdict, why) -> functions
    runners = [fn for fn in root.functions if fn.key in site.reached_by] or root.functions
    if len(runners) < len(root.functions):
        site.decisions.append(f"run only by {names([model.display_name(fn.key) for fn in runners])} "
                              "(the handlers that reach this call)")
    for fn in runners:
        resources, how = target_resources(fn, service, candidates, site.target_sym)
        resolved = how.startswith("resolved")
        by_outcome.setdefault(how.replace(fn.logical_id, "the function"), []).append(fn.logical_id)
        for res in resources:
            triggers = [t for t in model.triggers_from(res.key) if t.service == site.api.service]
            if not triggers:
                continue
            allowed, why = iam_check(model, fn, service, site, res)
            if allowed != "allow":
                iam.setdefault((res.logical_id, allowed, why), []).append(fn.logical_id)
            for trig in triggers:
                if not service.event_fires(site.api, trig):
                    site.decisions.append(f"{_name(trig)}: {site.api.event} is not one of {list(trig.events)}; "
                                          "no edge")
                    continue
                verdict, note = service.filter_verdict(site.api, trig, site.facts)
                if verdict == "no":
                    site.decisions.append(f"{_name(trig)}: pruned, {note}")
                    continue
                confidence = "resolved" if resolved and verdict == "yes" else "unresolved"
                reason = note if verdict != "yes" else ("target resolved" if resolved else how)
                if allowed == "deny":  # the write fails: an edge only if the role were allowed it
                    was = latent.get((trig.source, trig.function))
                    need = (f"{model.display_name(fn.key)}'s role were allowed {site.api.action} on "
                            f"{model.display_name(res.key)}")
                    latent[(trig.source, trig.function)] = Edge(
                        trig, confidence, reason, (), tuple(dict.fromkeys([*(was.denied if was else ()), fn.key])),
                        was.would_need if was else need)
                    continue
                prev = seen.get((trig.source, trig.function))
                writers = tuple(dict.fromkeys([*(prev.writers if prev else ()), fn.key]))
                if prev is None or (prev.confidence == "unresolved" and confidence == "resolved"):
                    seen[(trig.source, trig.function)] = Edge(trig, confidence, reason, writers)
                else:
                    seen[(trig.source, trig.function)] = Edge(prev.trigger, prev.confidence, prev.note, writers)
    site.edges = list(seen.values()) + [e for k, e in latent.items() if k not in seen]
    outcomes = [f"when run as {names(fns)}: target {site.target_sym.describe()} -> {how}"
                for how, fns in by_outcome.items()]
    outcomes += [f"IAM: {res} {'pruned' if verdict == 'deny' else 'kept, permissions not fully known'} "
                 f"when run as {names(fns)}: {why}" for (res, verdict, why), fns in iam.items()]
    site.decisions = outcomes + list(dict.fromkeys(site.decisions))
    for edge in site.edges:
        if edge.latent:
            site.decisions.append(f"latent edge -> {_name(edge.trigger)} (analysed, never blocking: only if "
                                  f"{edge.would_need})")
        else:
            site.decisions.append(f"edge -> {_name(edge.trigger)} [{edge.confidence}: {edge.note}]")


def _name(trig: Trigger) -> str:
    return f"{trig.source.split('/', 1)[1]} -> {trig.function.split('/', 1)[1]}"
