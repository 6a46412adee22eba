"""Turn Pysa issues into findings on the user's code: full trace, hop chain, functions, confidence.

A Pysa issue records only the frame where source and sink meet. The full path is rebuilt by
following each frame into the callee's model (``sources`` for the forward half, ``sinks`` for the
backward half) until a leaf. Frames that enter a generated hop become service hops: the call site
is the user's SDK write, and the hop's own call is the triggered handler.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gate.findings.types import Finding, Hop, Step
from gate.instrument.types import InstrumentedApp
from gate.model.types import AppModel
from gate.plan.local_files import is_local_store, owner_of
from gate.plan.types import ContentSite, Edge, WriteSite
from gate.policy.rules import Rule
from gate.policy.types import Policy

_MAX_FRAMES = 60  # frames in one path
_MAX_PATHS = 16  # sink paths expanded from one Pysa issue
_FRAME_BUDGET = 400  # frames visited per issue half


def build_findings(model: AppModel, app: InstrumentedApp, issues: list[dict[str, Any]],
                   models: dict[str, dict[str, Any]], policy: Policy) -> list[Finding]:
    out: dict[tuple, Finding] = {}
    rules = policy.rules_by_code
    legs: dict[tuple[bool, int, str], list[Finding]] = {}  # (store?, policy rule code, bucket) -> legs
    for issue in issues:
        leg = app.content_legs.get(issue.get("code", 0))
        if leg is not None:
            legs.setdefault((leg.store, leg.rule.code, leg.bucket), []).extend(
                _findings_of_issue(model, app, issue, models, leg.pysa))
            continue
        rule = rules.get(issue.get("code", 0))
        if rule is None:
            continue
        for finding in _findings_of_issue(model, app, issue, models, rule):
            _add(out, finding)
    for (store, code, bucket), stored in legs.items():
        if not store:
            continue
        for s in stored:
            for r in legs.get((False, code, bucket), []):
                for finding in _join(model, app, rules[code], bucket, s, r):
                    _add(out, finding)
    for finding in out.values():
        if finding.other_paths:
            finding.notes.append(f"{finding.other_paths} other path(s) from the same entry reach this sink; "
                                 "the shortest is shown")
    # In rule order; the verdict stage decides severities (and orders by them).
    return sorted(out.values(), key=lambda f: (f.rule.code, str(f.sink.file), f.sink.line))


def _add(out: dict[tuple, Finding], finding: Finding) -> None:
    """One finding per (rule, entry function, sink location): the shortest chain that never repeats a
    hop, with the number of other chains as a note (a function writing back to its own trigger would
    otherwise be one finding per trip around the loop)."""
    key = (finding.rule.code, finding.source_function, str(finding.sink.file), finding.sink.line)
    kept = out.get(key)
    if kept is None:
        out[key] = finding
        return
    best, other = (finding, kept) if _chain_rank(finding) < _chain_rank(kept) else (kept, finding)
    best.other_paths += 1 + other.other_paths
    out[key] = best


def _chain_rank(finding: Finding) -> tuple[int, int, int]:
    hops = [(h.resource, h.to_function) for h in finding.hops]
    return (len(hops) != len(set(hops)), len(hops), finding.confidence != "high")


def _join(model: AppModel, app: InstrumentedApp, rule: Rule, bucket: str, store: Finding, read: Finding
          ) -> list[Finding]:
    """A store leg and a read leg of the same rule and bucket: one flow through the object's content."""
    read_site = app.content.read(read.content_read)
    store_site = _store_site(app, store.content_store)
    if read_site is None or store_site is None:
        return []
    writer = store.sink_function
    store_conf = {c for fn, c, _how in store_site.buckets.get(bucket, []) if fn == writer} or {"unresolved"}
    out = []
    local = is_local_store(bucket)
    for reader, conf, how in read_site.buckets.get(bucket, []):
        resolved = conf == "resolved" and store_conf == {"resolved"}
        service = store_site.api.service
        if local:  # the function's own local files (gate.plan.local_files)
            hop = Hop("local-file", owner_of(bucket), "file written and read back", writer, reader,
                      "resolved" if resolved else "unresolved",
                      "same file written and read" if resolved else f"file of the read: {how}")
        else:
            hop = Hop(service, bucket, "object content", writer, reader, "resolved" if resolved else "unresolved",
                      "object written and read back" if resolved else f"bucket of the read: {how}")
        steps = [st for st in store.steps if st.file is not None]  # not the generated store call
        if steps and steps[-1].kind == "write":
            message = (f"writes a local file (opened at line {store_site.line})" if local else
                       f"writes the file that {store_site.api.label}(...) stores (line {store_site.line})"
                       if store_site.files else
                       f"{store_site.api.label}(...) stores the object's content")
            steps[-1] = replace(steps[-1], message=message)
        first = read.source
        steps.append(Step("trigger", first.file, first.line, first.column,
                          f"{model.display_name(reader)} reads back a local file it writes ({how})" if local else
                          f"{model.display_name(reader)} reads the object's content from "
                          f"{service}:{model.display_name(bucket)} ({read_site.api.label})", reader))
        in_reader = True
        for st in read.steps[1:]:
            in_reader = in_reader and st.kind != "trigger"
            steps.append(Step(st.kind, st.file, st.line, st.column, st.message, reader if in_reader else st.function))
        hops = [*store.hops, hop, *read.hops]
        low = any(h.confidence != "resolved" for h in hops)
        latent = _latent_note(hops, read.sink_callable)
        out.append(Finding(rule, rule.severity, "low" if low else "high",
                           store.source_function, read.sink_function if read.hops else reader,
                           read.sink_callable, steps, hops,
                           notes=[*([latent] if latent else []),
                                  *(f"{h.label(model)}: {h.note}" for h in hops if h.confidence != "resolved")],
                           sink_scope=read.sink_scope, origin=store.origin, latent=latent))
    return out


