"""The instrumentation plan: which SDK call fires which trigger, and why.

For each function code root we find the SDK writes (and the SDK calls that are sources or sinks
themselves), resolve each write's target resource in the context of every Lambda function that
runs that code, match it to the triggers of that resource, and evaluate S3 key filters. Every
decision is recorded so ``--explain`` can show it; an unresolvable target keeps its edges, labelled.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gate.content import ContentPlan, ContentRead, ContentSite, plan_content, read_api
from gate.errors import GateInputError
from gate.iam import Target, evaluate
from gate.model import AppModel, Function, Resource, Trigger
from gate.pysource import CodeRoot, Handle, ModuleIndex, Scope, Sym, resolve_handle, walk
from gate.services import SERVICES, Service, WriteApi, write_api
from gate.services.base import CallFacts
from gate.validators import Validation, find_validations

PACKAGE_PREFIX = "fgpkg_"  # every instrumented code root is a package named fgpkg_<n>_<dir>
_SKIP_DIRS = {"__pycache__", "node_modules", ".git", ".aws-sam", "cdk.out", ".venv", "venv", ".tox"}

# SDK calls that are taint sources or sinks themselves, rewritten into modelled helper calls.
# (service, receiver kind, method) -> helper name in flowgate_sdk.
SDK_HELPERS: dict[tuple[str, str, str], str] = {
    ("s3", "client", "list_objects"): "s3_list_objects",
    ("s3", "client", "list_objects_v2"): "s3_list_objects",
    ("s3", "BucketObjects", "all"): "s3_list_objects",
    ("s3", "BucketObjects", "filter"): "s3_list_objects",
    ("dynamodb", "client", "scan"): "dynamodb_scan",
    ("dynamodb", "client", "query"): "dynamodb_query",
    ("dynamodb", "Table", "scan"): "dynamodb_scan",
    ("dynamodb", "Table", "query"): "dynamodb_query",
}


@dataclass(frozen=True)
class Edge:
    trigger: Trigger
    confidence: str  # "resolved" | "unresolved"
    note: str
    writers: tuple[str, ...] = ()  # keys of the functions whose run of this code fires the edge


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
    module: ModuleIndex
    call: ast.Call
    helper: str


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
    content: ContentPlan = field(default_factory=lambda: ContentPlan([], []))
    function_problems: dict[str, str] = field(default_factory=dict)  # function key -> why not analysed
    file_problems: dict[Path, str] = field(default_factory=dict)  # module left out of its code root -> why

    def root_of(self, function_key: str) -> CodeRootPlan | None:
        return self._roots_by_function.get(function_key)

    @cached_property
    def _roots_by_function(self) -> dict[str, CodeRootPlan]:
        return {f.key: root for root in self.roots for f in root.functions}


def build_plan(model: AppModel) -> Plan:
    """The plan for every analysable function; functions whose code is missing or broken are left
    out and recorded in ``Plan.function_problems`` (the scan is then incomplete), files that do not
    parse in ``Plan.file_problems`` (their code root is analysed without them)."""
    roots: dict[Path, CodeRootPlan] = {}
    function_problems: dict[str, str] = {}
    file_problems: dict[Path, str] = {}
    for fn in model.analysable_functions():
        assert fn.code_dir is not None
        if not fn.code_dir.is_dir():
            function_problems[fn.key] = f"code directory {fn.code_dir} does not exist ({_template_of(model, fn)})"
            continue
        root = roots.get(fn.code_dir)
        if root is None:
            root = _code_root(fn.code_dir, len(roots), file_problems)
            roots[fn.code_dir] = root
        problem = _handler_problem(model, fn, root, file_problems)
        if problem is not None:
            function_problems[fn.key] = problem
            continue
        root.functions.append(fn)
    roots = {d: r for d, r in roots.items() if r.functions}
    writes: list[WriteSite] = []
    for root in roots.values():
        for path in root.files:
            module = root.index.module(root.index.dotted_name(path))
            if module is None:
                continue
            _scan_module(model, root, module, writes)
            found = find_validations(module)
            if found:
                root.validations[path] = found
        root.reach = {fn.key: reachable_scopes(root, fn) for fn in root.functions}
        for site in root.writes:
            site.reached_by = reached_by(root, site.module, site.scope_name)
            _resolve_edges(model, root, site)
    plan = Plan(list(roots.values()), writes, function_problems=function_problems,
                file_problems={p: why for p, why in file_problems.items()
                               if any(r.directory in p.parents for r in roots.values())})
    plan.content = plan_content(model, plan)
    return plan


def _code_root(directory: Path, n: int, file_problems: dict[Path, str]) -> CodeRootPlan:
    """A code root with every module parsed up front; modules that do not parse are left out."""
    files, excluded = python_files(directory)
    index = CodeRoot(directory, files)
    bad = []
    for path in files:
        try:
            index.module(index.dotted_name(path))
        except GateInputError as exc:
            file_problems[path] = str(exc)
            bad.append(path)
    if bad:
        files = [f for f in files if f not in bad]
        index = CodeRoot(directory, files)
    return CodeRootPlan(directory, _package_name(directory, n), files, [], index, excluded=excluded)


def reached_by(root: CodeRootPlan, module: ModuleIndex, scope_name: str) -> tuple[str, ...]:
    """Keys of the functions whose handler may run code in ``scope_name`` of ``module``."""
    where = (module.dotted, scope_name)
    return tuple(k for k, scopes in root.reach.items() if where in scopes or scope_name == "<module>")


def reachable_scopes(root: CodeRootPlan, fn: Function) -> set[tuple[str, str]]:
    """(module, function) pairs a handler may call, following names syntactically.

    Calls by name (local functions and names imported from the code root), ``module.func`` for code-root
    modules, ``Class()`` (all its methods) and ``x.method()`` (methods of that name in the module). An
    over-approximation used to say which functions run an SDK call; it never prunes an edge.
    """
    assert fn.handler_function
    start = root.handler_module(fn)
    if start is None:
        return set()
    seen: set[tuple[str, str]] = set()
    todo = [(start, fn.handler_function)]
    while todo:
        module, name = todo.pop()
        if (module.dotted, name) in seen:
            continue
        seen.add((module.dotted, name))
        scope = module.functions.get(name) or next(
            (sc for (_cls, meth), sc in module.methods.items() if f"{_cls}.{meth}" == name), None)
        if scope is None or scope.node is None:
            continue
        for node in walk(scope.node):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name):
                if f.id in module.functions:
                    todo.append((module, f.id))
                elif any(cls == f.id for cls, _m in module.methods):
                    todo += [(module, f"{cls}.{m}") for cls, m in module.methods if cls == f.id]
                elif f.id in module.imports:
                    other_name, attr = module.imports[f.id]
                    other = root.index.module(other_name)
                    if other is not None and attr:
                        todo.append((other, attr))
            elif isinstance(f, ast.Attribute):
                if isinstance(f.value, ast.Name) and f.value.id in module.imports:
                    other_name, attr = module.imports[f.value.id]
                    other = root.index.module(f"{other_name}.{attr}" if attr else other_name)
                    if other is not None:
                        todo.append((other, f.attr))
                todo += [(module, f"{cls}.{m}") for cls, m in module.methods if m == f.attr]
    return seen


def _template_of(model: AppModel, fn: Function) -> str:
    return f"{model.stack(fn.stack).template_path} (resource {fn.logical_id})"


def _package_name(directory: Path, n: int) -> str:
    stem = re.sub(r"\W+", "_", directory.name).strip("_").lower() or "code"
    return f"{PACKAGE_PREFIX}{n}_{stem}"[:60]


def python_files(directory: Path) -> tuple[list[Path], list[str]]:
    """Application ``.py`` files of a code root; vendored packages (those with dist-info) are left out."""
    vendored: set[str] = set()
    with os.scandir(directory) as entries:
        infos = [e.path for e in entries if e.name.endswith((".dist-info", ".egg-info")) and e.is_dir()]
    for info in infos:
        top = Path(info, "top_level.txt")
        if top.is_file():
            vendored.update(line.strip() for line in top.read_text(errors="replace").splitlines() if line.strip())
        record = Path(info, "RECORD")
        if record.is_file():
            for line in record.read_text(errors="replace").splitlines():
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first and not first.endswith((".dist-info", ".egg-info")) and first != "..":
                    vendored.add(first.removesuffix(".py"))
    files: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()  # (device, inode): the same directory or file by any path
    seen_files: set[tuple[int, int]] = set()
    # One walk that never enters skipped or vendored directories (node_modules can hold thousands of
    # files); symlinked directories are followed once each, so a link loop ends.
    for current, dirs, names in os.walk(directory, followlinks=True):
        try:
            st = os.stat(current)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            dirs[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        top = current == str(directory)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
                         and not d.endswith((".dist-info", ".egg-info")) and not (top and d in vendored))
        for name in sorted(names):
            if not name.endswith(".py") or (top and name.removesuffix(".py") in vendored):
                continue
            path = os.path.join(current, name)
            try:
                st = os.stat(path)
            except OSError:  # a dangling link
                continue
            if (st.st_dev, st.st_ino) not in seen_files and stat.S_ISREG(st.st_mode):
                seen_files.add((st.st_dev, st.st_ino))
                files.append(Path(path))
    return sorted(files), sorted(vendored)


def _handler_problem(model: AppModel, fn: Function, root: CodeRootPlan, file_problems: dict[Path, str]
                     ) -> str | None:
    """Why ``fn``'s handler cannot be analysed (a located message), or ``None``."""
    assert fn.handler_file and fn.handler_function
    where = _template_of(model, fn)
    path = root.directory / fn.handler_file
    if path in file_problems:
        return file_problems[path]
    if not path.is_file():
        return f"handler module {fn.handler_file} not found in {root.directory} ({where})"
    module = root.handler_module(fn)
    if module is None:
        return f"handler module {fn.handler_file} is not importable Python ({path})"
    defined = {n.name for n in module.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    assigned = set(module.module_scope.assigns) | set(module.imports)
    if fn.handler_function not in defined | assigned:
        return f"handler function {fn.handler_function!r} is not defined in {path} ({where})"
    return None


def _scan_module(model: AppModel, root: CodeRootPlan, module: ModuleIndex, writes: list[WriteSite]) -> None:
    for call, scope in module.calls:
        f = call.func
        if not isinstance(f, ast.Attribute):
            continue
        handle = resolve_handle(f.value, scope)
        if handle is None:
            continue
        helper = SDK_HELPERS.get((handle.service, handle.kind, f.attr))
        if helper is not None:
            root.sdk_sites.append(SdkSite(module, call, helper))
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
            if allowed == "deny":
                continue
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
                prev = seen.get((trig.source, trig.function))
                writers = tuple(dict.fromkeys([*(prev.writers if prev else ()), fn.key]))
                if prev is None or (prev.confidence == "unresolved" and confidence == "resolved"):
                    seen[(trig.source, trig.function)] = Edge(trig, confidence, reason, writers)
                else:
                    seen[(trig.source, trig.function)] = Edge(prev.trigger, prev.confidence, prev.note, writers)
    site.edges = list(seen.values())
    outcomes = [f"when run as {names(fns)}: target {site.target_sym.describe()} -> {how}"
                for how, fns in by_outcome.items()]
    outcomes += [f"IAM: {res} {'pruned' if verdict == 'deny' else 'kept, permissions not fully known'} "
                 f"when run as {names(fns)}: {why}" for (res, verdict, why), fns in iam.items()]
    site.decisions = outcomes + list(dict.fromkeys(site.decisions))
    for edge in site.edges:
        site.decisions.append(f"edge -> {_name(edge.trigger)} [{edge.confidence}: {edge.note}]")


def iam_check(model: AppModel, fn: Function, service: Service, site: WriteSite | ContentSite, res: Resource
              ) -> tuple[str, str]:
    """May ``fn``'s role perform the call on ``res``? (A denied write fails: it triggers nothing.)"""
    perms = model.permissions.get(fn.key)
    if perms is None or not site.api.action:
        return "unknown", "no permissions recorded"
    name = res.physical_names[0] if res.physical_names else f"<{res.logical_id}>"
    service_arn = service.arn(name)
    arn, prefix = service_arn, None
    if site.api.service == "s3":
        key = site.key_sym.exact() if site.key_sym else None
        prefix = None if key is not None else (site.key_sym.prefix() if site.key_sym else "")
        arn = f"{service_arn}/{key if key is not None else prefix + '*'}"
    return evaluate(perms, site.api.action, Target(res.logical_id, name, arn, service.ref_is_arn, prefix),
                    service_arn)


def names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _name(trig: Trigger) -> str:
    return f"{trig.source.split('/', 1)[1]} -> {trig.function.split('/', 1)[1]}"


def target_resources(fn: Function, service: Service, candidates: list[Resource], sym: Sym
                      ) -> tuple[list[Resource], str]:
    """Which of ``candidates`` (the service's resources) ``sym`` may denote when running as ``fn``, and how."""
    exact = sym.exact()
    if exact is not None:
        hits = [r for r in candidates if service.name_matches(r, exact)]
        if hits:
            return hits, f"resolved (literal name {exact!r})"
        return [], f"resolved to {exact!r}, which names no {service.name} resource of this app (no trigger)"
    envs = [sym] if sym.kind == "env" else [p for p in sym.parts if p.kind == "env"]
    for env_sym in envs:
        binding = fn.env.get(env_sym.env or "")
        if binding is not None and binding.resource:
            hits = [r for r in candidates if r.key == binding.resource]
            if hits:
                return hits, f"resolved (env {binding.describe()})"
        if binding is not None and binding.literal is not None:
            hits = [r for r in candidates if service.name_matches(r, binding.literal)]
            if hits:
                return hits, f"resolved (env {binding.name} = {binding.literal!r})"
            return [], f"resolved (env {binding.name} = {binding.literal!r} names no {service.name} resource)"
        if binding is None and sym.kind == "env":
            if env_sym.default is None:
                return [], f"resolved (env {env_sym.env} is not set on {fn.logical_id}: no target there)"
            inner, how = target_resources(fn, service, candidates, env_sym.default)
            return inner, f"env {env_sym.env} not set on {fn.logical_id}; default: {how}"
    return candidates, f"unresolved ({sym.describe()}): any {service.name} resource"
