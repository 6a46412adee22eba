"""Local files: what a function writes to a file (``/tmp``) reaches what it reads back from one.

A Lambda function's ``/tmp`` outlives the call that wrote it (and later calls of a warm instance
read it), so ``open(a, "w").write(data)`` followed by ``open(b).readlines()`` in code the same
function runs carries ``data`` across, even through helper functions that only pass the path on.
Pysa follows calls, not storage, so this is one more kind of stored content
(``gate.plan.content``): each function has a pseudo-store ``<function key>#tmp``; an ``open`` for
writing is a store (the copy calls a stand-in whose ``write``/``writelines`` are the store's sink)
and an ``open`` for reading is a read (a source of the store's content), and the two legs are
joined by ``gate.findings``.

A read is joined only with writes of the same function, and not when both paths are literals that
differ. A path the plan cannot know exactly (a parameter, say) lowers the confidence of the join.
"""

from __future__ import annotations

import ast

from gate.plan.reach import reached_by
from gate.plan.types import ContentSite, Plan
from gate.pyast.resolve import resolve_str
from gate.pyast.types import Sym
from gate.services.base import CallFacts, WriteApi

LOCAL_FILE = WriteApi("file", "client", "open", ("file", "mode"), "")  # labelled file.open
TMP = "#tmp"  # suffix of a function key that names the function's local files


def is_local_store(key: str) -> bool:
    return key.endswith(TMP)


def owner_of(key: str) -> str:
    """The function whose local files a pseudo-store key names."""
    return key.removesuffix(TMP)


def local_file_sites(plan: Plan, first_id: int, taken: set[int]) -> list[ContentSite]:
    """Stores and reads of local files that a read can be joined with (``taken``: ``open`` calls
    that are already S3 content, by ``id``)."""
    found: list[tuple[ContentSite, str | None]] = []
    for root in plan.roots:
        for path in root.files:
            module = root.index.module(root.index.dotted_name(path))
            if module is None or "open(" not in module.source:
                continue
            for call, scope in module.calls:
                if id(call) in taken or not _is_open(call, module.imports):
                    continue
                writing = _writes(call)
                runner_keys = reached_by(root, module, scope.name)
                runners = ([fn.key for fn in root.functions if fn.key in runner_keys]
                           or [fn.key for fn in root.functions])
                exact = resolve_str(call.args[0], scope).exact() if call.args else None
                how = f"path {exact!r}" if exact is not None else "the path is not known statically"
                site = ContentSite(first_id + len(found), "store" if writing else "read", module, call, scope,
                                   LOCAL_FILE, CallFacts(Sym("unknown")), files=[call])
                site.buckets = {f"{fn}{TMP}": [(fn, "resolved" if exact is not None else "unresolved", how)]
                                for fn in runners}
                found.append((site, exact))
    return _joinable(found)


def _joinable(found: list[tuple[ContentSite, str | None]]) -> list[ContentSite]:
    """Keep a store (read) in a function's pseudo-store only if a read (store) there may touch the same file."""
    paths: dict[tuple[str, str], list[str | None]] = {}
    for site, exact in found:
        for key in site.buckets:
            paths.setdefault((key, site.role), []).append(exact)
    out = []
    for site, exact in found:
        other = "read" if site.role == "store" else "store"
        for key in list(site.buckets):
            others = paths.get((key, other), [])
            if not others or (exact is not None and all(p is not None and p != exact for p in others)):
                del site.buckets[key]
        if site.buckets:
            out.append(site)
    return out


def _is_open(call: ast.Call, imports: dict[str, tuple[str, str | None]]) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "open" and "open" not in imports and bool(call.args)


def _writes(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    text = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"
    return any(ch in text for ch in "wax")