def _latent_note(hops: list[Hop], sink_callable: str) -> str:
    """What would make a flow through writes a role denies real ("" when no hop is latent)."""
    needs = [h.would_need for h in hops if h.would_need]
    return f"latent: would reach {sink_callable} if {' and '.join(needs)}" if needs else ""


def _store_site(app: InstrumentedApp, name: str) -> ContentSite | None:
    """The store behind the last generated callee of a store leg: a write hop, or an upload file's class."""
    generated = app.generated.get(name)
    if generated is not None and generated.kind == "hop":
        site = app.hops.get(name)
        return app.content.store_of(site.id) if site else None
    if generated is not None and generated.kind == "upload-file":
        return next((s for s in app.content.stores() if s.id == generated.site), None)
    return None


def _findings_of_issue(model: AppModel, app: InstrumentedApp, issue: dict[str, Any],
                       models: dict[str, dict[str, Any]], rule: Rule) -> list[Finding]:
    """One finding per sink reached: Pysa merges all sinks behind one call site into one issue."""
    traces = {t["name"]: t.get("roots") or [] for t in issue.get("traces", [])}
    here = (issue["callable"], issue["filename"])
    forward = _walk(app, models, here, traces.get("forward", []), "sources", rule.sources, limit=1)
    backward = _walk(app, models, here, traces.get("backward", []), "sinks", rule.sinks, limit=_MAX_PATHS)
    source_part = list(reversed(forward[0])) if forward else []
    found = [_finding(model, app, issue, source_part + path, rule) for path in backward or [[]]]
    first = source_part[0]["callable"] if source_part else issue["callable"]
    return [each for f in found if f is not None for each in _per_entry(model, app, f, first)]


def _per_entry(model: AppModel, app: InstrumentedApp, finding: Finding, callable_name: str) -> list[Finding]:
    """A handler several exposed functions share (same code and handler): one finding per function
    that makes the flow's first write (all of them when the flow has no hop), so that each is named
    and a suppression covers only the one it names."""
    if finding.origin != "event" or finding.source_function is None:
        return [finding]
    entries = [k for k in _functions_of(app, callable_name) if model.entry_kinds(k)]
    if finding.source_function not in entries or len(entries) < 2:
        return [finding]
    first_hop = finding.hops[0] if finding.hops else None
    writers = (first_hop.writers or first_hop.denied) if first_hop is not None else ()
    named = [k for k in entries if not writers or k in writers]  # a role that may not write: no flow
    if not named:
        return [finding]
    return [finding if k == finding.source_function else _as_entry(finding, k) for k in named]


def _as_entry(finding: Finding, other: str) -> Finding:
    """The same flow entered through another function that runs the same handler."""
    own = finding.source_function
    in_source = True
    steps = []
    for st in finding.steps:
        in_source = in_source and st.kind != "trigger"
        steps.append(replace(st, function=other) if in_source and st.function == own else st)
    hops = [replace(h, from_function=other) if i == 0 and h.from_function == own else h
            for i, h in enumerate(finding.hops)]
    sink_fn = other if not finding.hops and finding.sink_function == own else finding.sink_function
    return replace(finding, source_function=other, sink_function=sink_fn, steps=steps, hops=hops,
                   notes=list(finding.notes))


