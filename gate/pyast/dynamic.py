"""Source a type checker reads differently from the interpreter, written as the interpreter runs it.

Every stage reads a module through this normalisation (``ModuleIndex``), so the plan finds the SDK
writes and the copy gives Pysa the calls that really run:

* identifiers are NFKC-normalised, as CPython does (``ｏｓ.system`` is ``os.system``; pyrefly keeps
  the raw text and would not know the name);
* a name given as a constant is written as the name: ``getattr(os, "system")`` → ``(os).system``,
  ``__import__("os")`` and ``importlib.import_module("os")`` → ``os`` (imported), ``sys.modules["os"]``,
  ``vars(os)["system"]``, ``os.__dict__["system"]``;
* ``handler = lambda event, context: ...`` at module level is written as a ``def``, and
  ``run = subprocess.run`` as ``from subprocess import run as run`` (pyrefly follows an import into
  the call graph, not an assigned module attribute);
* a branch the type checker decides statically (``TYPE_CHECKING``, ``sys.version_info``,
  ``sys.platform``, ``os.name``) gets a test it cannot decide, so both branches are analysed.

What cannot be resolved is returned as ``Unresolved``: located code the gate cannot follow, which
makes the scan incomplete (it blocks by default), never a silent pass — the same forms with a
computed name, a boto3 client or resource whose service is computed, a ``botocore`` client, an SDK
method fetched with a computed ``getattr``, a modelled sink kept where calls through it are lost
(in a dict, list, tuple or set; as a class attribute), and ``getattr``/``__import__`` used as
values. Every edit keeps each line where it was.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from gate.common.line_edits import Edit, apply_edits


@dataclass(frozen=True)
class Unresolved:
    line: int
    what: str  # e.g. "getattr(os, <computed name>)"
    why: str


def _dotted(value: object) -> str | None:
    if isinstance(value, str) and value and all(p.isidentifier() and not keyword.iskeyword(p)
                                                for p in value.split(".")):
        return value
    return None


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _one_line(node: ast.AST) -> bool:
    return node.lineno == (node.end_lineno or node.lineno)


class _Normaliser:
    def __init__(self, tree: ast.Module) -> None:
        self.edits: list[Edit] = []
        self.imports: list[str] = []
        self.unresolved: list[Unresolved] = []
        self.modules: dict[str, str] = {}  # local name -> module it is bound to by an import
        self.attrs: dict[str, tuple[str, str]] = {}  # local name -> (module, attribute) from `from m import a`
        self.static_names: set[str] = set()  # names standing for typing.TYPE_CHECKING
        self.made: dict[str, ast.Call] = {}  # name -> the call whose result it holds (any scope)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.modules[a.asname] = a.name
                    else:
                        self.modules[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    self.attrs[a.asname or a.name] = (node.module, a.name)
                    if a.name == "TYPE_CHECKING":
                        self.static_names.add(a.asname or a.name)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id == "TYPE_CHECKING":
                    self.static_names.add("TYPE_CHECKING")  # the `TYPE_CHECKING = False` idiom
                elif isinstance(node.value, ast.Call):
                    self.made[node.targets[0].id] = node.value

    def module_of(self, node: ast.expr) -> str | None:
        return self.modules.get(node.id) if isinstance(node, ast.Name) else None

    def replace(self, node: ast.AST, text: str, imports: tuple[str, ...] = ()) -> None:
        if _one_line(node):
            self.edits.append(Edit(*_span(node), text))
            self.imports += imports

    def cannot(self, node: ast.AST, what: str, why: str) -> None:
        self.unresolved.append(Unresolved(node.lineno, what, why))

    # the forms

    def call(self, node: ast.Call) -> None:
        func, args = node.func, node.args
        if isinstance(func, ast.Name) and func.id == "getattr" and len(args) in (2, 3) and not node.keywords:
            name = args[1].value if isinstance(args[1], ast.Constant) else None
            if isinstance(name, str) and _dotted(name) and "." not in name:
                obj = args[0]
                if (obj.end_lineno or obj.lineno) == (node.end_lineno or node.lineno):
                    self.edits.append(Edit(_span(node)[0], _span(obj)[0], "("))
                    self.edits.append(Edit(_span(obj)[1], _span(node)[1], f").{name}"))
            elif self.module_of(args[0]):
                self.cannot(node, f"getattr({args[0].id}, <computed name>)",  # type: ignore[attr-defined]
                            "the function it returns cannot be told")
            elif self.sdk_object(args[0]):
                self.cannot(node, f"getattr({ast.unparse(args[0])}, <computed name>)",
                            "which SDK operation it calls, and so whether it writes, cannot be told")
        elif isinstance(func, ast.Name) and func.id == "__import__" and args:
            name = _dotted(args[0].value) if isinstance(args[0], ast.Constant) else None
            fromlist = args[3] if len(args) > 3 else next((k.value for k in node.keywords if k.arg == "fromlist"), None)
            if name is None:
                self.cannot(node, "__import__(<computed name>)", "the module it imports cannot be told")
            else:
                whole = fromlist is not None and not (isinstance(fromlist, ast.Constant) and not fromlist.value)
                self.replace(node, name if whole else name.split(".")[0], (name,))
        elif self._is(func, "importlib", "import_module") and args:
            name = _dotted(args[0].value) if isinstance(args[0], ast.Constant) else None
            if name is None:
                self.cannot(node, "importlib.import_module(<computed name>)", "the module it imports cannot be told")
            else:
                self.replace(node, name, (name,))
        elif self._is(func, "boto3", "client") or self._is(func, "boto3", "resource"):
            service = args[0] if args else next((k.value for k in node.keywords if k.arg == "service_name"), None)
            if service is not None and not isinstance(service, ast.Constant):
                self.cannot(node, f"boto3.{func.attr if isinstance(func, ast.Attribute) else func.id}"  # type: ignore[union-attr]
                            "(<computed service>)", "which service it calls, and so where its writes go, "
                            "cannot be told")
        elif isinstance(func, ast.Attribute) and func.attr == "create_client" and "botocore" in self.modules.values():
            self.cannot(node, "botocore create_client(...)", "writes through a botocore client are not followed")

    def sdk_object(self, expr: ast.expr, depth: int = 0) -> bool:
        """Whether ``expr`` holds something made by boto3 or botocore (a client, resource, table)."""
        while isinstance(expr, ast.Call | ast.Attribute | ast.Subscript) and depth < 50:
            expr = expr.func if isinstance(expr, ast.Call) else expr.value
            depth += 1
        if not isinstance(expr, ast.Name):
            return False
        if self.module_of(expr) in ("boto3", "botocore"):
            return True
        made = self.made.get(expr.id)
        return made is not None and depth < 50 and self.sdk_object(made, depth + 1)

    def sink_name(self, expr: ast.expr) -> str | None:
        """``os.system`` (or ``system`` imported from os, or ``eval``) as a modelled sink, else None."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            module = self.module_of(expr.value)
            name = f"{module}.{expr.attr}" if module else None
        elif isinstance(expr, ast.Name):
            module_attr = self.attrs.get(expr.id)
            name = ".".join(module_attr) if module_attr else expr.id
        else:
            return None
        if name is None:
            return None
        # the modules the models name differ from the ones code imports: pickle is _pickle, requests.get
        # is requests.api.get
        seen = {name, "_" + name if name.startswith("pickle.") else name,
                name.replace("requests.", "requests.api.", 1)}
        return name if seen & SINK_CALLABLES else None

    def _is(self, func: ast.expr, module: str, attr: str) -> bool:
        if isinstance(func, ast.Attribute):
            return func.attr == attr and self.module_of(func.value) == module
        return isinstance(func, ast.Name) and self.attrs.get(func.id) == (module, attr)

    def subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        key = node.slice.value if isinstance(node.slice, ast.Constant) else None
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr == "modules" and self.module_of(value.value) == "sys":
            name = _dotted(key)
            if name is None:
                self.cannot(node, "sys.modules[<computed name>]", "the module it names cannot be told")
            else:
                self.replace(node, name, (name,))
            return
        namespace = (value.args[0] if isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                     and value.func.id == "vars" and len(value.args) == 1 else
                     value.value if isinstance(value, ast.Attribute) and value.attr == "__dict__" else None)
        module = namespace.id if namespace is not None and self.module_of(namespace) else None
        if module is None:
            return
        if isinstance(key, str) and key.isidentifier():
            self.replace(node, f"{module}.{key}")
        else:
            self.cannot(node, f"{module}.__dict__[<computed name>]", "the function it returns cannot be told")

    def static(self, test: ast.expr) -> bool:
        """Whether the type checker decides ``test`` without running it."""
        if isinstance(test, ast.Name):
            return test.id in self.static_names
        if isinstance(test, ast.Attribute):
            return ((test.attr == "TYPE_CHECKING" and self.module_of(test.value) in ("typing", "typing_extensions"))
                    or (test.attr in ("version_info", "platform") and self.module_of(test.value) == "sys")
                    or (test.attr == "name" and self.module_of(test.value) == "os"))
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.static(test.operand)
        if isinstance(test, ast.Compare):
            return any(self.static(self._base(x)) for x in [test.left, *test.comparators])
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute):
            return self.static(test.func.value)  # sys.platform.startswith("win")
        return False

    @staticmethod
    def _base(node: ast.expr) -> ast.expr:
        while isinstance(node, ast.Subscript | ast.Attribute) and not (
                isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            node = node.value
        return node

    def branch(self, test: ast.expr) -> None:
        parts = test.values if isinstance(test, ast.BoolOp) else [test]
        for part in parts:
            if self.static(part):
                # a test pyrefly cannot decide: both branches are reachable, as on some runtime
                self.replace(part, '__name__ != "__flowgate__"')
            elif isinstance(part, ast.BoolOp):
                self.branch(part)


def _nfkc_edits(source: str) -> list[Edit]:
    if source.isascii():
        return []
    edits = []
    lines = source.split("\n")
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and not tok.string.isascii():
                normal = unicodedata.normalize("NFKC", tok.string)
                if normal != tok.string and tok.start[0] == tok.end[0]:
                    line = lines[tok.start[0] - 1]
                    start = len(line[:tok.start[1]].encode("utf-8"))
                    end = len(line[:tok.end[1]].encode("utf-8"))
                    edits.append(Edit((tok.start[0], start), (tok.end[0], end), normal))
    except (tokenize.TokenError, SyntaxError):
        return []  # the parser has already accepted this source; a tokenizer quirk only loses this step
    return edits


def _alias_imports(n: _Normaliser, body: list[ast.stmt]) -> list[Edit]:
    """``run = subprocess.run`` at module level is ``from subprocess import run as run``: the same
    binding, which the type checker follows into the call graph (an assigned module attribute it
    does not, so calls through the name were lost). A sink bound to a class attribute is reported."""
    edits = []
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):  # a class attribute bound to a sink: calls through it are lost
            for inner in stmt.body:
                name = n.sink_name(inner.value) if isinstance(inner, ast.Assign) else None
                if name:
                    n.cannot(inner, f"{name} bound to a class attribute of {stmt.name}",
                             "calls through the attribute are not followed")
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Attribute) and _one_line(stmt)):
            continue
        chain, node = [], stmt.value
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        module = n.module_of(node)
        if module is None or not isinstance(node, ast.Name):
            continue
        path = ".".join([module, *reversed(chain[1:])])
        edits.append(Edit(*_span(stmt), f"from {path} import {chain[0]} as {stmt.targets[0].id}"))
    return edits


