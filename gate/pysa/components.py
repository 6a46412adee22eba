"""Independent parts of an instrumented app, so that an edit re-runs Pysa on its part only.

Two code roots belong to one *component* when a generated hop calls from one into the other (an
SDK write and the handler it triggers) or when both store or read the content of one S3 bucket.
Nothing else connects them in the copy: every code root is its own package, imports are rewritten
to it, and what all parts share (``flowgate_sdk``, the anchors, the stubs, ``taint.config``, the
declared models) does not depend on application code. Pysa's models are per-callable summaries of
the callable and its callees, so a run over some components gives, for them, exactly what a run
over the whole app gives.

The cache then holds one Pysa result per component (keyed by that component's files, generated
hops and model lines, plus everything shared), and one for the shared callables. A scan looks up
each component, runs Pysa once over the components that missed (all of them on a cold scan) and
splits that run's results back per component.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.common.cache import key as cache_key
from gate.instrument.types import HOPS_MODULE, InstrumentedApp
from gate.plan.code_roots import PACKAGE_PREFIX
from gate.plan.types import Plan

SHARED = ""  # the owner of whatever no component owns
_BUCKET = "bucket:"  # union-find nodes that tie the code roots storing and reading one bucket
_PACKAGE = re.compile(rf"\b{PACKAGE_PREFIX}\w+")
_HOP_REF = re.compile(rf"\b{HOPS_MODULE}\.(\w+)")
_BLOCK_START = re.compile(r"(?:async\s+)?def\s+([\w.]+)|class\s+(\w+)|import\s+([\w.]+)|from\s+([\w.]+)\s+import")
_MODEL_DEF = re.compile(r"\s*def\s+([\w.]+)")
Results = tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]


@dataclass
class Partition:
    """Which component (named by its first package) owns each package and each generated hop name."""

    of_package: dict[str, str] = field(default_factory=dict)
    of_hop: dict[str, str] = field(default_factory=dict)

    @property
    def components(self) -> list[str]:
        return sorted(set(self.of_package.values()))

    def owner(self, name: str, hops_local: bool = False) -> str:
        """The component a callable, model line or hops-module block belongs to. A name that mentions
        application code anywhere (also a parameterized callable such as ``f[fgpkg_1_x.g]``) is owned
        by that code's component."""
        package = _PACKAGE.search(name)
        if package is not None:
            return self.of_package.get(package.group(0).split(".")[0], SHARED)
        hop = _HOP_REF.search(name)
        local = hop.group(1) if hop else name if hops_local else None
        return self.of_hop.get(local, SHARED) if local else SHARED


def partition(plan: Plan) -> Partition:
    parent: dict[str, str] = {root.package: root.package for root in plan.roots}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    def union(a: str, b: str) -> None:
        ra, rb = sorted((find(a), find(b)), key=lambda r: (r.startswith(_BUCKET), r))
        if ra != rb:
            parent[rb] = ra  # a component is named by its first package, never by a bucket

    for site in plan.writes:
        for edge in site.edges:
            target = plan.root_of(edge.trigger.function)
            if target is not None:
                union(site.root.package, target.package)
    by_index = {id(root.index): root.package for root in plan.roots}
    content_roots: dict[int, str] = {}  # content site id -> package
    for site in plan.content.sites:
        package = site.write.root.package if site.write is not None else by_index.get(id(site.module.root))
        if package is None:
            continue
        content_roots[site.id] = package
        for bucket in site.buckets:
            if bucket in plan.content.buckets:
                anchor = _BUCKET + bucket
                parent.setdefault(anchor, anchor)
                union(anchor, package)
    part = Partition()
    for root in plan.roots:
        part.of_package[root.package] = find(root.package)
    for site in plan.writes:
        part.of_hop[site.hop_name] = part.of_package[site.root.package]
    for i, bucket in enumerate(plan.content.buckets):
        anchor = _BUCKET + bucket
        if anchor in parent:
            part.of_hop[f"s3_store_{i}"] = find(anchor)
    for site in plan.content.sites:
        package = content_roots.get(site.id)
        if package is not None:
            for name in (site.helper, site.file_helper, f"_FgUpload{site.id}"):
                part.of_hop[name] = part.of_package[package]
    return part


