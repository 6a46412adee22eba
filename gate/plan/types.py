"""What the plan hands on: code roots, write sites and their edges, SDK source/sink sites, and the
S3 object-content plan."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gate.model.types import AppModel, Function, Trigger
from gate.pyast.handlers import HandlerTarget
from gate.pyast.index import CodeRoot, ModuleIndex, Scope
from gate.pyast.regex_guards import Validation
from gate.pyast.types import Handle, Sym
from gate.services.base import CallFacts, WriteApi


@dataclass(frozen=True)
class Edge:
    trigger: Trigger
    confidence: str  # "resolved" | "unresolved"
    note: str
    writers: tuple[str, ...] = ()  # keys of the functions whose run of this code fires the edge
    # A latent edge (no writer): the functions whose run would fire it if their role allowed the
    # write, and what it would take ("the role of F were allowed sqs:SendMessage on Q").
    denied: tuple[str, ...] = ()
    would_need: str = ""

    @property
    def latent(self) -> bool:
        return not self.writers and bool(self.denied)


@dataclass
class WriteSite:
    id: int
    root: CodeRootPlan
    module: ModuleIndex
    call: ast.Call
    scope: Scope
    api: WriteApi
    handle: Handle
    facts: CallFacts
    edges: list[Edge] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    reached_by: tuple[str, ...] = ()  # functions whose handler reaches this call (syntactic call graph)

    @property
    def scope_name(self) -> str:
        return self.scope.name

    @property
    def target_sym(self) -> Sym:
        return self.facts.target

    @property
    def key_sym(self) -> Sym | None:
        return self.facts.key

    @property
    def file(self) -> Path:
        return self.module.path

    @property
    def line(self) -> int:
        return self.call.lineno

    @property
    def hop_name(self) -> str:
        return f"hop_{self.id}_{self.api.service}_{self.api.method}"


@dataclass
class SdkSite:
    """An SDK call that is a source or sink itself (see ``gate.services.base.SdkHelper``)."""

    module: ModuleIndex
    call: ast.Call
    helper: str
    source: bool = False


@dataclass
class CodeRootPlan:
    directory: Path
    package: str
    files: list[Path]
    functions: list[Function]
    index: CodeRoot
    writes: list[WriteSite] = field(default_factory=list)
    sdk_sites: list[SdkSite] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    validations: dict[Path, list[Validation]] = field(default_factory=dict)  # regex allow-list checks
    content_reads: list[ContentRead] = field(default_factory=list)  # S3 object reads (gate.content)
    reach: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # function key -> scopes it may run
    # A layer's code root: its ``functions`` are the functions whose code imports it (their env and
    # role decide its writes); no handler lives here. A function root lists the layers it uses.
    layer: bool = False
    layers: list[CodeRootPlan] = field(default_factory=list)
    # function key -> the Python function its handler runs and where the event arrives (resolved once)
    handlers: dict[str, HandlerTarget] = field(default_factory=dict)

    def handler_module(self, fn: Function) -> ModuleIndex | None:
        assert fn.handler_file
        return self.index.module(self.index.dotted_name(self.directory / fn.handler_file))

    def handler_dotted(self, fn: Function) -> str:
        """The handler's callable in the instrumented copy, e.g. ``fgpkg_0_src.app.handler``."""
        assert fn.handler_file and fn.handler_function
        return f"{self.package}.{self.index.dotted_name(self.directory / fn.handler_file)}.{fn.handler_function}"


@dataclass
class Plan:
    roots: list[CodeRootPlan]
    writes: list[WriteSite]
    # The app model as planned: each function's status decided here (its code could not be
    # analysed: a problem; no untrusted input reaches it: out of scope). Later stages read this one.
    model: AppModel
    content: ContentPlan = field(default_factory=lambda: ContentPlan([], []))
    function_problems: dict[str, str] = field(default_factory=dict)  # function key -> why not analysed
    # located code the gate cannot follow (a computed import or attribute, a computed SDK service)
    dynamic_problems: list[str] = field(default_factory=list)
    file_problems: dict[Path, str] = field(default_factory=dict)  # module left out of its code root -> why
    out_of_scope: dict[str, str] = field(default_factory=dict)  # function key -> why nothing untrusted reaches it

    def root_of(self, function_key: str) -> CodeRootPlan | None:
        return self._roots_by_function.get(function_key)

    @cached_property
    def _roots_by_function(self) -> dict[str, CodeRootPlan]:
        return {f.key: root for root in self.roots if not root.layer for f in root.functions}


@dataclass
class ContentSite:
    """One read of S3 object content, or one write of it (then ``write`` is its hop site)."""

    id: int
    role: str  # "store" | "read" | "upload-url" (a presigned put handed to a client)
    module: ModuleIndex
    call: ast.Call
    scope: Scope
    api: WriteApi
    facts: CallFacts
    write: WriteSite | None = None
    files: list[ast.Call] = field(default_factory=list)  # open() calls of the downloaded/uploaded path
    # bucket key -> [(function key, "resolved" | "unresolved", how)]
    buckets: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)

    @property
    def scope_name(self) -> str:
        return self.scope.name

    @property
    def key_sym(self) -> Sym | None:
        return self.facts.key

    @property
    def line(self) -> int:
        return self.call.lineno

    @property
    def helper(self) -> str:
        return f"content_{'read' if self.role == 'read' else 'upload_open'}_{self.id}"

    @property
    def file_helper(self) -> str:
        return f"content_read_file_{self.id}"


@dataclass
class ContentPlan:
    sites: list[ContentSite]
    buckets: list[str]  # bucket keys that are both stored to (or written from outside) and read
    # buckets whose content outsiders choose (resource policy, ACL, presigned upload URLs) -> why
    outside: dict[str, str] = field(default_factory=dict)

    def index(self, bucket: str) -> int:
        return self.buckets.index(bucket)

    def stores(self) -> list[ContentSite]:
        return [s for s in self.sites if s.role == "store"]

    def reads(self) -> list[ContentSite]:
        return [s for s in self.sites if s.role == "read"]

    @cached_property
    def _stores_by_write(self) -> dict[int, ContentSite]:
        return {s.write.id: s for s in self.sites if s.role == "store" and s.write is not None}

    def store_of(self, write_id: int) -> ContentSite | None:
        return self._stores_by_write.get(write_id)

    def read(self, helper: str) -> ContentSite | None:
        return next((s for s in self.reads() if helper in (s.helper, s.file_helper)), None)


@dataclass(frozen=True)
class ContentRead:
    """An S3 read the plan found while scanning calls; ``plan_content`` resolves its buckets."""

    module: ModuleIndex
    call: ast.Call
    scope: Scope
    api: WriteApi
    handle: Handle