def _sink_callables() -> frozenset[str]:
    """The plain functions the bundled models make sinks (``os.system``, ``eval``), read from them."""
    models = Path(__file__).resolve().parents[1] / "pysa_data" / "sinks_sources.pysa"
    names = re.findall(r"^def ([\w.]+)\((?=.*TaintSink)", models.read_text(encoding="utf-8"), re.MULTILINE)
    return frozenset(n for n in names if not n.endswith("__init__") and n.count(".") <= 2)


SINK_CALLABLES = _sink_callables()


def _lambda_defs(tree: ast.Module) -> list[Edit]:
    """``name = lambda a, b: expr`` at module level is ``def name(a, b): return expr``: a handler
    bound so gets its model like any def (``gate/pyast/handlers.py``)."""
    edits = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Lambda) and _one_line(stmt)):
            continue
        args = stmt.value.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
            continue
        params = ", ".join(a.arg for a in args.args)
        body = stmt.value.body
        edits.append(Edit(_span(stmt)[0], _span(body)[0], f"def {stmt.targets[0].id}({params}): return ("))
        edits.append(Edit(_span(body)[1], _span(stmt)[1], ")"))
    return edits


def normalise(source: str, tree: ast.Module) -> tuple[str, list[Unresolved]]:
    """The source as the interpreter reads it (same lines), and what could not be resolved."""
    n = _Normaliser(tree)
    n.edits += _lambda_defs(tree) + _alias_imports(n, tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            n.call(node)
        elif isinstance(node, ast.Subscript):
            n.subscript(node)
        elif isinstance(node, ast.If | ast.IfExp):
            n.branch(node.test)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict | ast.List | ast.Tuple | ast.Set):
            for item in [*node.values] if isinstance(node, ast.Dict) else node.elts:
                name = n.sink_name(item)
                if name:
                    n.cannot(item, f"{name} stored in a {type(node).__name__.lower()}",
                             "calls through the container are not followed")
        elif (isinstance(node, ast.Name) and node.id in ("getattr", "__import__") and id(node) not in called
              and isinstance(node.ctx, ast.Load) and node.id not in n.modules and node.id not in n.attrs):
            n.cannot(node, f"{node.id} used as a value", "what it is later called with cannot be told")
    edits = _nfkc_edits(source) + n.edits
    if not edits:
        return source, n.unresolved
    text, _shifts = apply_edits(source, edits)
    for name in dict.fromkeys(n.imports):
        text += f"\nimport {name}  # flowgate: imported by name in this module"
    return text, n.unresolved
