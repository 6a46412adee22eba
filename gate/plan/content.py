"""S3 object content: what one function stores as an object's body reaches the functions that read it.

Pysa follows calls, not storage, so a content flow is analysed as two legs in the same Pysa run and
joined afterwards (``gate.findings``):

* the *store leg*: an untrusted source reaches the content of a write to bucket B
  (``put_object(Body=...)``, ``Object.put(Body=...)``, ``upload_fileobj(Fileobj)``, or
  ``upload_file(path)`` after ``open(path, "w").write(...)`` in the same function) — the copy calls
  ``flowgate_hops.s3_store_<b>(content)``, a sink of kind ``S3Store<b>``;
* the *read leg*: the content read back from B (``get_object(...)["Body"]``, ``Object.get()``,
  ``download_file(..., path)`` then ``open(path)`` in the same function) reaches a policy sink — the
  read becomes ``flowgate_hops.s3_read_<n>(...)``, a source of kinds ``S3Object<b>``.

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
from gate.plan.reach import reached_by
from gate.plan.targets import iam_check, names, target_resources
from gate.plan.types import ContentPlan, ContentSite
from gate.pyast.index import walk
from gate.pyast.resolve import call_argument, resolve_str
from gate.services.base import WriteApi
from gate.services.registry import SERVICES

if TYPE_CHECKING:
    from gate.plan.types import CodeRootPlan, Plan


_GET = "s3:GetObject"


# Reads whose result (or the file they download) carries the object's content.
READS = (
    WriteApi("s3", "client", "get_object", (), "", target="Bucket", key="Key", action=_GET),
    WriteApi("s3", "client", "download_file", ("Bucket", "Key", "Filename", "ExtraArgs", "Callback", "Config"),
             "", target="Bucket", key="Key", action=_GET),
    WriteApi("s3", "Bucket", "download_file", ("Key", "Filename", "ExtraArgs", "Callback", "Config"), "",
             key="Key", action=_GET),
    WriteApi("s3", "Object", "get", (), "", key_from_receiver=True, action=_GET),
    WriteApi("s3", "Object", "download_file", ("Filename", "ExtraArgs", "Callback", "Config"), "",
             key_from_receiver=True, action=_GET),
)


_UPLOAD_URLS = ("generate_presigned_post", "generate_presigned_url")  # a put URL only (see services.s3)


# Writes and the parameter holding the stored content; upload_file stores the file at ``Filename``.
CONTENT_PARAMS = {"put_object": "Body", "put": "Body", "upload_fileobj": "Fileobj", "upload_file": "Filename"}


def plan_content(model: AppModel, plan: Plan) -> ContentPlan:
    sites: list[ContentSite] = []
    for site in plan.writes:
        if site.api.service == "s3" and site.api.method in _UPLOAD_URLS:
            url = ContentSite(len(sites) + 1, "upload-url", site.module, site.call, site.scope, site.api,
                              site.facts, write=site)
            _resolve(model, site.root, url)
            sites.append(url)
        elif site.api.service == "s3" and site.api.method in CONTENT_PARAMS:
            store = ContentSite(len(sites) + 1, "store", site.module, site.call, site.scope, site.api,
                                site.facts, write=site)
            if site.api.method == "upload_file":
                store.files = _opens_of(store, writing=True)
                if not store.files:
                    store.decisions.append("the uploaded file is not written in this function: its content "
                                           "is not followed")
            _resolve(model, site.root, store)
            sites.append(store)
    for root in plan.roots:
        for r in root.content_reads:  # found by the plan's one pass over every call
            facts = SERVICES["s3"].call_facts(r.api, r.call, r.scope, r.handle)
            assert facts is not None  # only presigned URLs may turn out not to be calls on S3
            read = ContentSite(len(sites) + 1, "read", r.module, r.call, r.scope, r.api, facts)
            if "Filename" in r.api.params:
                read.files = _opens_of(read, writing=False)
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
    return ContentPlan([s for s in sites if s.buckets and s.role != "upload-url"], buckets,
                       {b: why for b, why in outside.items() if b in buckets})


def read_api(service: str, receiver: str, method: str) -> WriteApi | None:
    """The content read an SDK call is, if any (``get_object``, ``Object.get``, ``download_file``)."""
    if service != "s3":
        return None
    return next((a for a in READS if a.receiver == receiver and a.method == method), None)


def _opens_of(site: ContentSite, writing: bool) -> list[ast.Call]:
    """``open(path, ...)`` calls in the same function as the transfer, on the same path expression."""

    scope = site.scope
    path = call_argument(site.call, site.api.params, "Filename")
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
    """Buckets the call may touch, per function that runs it, after IAM (a denied call moves nothing)."""

    s3 = SERVICES["s3"]
    candidates = model.resources_of_types(s3.resource_types)
    runner_keys = reached_by(root, site.module, site.scope_name)
    runners = [fn for fn in root.functions if fn.key in runner_keys] or root.functions
    outcomes: dict[str, list[str]] = {}
    for fn in runners:
        resources, how = target_resources(fn, s3, candidates, site.facts.target)
        confidence = "resolved" if how.startswith("resolved") else "unresolved"
        if confidence == "unresolved" and site.role == "read" and _is_event_bucket(site):
            triggering = {t.source for t in model.triggers if t.function == fn.key and t.service == "s3"}
            if triggering:
                resources = [r for r in candidates if r.key in triggering]
                confidence, how = "resolved", "resolved (the bucket named by the triggering S3 event)"
        outcomes.setdefault(how.replace(fn.logical_id, "the function"), []).append(fn.logical_id)
        for res in resources:
            allowed, why = iam_check(model, fn, s3, site, res)
            if allowed == "deny":
                site.decisions.append(f"IAM: {res.logical_id} pruned when run as {fn.logical_id}: {why}")
                continue
            site.buckets.setdefault(res.key, []).append((fn.key, confidence, how))
    site.decisions[:0] = [f"when run as {names(fns)}: bucket {site.facts.target.describe()} -> {how}"
                          for how, fns in outcomes.items()]


def _is_event_bucket(site: ContentSite) -> bool:
    """Is the bucket argument read out of an S3 event record (``...["s3"]["bucket"]["name"]``)?"""

    arg = call_argument(site.call, site.api.params, "Bucket") if site.api.target else None
    if arg is None:
        return False
    texts = [ast.unparse(arg)]
    if isinstance(arg, ast.Name):
        texts += [ast.unparse(v) for v in site.scope.assigns.get(arg.id, [])]
    return any("['bucket']['name']" in t.replace('"', "'") for t in texts)
