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
from gate.instrument.types import InstrumentedApp, Owner
from gate.plan.types import Plan

SHARED = ""  # the component of whatever no component owns
_BUCKET = "bucket:"  # union-find nodes that tie the code roots storing and reading one bucket
# Dotted names inside a callable name as Pysa prints it (``f[fgpkg_1_x.g]`` is parameterized by one).
_DOTTED = re.compile(r"[A-Za-z_][\w.]*")
Results = tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]


@dataclass
class Partition:
    """Which component (named by its first package) owns each package and each bucket's content."""

    of_package: dict[str, str] = field(default_factory=dict)
    of_bucket: dict[str, str] = field(default_factory=dict)

    @property
    def components(self) -> list[str]:
        return sorted(set(self.of_package.values()))

    def of(self, owner: Owner) -> str:
        """The component of a generated block (see ``gate.instrument.types.Owner``)."""
        if owner.package is not None:
            return self.of_package.get(owner.package, SHARED)
        if owner.bucket is not None:
            return self.of_bucket.get(owner.bucket, SHARED)
        return SHARED

    def of_callable(self, app: InstrumentedApp, name: str) -> str:
        """The component of a callable Pysa reports (an issue's callable, a model's name): the
        application code it names anywhere (also as a parameter of another callable), else the
        generated callable it is, else shared."""
        dotted = _DOTTED.findall(name)
        for part in dotted:
            package = app.package_of(part)
            if package is not None:
                return self.of_package.get(package, SHARED)
        for part in dotted:
            generated = app.generated_callable(part)
            if generated is not None:
                return self.of(generated.owner)
        return SHARED


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
    for root in plan.roots:
        for layer in root.layers:  # a layer's code is analysed with every code root that imports it
            if layer.package in parent:
                union(root.package, layer.package)
    by_index = {id(root.index): root.package for root in plan.roots}
    for site in plan.content.sites:
        package = site.write.root.package if site.write is not None else by_index.get(id(site.module.root))
        if package is None:
            continue
        for bucket in site.buckets:
            if bucket in plan.content.buckets:
                anchor = _BUCKET + bucket
                parent.setdefault(anchor, anchor)
                union(anchor, package)
    part = Partition()
    for root in plan.roots:
        part.of_package[root.package] = find(root.package)
    for bucket in plan.content.buckets:
        anchor = _BUCKET + bucket
        if anchor in parent:
            part.of_bucket[bucket] = find(anchor)
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
            owner = self.partition.of_callable(self.app, str(issue.get("callable", "")))
            out.setdefault(owner, ([], {}))[0].append(issue)
        for name, data in models.items():
            out.setdefault(self.partition.of_callable(self.app, name), ([], {}))[1][name] = data
        return out


def copy_texts(app: InstrumentedApp) -> list[tuple[str, str]]:
    """(path relative to the work directory, text) of the whole copy, in a fixed order."""
    prefix = len(str(app.root.parent)) + 1
    return sorted((str(path)[prefix:], text) for path, text in app.files.items())


def split_copy(app: InstrumentedApp, part: Partition) -> SplitCopy:
    """Generated files are cut along the blocks instrumentation describes; the other files belong
    to the component of the package directory they are in, or are shared."""
    split = SplitCopy(app, part)
    in_root = str(app.root) + "/"
    for path in sorted(app.files, key=str):
        where = str(path)
        top = where[len(in_root):].split("/", 1)[0] if where.startswith(in_root) else ""
        if path in app.blocks:
            split.blocks[path] = [(part.of(owner), text) for owner, text in app.blocks[path]]
        elif part.of_package.get(top, SHARED) != SHARED:
            split.owned_files.setdefault(part.of_package[top], []).append(path)
        else:
            split.shared_files.append(path)
    return split