@dataclass
class SplitCopy:
    """The instrumented copy cut along a partition: which files (or blocks of generated files) each
    component owns, so that any set of components can be written out and digested on its own."""

    app: InstrumentedApp
    partition: Partition
    shared_files: list[Path] = field(default_factory=list)
    owned_files: dict[str, list[Path]] = field(default_factory=dict)
    blocks: dict[Path, list[tuple[str, str]]] = field(default_factory=dict)  # generated file -> (owner, text)

    def files_for(self, components: set[str]) -> dict[Path, str]:
        """The analysis root for ``components`` (with everything shared)."""
        files = {p: self.app.files[p] for p in self.shared_files}
        for component in components:
            files.update((p, self.app.files[p]) for p in self.owned_files.get(component, []))
        for path, blocks in self.blocks.items():
            files[path] = "".join(text for owner, text in blocks if owner == SHARED or owner in components)
        return files

    def digests(self) -> dict[str, str]:
        """Cache keys: one per component and one (``SHARED``) for the shared callables."""
        texts: dict[str, dict[Path, list[str]]] = {}  # owner -> generated file -> its blocks, in order
        for path, blocks in self.blocks.items():
            for owner, text in blocks:
                texts.setdefault(owner, {}).setdefault(path, []).append(text)
        prefix = len(str(self.app.root.parent)) + 1

        def own(owner: str, files: list[Path]) -> list[tuple[str, str]]:
            mine = texts.get(owner, {})
            return ([(str(p)[prefix:], self.app.files[p]) for p in files]
                    + [(str(p)[prefix:], "".join(mine.get(p, []))) for p in self.blocks])

        shared_digest = cache_key(own(SHARED, self.shared_files))
        out = {SHARED: cache_key([("shared", shared_digest)])}
        for component in self.partition.components:
            files = self.owned_files.get(component, [])
            out[component] = cache_key([("shared", shared_digest), *own(component, files)])
        return out

    def divide(self, issues: list[dict[str, Any]], models: dict[str, dict[str, Any]]) -> dict[str, Results]:
        out: dict[str, Results] = {}
        for issue in issues:
            out.setdefault(self.partition.owner(str(issue.get("callable", ""))), ([], {}))[0].append(issue)
        for name, data in models.items():
            out.setdefault(self.partition.owner(name), ([], {}))[1][name] = data
        return out


def copy_texts(app: InstrumentedApp) -> list[tuple[str, str]]:
    """(path relative to the work directory, text) of the whole copy, in a fixed order."""
    prefix = len(str(app.root.parent)) + 1
    return sorted((str(path)[prefix:], text) for path, text in app.files.items())


def split_copy(app: InstrumentedApp, part: Partition) -> SplitCopy:
    split = SplitCopy(app, part)
    hops = app.root / f"{HOPS_MODULE}.py"
    in_root = str(app.root) + "/"
    for path in sorted(app.files, key=str):
        text = app.files[path]
        where = str(path)
        top = where[len(in_root):].split("/", 1)[0] if where.startswith(in_root) else ""
        if path == hops:
            split.blocks[path] = [(part.owner(name, hops_local=True) if name else SHARED, block)
                                  for name, block in _python_blocks(text)]
        elif path.parent == app.models_dir and path.suffix == ".pysa":
            split.blocks[path] = [(_model_owner(part, line), line) for line in text.splitlines(keepends=True)]
        elif part.of_package.get(top, SHARED) != SHARED:
            split.owned_files.setdefault(part.of_package[top], []).append(path)
        else:
            split.shared_files.append(path)
    return split


def _model_owner(part: Partition, line: str) -> str:
    match = _MODEL_DEF.match(line)
    return part.owner(match.group(1)) if match else SHARED


def _python_blocks(text: str) -> list[tuple[str | None, str]]:
    """Top-level blocks of a generated module: (the name it defines or imports, its text)."""
    blocks: list[tuple[str | None, str]] = []
    for line in text.splitlines(keepends=True):
        starts = line[:1] not in (" ", "\t", "\n", "") and not line.startswith(("#", '"""'))
        if starts or not blocks:
            match = _BLOCK_START.match(line) if starts else None
            blocks.append((next((g for g in match.groups() if g), None) if match else None, line))
        else:
            name, block = blocks[-1]
            blocks[-1] = (name, block + line)
    return blocks