def _finding(model: AppModel, app: InstrumentedApp, issue: dict[str, Any], raw: list[dict[str, Any]],
             rule: Rule) -> Finding | None:
    if not raw:
        return None
    steps: list[Step] = []
    hops: list[Hop] = []
    current_fn = _functions_of(app, issue["callable"])
    first = raw[0]
    source_fn = _pick_entry(model, _functions_of(app, first["callable"])) or (
        current_fn[0] if current_fn else None)
    content_read = _content_read(app, first.get("leaf"))
    read_site = app.content.read(content_read) if content_read else None
    readers = [k for runs in (read_site.buckets.values() if read_site else []) for k, _c, _h in runs]
    if readers and source_fn not in readers:
        source_fn = readers[0]  # the function that runs the read, not any function of its code root
    fn = source_fn
    for i, frame in enumerate(raw):
        if frame["type"] == "hop-call":
            site: WriteSite | None = app.hop_site(frame["callee"])
            steps.append(_step(app, frame, "write", site.api.label + "(...)" if site else "SDK write", fn))
            continue
        if frame["type"] == "trigger":
            targets = _functions_of(app, frame["callee"])
            prev_site = _previous_site(app, raw[:i])
            edge = _edge_for(prev_site, targets)
            to_fn = edge.trigger.function if edge else (targets[0] if targets else None)
            if prev_site is not None and edge is not None:
                hops.append(Hop(prev_site.api.service, edge.trigger.source, prev_site.api.label, fn,
                                edge.trigger.function, edge.confidence, edge.note, edge.writers, edge.denied,
                                edge.would_need if edge.latent else ""))
            fn = to_fn
            res_name = model.display_name(edge.trigger.source) if edge else "?"
            bridged = edge.trigger.details.get("eventbridge_rule") if edge else None
            steps.append(Step("trigger", app.original(frame["file"]), frame["callable_line"], 0,
                              f"{model.display_name(to_fn) if to_fn else frame['callee']} triggered by "
                              f"{prev_site.api.service if prev_site else '?'}:{res_name}"
                              + (f" through EventBridge rule {bridged}" if bridged else ""), fn))
            continue
        kind = frame["type"]
        steps.append(_step(app, frame, kind, frame["message"], fn))
    last_write = next((f for f in reversed(raw) if f["type"] == "hop-call"), None)
    content_store = last_write["callee"].split(".")[1] if last_write else ""  # the generated callable
    leaf = raw[-1].get("leaf") or "?"
    # The HttpResponse sink is the handler's own return value.
    sink_callable = "HTTP response" if "HttpResponse" in rule.sinks else app.user_name(leaf)
    low = any(h.confidence != "resolved" for h in hops)
    notes = [f"{h.label(model)}: {h.note}" for h in hops if h.confidence != "resolved"]
    latent = _latent_note(hops, sink_callable)
    if latent:
        notes.insert(0, latent)
    return Finding(rule, rule.severity, "low" if low else "high", source_fn, fn, sink_callable, steps, hops,
                   notes=notes, latent=latent, sink_scope=app.user_name(raw[-1].get("callable", "?")),
                   content_read=content_read, content_store=content_store,
                   origin=_leaf_origin(app, first.get("leaf")) if first["type"] == "source" else "event")


def _content_read(app: InstrumentedApp, leaf: str | None) -> str:
    """The generated read helper a content leg starts at (its name in the hop module), or ''."""
    generated = app.generated_callable(leaf or "")
    if generated is None or generated.kind not in ("content-read", "content-read-file"):
        return ""
    return (leaf or "").split(".", 1)[1]


def _walk(app: InstrumentedApp, models: dict[str, dict[str, Any]], here: tuple[str, str],
          roots: list[dict[str, Any]], section: str, kinds: tuple[str, ...], limit: int) -> list[list[dict[str, Any]]]:
    """Follow one half of an issue to its leaves; each path runs from the issue outwards.

    Every branch whose taint kinds match the rule is followed, up to ``limit`` paths and a global
    budget of frames, so cyclic or very wide models cannot blow up.
    """
    paths: list[list[dict[str, Any]]] = []
    budget = [_FRAME_BUDGET]

    def follow(callable_name: str, filename: str, candidates: list[dict[str, Any]],
               prefix: list[dict[str, Any]]) -> None:
        matching = [c for c in candidates if any(k.get("kind") in kinds for k in c.get("kinds", []))]
        for frame in matching or candidates[:1]:
            if len(paths) >= limit or budget[0] <= 0 or len(prefix) >= _MAX_FRAMES:
                return
            budget[0] -= 1
            leaf = _leaf_name(frame)
            if "origin" in frame:
                origin = frame["origin"]
                paths.append([*prefix, {"type": "source" if section == "sources" else "sink",
                                        "callable": callable_name, "file": filename, "line": origin["line"],
                                        "col": origin.get("start", 0), "leaf": leaf,
                                        "message": _leaf_message(app, leaf, section)}])
                continue
            call = frame.get("call")
            if not call:
                continue
            callee = (call.get("resolves_to") or ["?"])[0]
            pos = call.get("position") or {}
            model = models.get(callee)
            stands_for = _opened_file(app, callee) if section == "sinks" else None
            if stands_for is not None:  # a generated stand-in for the user's own open(): the sink is here
                paths.append([*prefix, {"type": "sink", "callable": callable_name, "file": filename,
                                        "line": pos.get("line", 0), "col": pos.get("start", 0),
                                        "leaf": stands_for, "message": f"reaches {stands_for}"}])
                continue
            if app.in_generated_module(callable_name):
                step = {"type": "trigger", "callee": callee, "file": (model or {}).get("filename", "*"),
                        "callable_line": (model or {}).get("callable_line", 1), "callable": callable_name}
            else:
                step = {"type": "hop-call" if app.in_generated_module(callee) else "call",
                        "callable": callable_name, "file": filename, "line": pos.get("line", 0),
                        "col": pos.get("start", 0), "callee": callee, "message": f"calls {app.user_name(callee)}",
                        "leaf": leaf}
            if model is None:
                paths.append([*prefix, step])
                continue
            follow(callee, model.get("filename", "*"), _matching_port(model.get(section) or [], call.get("port", "")),
                   [*prefix, step])

    follow(here[0], here[1], roots, [])
    return paths


