"""The parsed form of a code root: every module's scopes, imports, assignments and call sites."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gate.common.errors import GateInputError
from gate.pyast.dynamic import normalise
from gate.pyast.types import SdkCatalogue
from gate.pyast.zipped import archive_of, read_member


@dataclass
class Scope:
    module: ModuleIndex
    node: ast.FunctionDef | ast.AsyncFunctionDef | None  # None: module level
    cls: ast.ClassDef | None = None
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    defaults: dict[str, ast.expr] = field(default_factory=dict)

    @property
    def name(self) -> str:
        if self.node is None:
            return "<module>"
        return f"{self.cls.name}.{self.node.name}" if self.cls else self.node.name


def walk(top: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` (same breadth-first order) without its two generator layers per node and without
    the ``Load``/``Store`` context leaves nothing here looks at: indexing thousands of modules spends
    most of its time walking (30 % less this way, measured)."""
    todo = deque([top])
    pop, push, extend = todo.popleft, todo.append, todo.extend
    node_type, context = ast.AST, ast.expr_context
    while todo:
        node = pop()
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                extend([v for v in value if isinstance(v, node_type)])
            elif isinstance(value, node_type) and not isinstance(value, context):
                push(value)
        yield node


class ModuleIndex:
    """One parsed module: its scopes, imports, class attributes and call sites."""

    def __init__(self, root: CodeRoot, dotted: str, path: Path, source: str) -> None:
        self.root = root
        self.dotted = dotted
        self.path = path
        try:
            self.tree = ast.parse(source, filename=str(path))
        except SyntaxError as exc:
            raise GateInputError(f"Python syntax error: {exc.msg}", f"{path}:{exc.lineno}") from None
        except (RecursionError, MemoryError):  # `1+1+...` 50,000 terms: CPython's own parser gives up
            raise GateInputError("Python expression nested too deeply to parse", str(path)) from None
        # Read as the interpreter runs it (gate/pyast/dynamic.py): every stage and the copy see this text.
        normal, self.unresolved = normalise(source, self.tree)
        if normal != source:
            try:
                self.tree = ast.parse(normal, filename=str(path))
                source = normal
            except (SyntaxError, RecursionError):  # a normalisation bug must not hide the module
                pass
        self.source = source
        self.imports: dict[str, tuple[str, str | None]] = {}  # local name -> (module, attribute)
        self.module_scope = Scope(self, None)
        self.scopes: dict[ast.AST, Scope] = {}
        self.functions: dict[str, Scope] = {}  # top-level function name -> scope
        self.methods: dict[tuple[str, str], Scope] = {}
        self.class_attrs: dict[str, dict[str, list[tuple[ast.expr, Scope]]]] = {}
        self.calls: list[tuple[ast.Call, Scope]] = []  # every call of the module, with its scope
        self.import_nodes: list[ast.Import | ast.ImportFrom] = []  # every import statement, at any depth
        self._index()

    # indexing

    def _index(self) -> None:
        self._collect(self.tree.body, self.module_scope)

    def _collect(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self._visit_stmt(stmt, scope)

    def _visit_stmt(self, stmt: ast.stmt, scope: Scope) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # Decorators, defaults and class bases run in the enclosing scope, when the def runs.
            args = stmt.args if not isinstance(stmt, ast.ClassDef) else None
            heads: list[ast.expr | None] = [*stmt.decorator_list]
            heads += [*args.defaults, *args.kw_defaults] if args else [*stmt.bases, *(k.value for k in stmt.keywords)]
            for head in heads:
                if head is not None:
                    self._visit_nodes(head, scope)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            fn_scope = Scope(self, stmt, scope.cls if scope.node is None else None)
            args = stmt.args
            positional = [a.arg for a in [*args.posonlyargs, *args.args]]
            fn_scope.params = positional + [a.arg for a in args.kwonlyargs]
            for name, dflt in zip(positional[len(positional) - len(args.defaults):], args.defaults,
                                  strict=False):
                fn_scope.defaults[name] = dflt
            for a, dflt in zip(args.kwonlyargs, args.kw_defaults, strict=False):
                if dflt is not None:
                    fn_scope.defaults[a.arg] = dflt
            self.scopes[stmt] = fn_scope
            if scope.node is None and scope.cls is None:
                self.functions[stmt.name] = fn_scope
            elif scope.cls is not None and scope.node is None:
                self.methods[(scope.cls.name, stmt.name)] = fn_scope
            self._collect(stmt.body, fn_scope)
            return
        if isinstance(stmt, ast.ClassDef):
            self._collect(stmt.body, Scope(self, None, stmt))
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self.import_nodes.append(stmt)
            if scope.node is None:
                self._record_import(stmt)
        self._visit_nodes(stmt, scope)

    def _visit_nodes(self, top: ast.AST, scope: Scope) -> None:
        for node in walk(top):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                self._record_assign(node, scope)
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                # ``with table.batch_writer() as batch``: batch is (close enough to) the context value
                scope.assigns.setdefault(node.optional_vars.id, []).append(node.context_expr)
            elif isinstance(node, ast.Call):
                self.calls.append((node, scope))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                if node is not top:  # nested in if/try/with: still an import the copy must rewrite
                    self.import_nodes.append(node)
                if scope.node is not None:
                    self._record_import(node)

    def _record_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = (top, None)
        else:
            module = self.root.absolute_module(self.dotted, node.module or "", node.level, self.path)
            for alias in node.names:
                self.imports[alias.asname or alias.name] = (module, alias.name)

    def _record_assign(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None or isinstance(node, ast.NamedExpr):
            targets, value = [node.target], node.value
        else:  # AugAssign or a bare annotation: the value is no longer a single expression
            target = getattr(node, "target", None)
            if isinstance(target, ast.Name) and isinstance(node, ast.AugAssign):
                scope.assigns.setdefault(target.id, []).append(ast.BinOp(
                    left=ast.Name(id=target.id, ctx=ast.Load()), op=node.op, right=node.value))
            return
        for target in targets:
            if isinstance(target, ast.Name):
                scope.assigns.setdefault(target.id, []).append(value)
            elif isinstance(target, ast.Tuple | ast.List):
                for elt in target.elts:  # unpacking: value unknown, but the name is (re)bound
                    if isinstance(elt, ast.Name):
                        scope.assigns.setdefault(elt.id, []).append(ast.Constant(value=...))
            elif (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                  and target.value.id == "self"):
                cls = self._enclosing_class(scope)
                if cls is not None:
                    self.class_attrs.setdefault(cls, {}).setdefault(target.attr, []).append((value, scope))

    def _enclosing_class(self, scope: Scope) -> str | None:
        for (cls, _name), s in self.methods.items():
            if s is scope:
                return cls
        return scope.cls.name if scope.cls else None

    def scope_of(self, node: ast.AST) -> Scope:
        return self.scopes.get(node, self.module_scope)

    # lookups

    def lookup(self, name: str, scope: Scope) -> tuple[list[tuple[ast.expr, Scope]], str]:
        """Where ``name`` gets its value: ``(candidates, how)`` with how in local|param|global|import."""
        if scope.node is not None:
            if name in scope.assigns:
                return [(v, scope) for v in scope.assigns[name]], "local"
            if name in scope.params:
                return self._param_values(name, scope), "param"
        if name in self.module_scope.assigns:
            return [(v, self.module_scope) for v in self.module_scope.assigns[name]], "global"
        return [], "import" if name in self.imports else "none"

    def _param_values(self, name: str, scope: Scope) -> list[tuple[ast.expr, Scope]]:
        assert scope.node is not None
        fn = scope.node.name
        is_method = scope in self.methods.values()
        params = list(scope.params)
        if is_method and params and params[0] in ("self", "cls"):
            params = params[1:]
        out: list[tuple[ast.expr, Scope]] = []
        for call, caller in self.calls:
            f = call.func
            hit = isinstance(f, ast.Attribute) and f.attr == fn if is_method else isinstance(f, ast.Name) and f.id == fn
            if not hit:
                continue
            for i, arg in enumerate(call.args):
                if isinstance(arg, ast.Starred):
                    break
                if i < len(params) and params[i] == name:
                    out.append((arg, caller))
            for kw in call.keywords:
                if kw.arg == name:
                    out.append((kw.value, caller))
        if name in scope.defaults:
            out.append((scope.defaults[name], scope))
        return out


class CodeRoot:
    """All modules of one function code directory, parsed lazily, and the SDK catalogue its
    expressions are resolved against (``gate.services.registry.CATALOGUE`` in a scan)."""

    def __init__(self, directory: Path, files: list[Path], catalogue: SdkCatalogue) -> None:
        self.directory = directory
        self.files = files
        self.catalogue = catalogue
        self._dotted: dict[Path, str] = {}
        self._by_dotted = {self.dotted_name(f): f for f in files}
        self._modules: dict[str, ModuleIndex] = {}

    def dotted_name(self, path: Path) -> str:
        known = self._dotted.get(path)
        if known is None:
            known = self._dotted[path] = self._dotted_of(path)
        return known

    def _dotted_of(self, path: Path) -> str:
        rel = path.relative_to(self.directory).with_suffix("")
        parts = list(rel.parts)
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)

    def has_module(self, dotted: str) -> bool:
        return dotted in self._by_dotted

    def has_top_level(self, name: str) -> bool:
        """A module ``name`` or a package ``name/`` (with or without ``__init__.py``) in this root."""
        return name in self._by_dotted or any(d.startswith(name + ".") for d in self._by_dotted)

    def module(self, dotted: str) -> ModuleIndex | None:
        if dotted not in self._by_dotted:
            return None
        if dotted not in self._modules:
            path = self._by_dotted[dotted]
            self._modules[dotted] = ModuleIndex(self, dotted, path, read_source(path))
        return self._modules[dotted]

    def absolute_module(self, current: str, module: str, level: int, path: Path) -> str:
        if level == 0:
            return module
        package = current.split(".") if path.name == "__init__.py" else current.split(".")[:-1]
        package = package[: len(package) - (level - 1)] if level > 1 else package
        return ".".join([*package, module] if module else package)


MAX_SOURCE_BYTES = 8 * 2**20  # every read is bounded: a hand-written module is far smaller


def read_source(path: Path) -> str:
    """Source text as Python reads it: PEP 263 encoding honoured, line endings normalised (a path
    through a zip archive reads the member, see ``gate.pyast.zipped``)."""
    try:
        inside = None if path.is_file() else archive_of(path)
        if inside is None and path.stat().st_size > MAX_SOURCE_BYTES:
            raise GateInputError(f"Python source larger than {MAX_SOURCE_BYTES // 2**20} MiB is not read", str(path))
        data = read_member(*inside) if inside else path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding).replace("\r\n", "\n")
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise GateInputError(f"cannot read Python source: {exc}", str(path)) from None
