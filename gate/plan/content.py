"""Stored content: what one function stores into a resource reaches the functions that read it back.

Followed for every service that declares a ``ContentSpec`` (``gate.services.base``); today that is
S3 object content; a function's local files (``gate.plan.local_files``) are joined the same way.
Pysa follows calls, not storage, so a content flow is analysed as two legs in the same Pysa run and
joined afterwards (``gate.findings``):

* the *store leg*: an untrusted source reaches the content of a write to bucket B
  (``put_object(Body=...)``, ``Object.put(Body=...)``, ``upload_fileobj(Fileobj)``, or
  ``upload_file(path)`` after ``open(path, "w").write(...)`` in the same function) — the copy calls
  ``flowgate_hops.content_store_<b>(content)``, a sink of kind ``ContentStore<b>``;
* the *read leg*: the content read back from B (``get_object(...)["Body"]``, ``Object.get()``,
  ``download_file(..., path)`` then ``open(path)`` in the same function) reaches a policy sink — the
  read becomes ``flowgate_hops.content_read_<n>(...)``, a source of kinds ``ContentObject<b>``.

A store leg of rule R and a read leg of rule R on the same bucket make one finding of R. Buckets
outsiders can write to (``AppModel.external``) also make their content an ``ExternalResource``
source directly. Only buckets with both a store and a read (or an outside writer and a read) are
instrumented. Targets are resolved like writes (env/Ref/literal); a read whose bucket is the
triggering event's (``record["s3"]["bucket"]["name"]``) reads the buckets that trigger the function.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gate.model.types import AppModel
from gate.plan.local_files import local_file_sites
from gate.plan.reach import reached_by
from gate.plan.targets import iam_check, names, target_resources
from gate.plan.types import ContentPlan, ContentSite
from gate.pyast.index import walk
from gate.pyast.resolve import call_argument, resolve_str
from gate.services.base import WriteApi
from gate.services.registry import SERVICES

if TYPE_CHECKING:
    from gate.plan.types import CodeRootPlan, Plan


def plan_content(model: AppModel, plan: Plan) -> ContentPlan:
    sites: list[ContentSite] = []
    for site in plan.writes:
        spec = SERVICES[site.api.service].content
        if spec is None:
            continue
        if site.api.method in spec.upload_url_methods:
            url = ContentSite(len(sites) + 1, "upload-url", site.module, site.call, site.scope, site.api,
                              site.facts, write=site)
            _resolve(model, site.root, url)
            sites.append(url)
        elif site.api.method in spec.store_params:
            store = ContentSite(len(sites) + 1, "store", site.module, site.call, site.scope, site.api,
                                site.facts, write=site)
            if spec.stores_a_file(site.api.method):
                store.files = _opens_of(store, spec.file_param, writing=True)
                if not store.files:
                    store.decisions.append("the uploaded file is not written in this function: its content "
                                           "is not followed")
            _resolve(model, site.root, store)
            sites.append(store)
    for root in plan.roots:
        for r in root.content_reads:  # found by the plan's one pass over every call
            service = SERVICES[r.api.service]
            assert service.content is not None
            facts = service.call_facts(r.api, r.call, r.scope, r.handle)
            assert facts is not None  # only presigned URLs may turn out not to be calls on S3
            read = ContentSite(len(sites) + 1, "read", r.module, r.call, r.scope, r.api, facts)
            if service.content.file_param in r.api.params:
                read.files = _opens_of(read, service.content.file_param, writing=False)
            _resolve(model, root, read)
            sites.append(read)
    outside = {k: why for k, why in model.external.items()}
    for s in sites:
        if s.role == "upload-url":
            for b in s.buckets:
                outside.setdefault(b, f"{s.api.label} at {s.module.path.name}:{s.line} hands out upload URLs")
    stored = {b for s in sites if s.role == "store" and s.buckets for b in s.buckets} | set(outside)
    read = {b for s in sites if s.role == "read" for b in s.buckets}
    buckets = sorted(stored & read)
    for s in sites:
        kept = {b: v for b, v in s.buckets.items() if b in buckets}
        dropped = [model.display_name(b) for b in s.buckets if b not in buckets]
        if dropped and s.role == "store":
            s.decisions.append(f"no function reads {', '.join(dropped)}: content not followed there")
        s.buckets = kept
    kept_sites = [s for s in sites if s.buckets and s.role != "upload-url"]
    taken = {id(c) for s in kept_sites for c in s.files}
    local = local_file_sites(plan, max((s.id for s in sites), default=0) + 1, taken)
    local_buckets = sorted({b for s in local for b in s.buckets})
    return ContentPlan(kept_sites + local, buckets + local_buckets,
                       {b: why for b, why in outside.items() if b in buckets})


def read_api(service: str, receiver: str, method: str) -> WriteApi | None:
    """The content read an SDK call is, if any (S3: ``get_object``, ``Object.get``, ``download_file``)."""
    svc = SERVICES.get(service)
    if svc is None or svc.content is None:
        return None
    return next((a for a in svc.content.reads if a.receiver == receiver and a.method == method), None)


def _opens_of(site: ContentSite, file_param: str, writing: bool) -> list[ast.Call]:
    """``open(path, ...)`` calls in the same function as the transfer, on the same path expression."""
    scope = site.scope
    path = call_argument(site.call, site.api.params, file_param)
    if path is None or scope.node is None:
        return []
    want = ast.dump(path)
    exact = resolve_str(path, scope).exact()
    out = []
    for node in walk(scope.node):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"
                and node.args):
            continue
        same = ast.dump(node.args[0]) == want or (exact is not None and resolve_str(node.args[0], scope).exact()
                                                    == exact)
        mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"),
                                                             None)
        mode_text = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"
        if same and any(ch in mode_text for ch in "wax") == writing:
            out.append(node)
    return out


def _resolve(model: AppModel, root: CodeRootPlan, site: ContentSite) -> None:
    """Resources the call may touch, per function that runs it, after IAM (a denied call moves nothing)."""
    service = SERVICES[site.api.service]
    spec = service.content
    assert spec is not None
    candidates = model.resources_of_types(service.resource_types)
    runner_keys = reached_by(root, site.module, site.scope_name)
    runners = [fn for fn in root.functions if fn.key in runner_keys] or root.functions
    outcomes: dict[str, list[str]] = {}
    for fn in runners:
        resources, how = target_resources(fn, service, candidates, site.facts.target)
        confidence = "resolved" if how.startswith("resolved") else "unresolved"
        if confidence == "unresolved" and site.role == "read" and _is_event_resource(site, spec.event_resource_path):
            triggering = {t.source for t in model.triggers if t.function == fn.key and t.service == service.name}
            if triggering:
                resources = [r for r in candidates if r.key in triggering]
                confidence, how = "resolved", (f"resolved (the {spec.noun} named by the triggering "
                                               f"{service.name.upper()} event)")
        outcomes.setdefault(how.replace(fn.logical_id, "the function"), []).append(fn.logical_id)
        for res in resources:
            allowed, why = iam_check(model, fn, service, site, res)
            if allowed == "deny":
                site.decisions.append(f"IAM: {res.logical_id} pruned when run as {fn.logical_id}: {why}")
                continue
            site.buckets.setdefault(res.key, []).append((fn.key, confidence, how))
    site.decisions[:0] = [f"when run as {names(fns)}: {spec.noun} {site.facts.target.describe()} -> {how}"
                          for how, fns in outcomes.items()]


def _is_event_resource(site: ContentSite, path: str) -> bool:
    """Is the target argument read out of the triggering event (S3: ``...["s3"]["bucket"]["name"]``)?"""
    if not path:
        return False

    arg = call_argument(site.call, site.api.params, "Bucket") if site.api.target else None
    if arg is None:
        return False
    texts = [ast.unparse(arg)]
    if isinstance(arg, ast.Name):
        texts += [ast.unparse(v) for v in site.scope.assigns.get(arg.id, [])]
    return any(path in t.replace('"', "'") for t in texts)
