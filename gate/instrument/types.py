"""What instrumentation hands on: the copy in memory (``InstrumentedApp``), a description of every
piece of code and model it generated (which callable stands for which write or content site, and
which code root or bucket each generated block belongs to), the text edits, and the Pysa rules of
S3 content legs.

Later stages read the description, never the generated text: ``gate.findings`` asks which write a
hop stands for, ``gate.pysa.components`` asks who owns a block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gate.plan.types import ContentPlan, WriteSite
from gate.policy.rules import Rule

HOPS_MODULE = "flowgate_hops"
SDK_MODULE = "flowgate_sdk"
_HOPS_ALIAS = "_fg_hops"
_SDK_ALIAS = "_fg_sdk"


def store_kind(index: int) -> str:
    """The Pysa sink kind of content stored into the ``index``-th followed resource (bucket)."""
    return f"ContentStore{index}"


def object_kind(index: int) -> str:
    """The Pysa source kind of content read from the ``index``-th followed resource (bucket)."""
    return f"ContentObject{index}"


def store_helper(index: int) -> str:
    """The generated sink that stands for storing into the ``index``-th followed resource."""
    return f"content_store_{index}"


@dataclass(frozen=True)
class ContentLeg:
    """One Pysa rule of a content flow: ``rule``'s sources into bucket ``bucket``, or its content into
    ``rule``'s sinks. ``pysa`` is the rule Pysa runs for the leg."""

    pysa: Rule
    rule: Rule
    bucket: str
    store: bool


@dataclass(frozen=True)
class Owner:
    """Who a generated block (a top-level block of the hop module, a line of a model file) belongs
    to: one code root's package, one bucket's content (its stores and reads meet there), or
    nobody (``SHARED``: the same whatever the application code is)."""

    package: str | None = None
    bucket: str | None = None


SHARED = Owner()


@dataclass(frozen=True)
class Generated:
    """A callable of the generated hop module and what it stands for.

    ``kind``: ``hop`` (an SDK write: ``site`` is its ``WriteSite.id``), ``content-store`` (the sink
    of a bucket's stored content: ``site`` is the bucket's index), ``content-read`` and
    ``content-read-file`` (the content a read returns, or the file it downloads: ``site`` is the
    ``ContentSite.id``), ``upload-open`` and ``upload-file`` (``open`` of a file that is uploaded,
    and the stand-in class of that file)."""

    kind: str
    site: int
    owner: Owner


@dataclass
class InstrumentedApp:
    root: Path  # the analysis root (pyrefly project)
    models_dir: Path
    stubs_dir: Path
    # instrumented file (relative to root) -> original file
    file_map: dict[str, Path] = field(default_factory=dict)
    # instrumented file -> {line: [(instrumented col, original col delta)]}
    column_shifts: dict[str, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)
    # dotted handler callable in the copy -> function keys it serves
    handlers: dict[str, list[str]] = field(default_factory=dict)
    hops: dict[str, WriteSite] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    content: ContentPlan = field(default_factory=lambda: ContentPlan([], []))
    content_legs: dict[int, ContentLeg] = field(default_factory=dict)  # Pysa rule code -> leg
    # every file of the copy (under root, models_dir or stubs_dir) -> its text; see materialize()
    files: dict[Path, str] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)  # the copy's package of each code root
    generated: dict[str, Generated] = field(default_factory=dict)  # hop-module name -> what it is
    # generated files (hop module, models) -> their blocks in order, with owners; files[p] joins them
    blocks: dict[Path, list[tuple[Owner, str]]] = field(default_factory=dict)
    # modelled helpers that stand for a user's call -> how reports name that call
    helper_names: dict[str, str] = field(default_factory=dict)

    def original(self, rel: str) -> Path | None:
        return self.file_map.get(rel)

    def generated_callable(self, name: str) -> Generated | None:
        """What ``name`` (``flowgate_hops.X`` or a method of ``X``, as Pysa names it) stands for."""
        module, _, rest = name.partition(".")
        return self.generated.get(rest.split(".", 1)[0]) if module == HOPS_MODULE else None

    def hop_site(self, name: str) -> WriteSite | None:
        """The SDK write a generated hop callable stands for."""
        module, _, rest = name.partition(".")
        local = rest.split(".", 1)[0]
        found = self.generated.get(local) if module == HOPS_MODULE else None
        return self.hops.get(local) if found is not None and found.kind == "hop" else None

    def in_generated_module(self, name: str) -> bool:
        return name.startswith(f"{HOPS_MODULE}.")

    def is_sdk_model(self, name: str) -> bool:
        """A modelled SDK helper (``flowgate_sdk``): S3 listings, DynamoDB scan/query."""
        return name.startswith(f"{SDK_MODULE}.")

    def package_of(self, name: str) -> str | None:
        """The copy's package a callable is in (application code), if it is in one."""
        head = name.split(".", 1)[0]
        return head if head in self.packages else None

    def user_name(self, name: str) -> str:
        """A callable as the user wrote it: without the copy's package prefix or ``builtins.``, and a
        modelled helper the copy calls instead of the user's call named as that call."""
        module, _, helper = name.partition(".")
        if module == SDK_MODULE and helper in self.helper_names:
            return self.helper_names[helper]
        parts = name.split(".")
        if parts and parts[0] in self.packages:
            parts = parts[1:]
        if parts and parts[0] == "builtins":
            parts = parts[1:]
        return ".".join(parts)

    def set_blocks(self, path: Path, blocks: list[tuple[Owner, str]]) -> None:
        self.blocks[path] = blocks
        self.files[path] = "".join(text for _owner, text in blocks)