def _opened_file(app: InstrumentedApp, callee: str) -> str | None:
    """``open`` when ``callee`` is a generated helper that stands for the user's ``open(path)``."""
    generated = app.generated_callable(callee)
    return "open" if generated is not None and generated.kind in ("content-read-file", "upload-open") else None


def _matching_port(entries: list[dict[str, Any]], port: str) -> list[dict[str, Any]]:
    root = port.split("[", 1)[0]
    exact = [t for e in entries if e.get("port") == port for t in e.get("taint", [])]
    if exact:
        return exact
    # Access paths can be widened or narrowed between caller and callee; match on the root.
    return [t for e in entries if e.get("port", "").split("[", 1)[0] == root for t in e.get("taint", [])]


def _leaf_name(frame: dict[str, Any]) -> str | None:
    for kind in frame.get("kinds", []):
        for leaf in kind.get("leaves", []):
            return leaf.get("name")
    return None


def _leaf_origin(app: InstrumentedApp, leaf: str | None) -> str:
    """What a source leaf is (``Finding.origin``)."""
    if leaf and ("BaseException" in leaf or "traceback" in leaf or "exception_repr" in leaf):
        return "exception-text"
    if leaf and app.is_sdk_model(leaf):
        return "s3-listing"
    if leaf and _content_read(app, leaf):
        return "outside-content"
    return "event"


_ORIGIN_MESSAGES = {"s3-listing": "object keys from an S3 listing",
                    "outside-content": "object content read from S3 (the bucket is writable from outside)",
                    "event": "untrusted event"}


def _leaf_message(app: InstrumentedApp, leaf: str | None, section: str) -> str:
    if section == "sources":
        origin = _leaf_origin(app, leaf)
        if origin == "exception-text":
            return f"exception text ({app.user_name(leaf or '?')})"
        return _ORIGIN_MESSAGES[origin]
    if leaf and app.package_of(leaf):
        return "returned to the HTTP caller"
    return f"reaches {app.user_name(leaf or '?')}"


def _step(app: InstrumentedApp, frame: dict[str, Any], kind: str, message: str, fn: str | None) -> Step:
    rel = frame["file"]
    line, col = frame["line"], frame["col"]
    for shift_col, delta in sorted(app.column_shifts.get(rel, {}).get(line, []), reverse=True):
        if col > shift_col:
            col = max(shift_col, col - delta)
    return Step(kind, app.original(rel), line, col + 1, message, fn)


def _functions_of(app: InstrumentedApp, callable_name: str) -> list[str]:
    if callable_name in app.handlers:
        return list(app.handlers[callable_name])
    package = callable_name.split(".", 1)[0]
    return [k for dotted, keys in app.handlers.items() if dotted.split(".", 1)[0] == package for k in keys]


def _pick_entry(model: AppModel, keys: list[str]) -> str | None:
    for k in keys:
        if model.entry_kinds(k):
            return k
    return keys[0] if keys else None


def _previous_site(app: InstrumentedApp, frames: list[dict[str, Any]]) -> WriteSite | None:
    for frame in reversed(frames):
        if frame["type"] == "hop-call":
            return app.hop_site(frame["callee"])
    return None


def _edge_for(site: WriteSite | None, targets: list[str]) -> Edge | None:
    if site is None:
        return None
    for edge in site.edges:
        if edge.trigger.function in targets:
            return edge
    return None
