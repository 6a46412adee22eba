"""Static resolution in Python source: which boto3 object an expression holds, and what a string is.

This is deliberately a small abstract interpreter, not a type checker: it follows assignments
(function-local, module globals, ``self.`` attributes), function parameters (through the call
sites in the same module), and imports between modules of the same code root. Anything it cannot
follow becomes ``UNKNOWN`` so that callers keep the edge and label it, rather than drop it.
"""

from __future__ import annotations

import ast
import os.path
from typing import Any

from gate.common.event_patterns import UNKNOWN_VALUE, JsonText
from gate.pyast.index import ModuleIndex, Scope
from gate.pyast.types import UNKNOWN, Handle, Sym, concat, const

_MAX_DEPTH = 12


def _is_os_environ(node: ast.expr, module: ModuleIndex) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name):
        return module.imports.get(node.value.id) == ("os", None)
    if isinstance(node, ast.Name):
        return module.imports.get(node.id) == ("os", "environ")
    return False


def _is_os_func(node: ast.expr, module: ModuleIndex, name: str) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.value, ast.Name):
        return module.imports.get(node.value.id) == ("os", None)
    if isinstance(node, ast.Name):
        return module.imports.get(node.id) == ("os", name)
    return False


def _is_path_join(node: ast.expr, module: ModuleIndex) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "join":
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr == "path" and isinstance(inner.value, ast.Name):
            return module.imports.get(inner.value.id) == ("os", None)
        if isinstance(inner, ast.Name):
            return module.imports.get(inner.id) in (("os.path", None), ("os", "path"), ("posixpath", None))
    return False


def resolve_str(expr: ast.expr | None, scope: Scope, depth: int = 0) -> Sym:
    if expr is None or depth > _MAX_DEPTH:
        return UNKNOWN
    m = scope.module
    if isinstance(expr, ast.Constant):
        return const(expr.value) if isinstance(expr.value, str) else UNKNOWN
    if isinstance(expr, ast.Subscript) and _is_os_environ(expr.value, m):
        name = resolve_str(expr.slice, scope, depth + 1).exact()
        return Sym("env", env=name) if name else UNKNOWN
    if isinstance(expr, ast.Call):
        f = expr.func
        getter = (isinstance(f, ast.Attribute) and f.attr == "get" and _is_os_environ(f.value, m)) or \
            _is_os_func(f, m, "getenv")
        if getter and expr.args:
            name = resolve_str(expr.args[0], scope, depth + 1).exact()
            dflt_node = expr.args[1] if len(expr.args) > 1 else next(
                (k.value for k in expr.keywords if k.arg in ("default",)), None)
            dflt = resolve_str(dflt_node, scope, depth + 1) if dflt_node is not None else None
            return Sym("env", env=name, default=dflt) if name else UNKNOWN
        if _is_path_join(f, m) and expr.args:
            parts: list[Sym] = []
            for i, a in enumerate(expr.args):
                if i:
                    parts.append(const("/"))
                parts.append(resolve_str(a, scope, depth + 1))
            return concat(parts)
        if isinstance(f, ast.Attribute) and f.attr == "format" and isinstance(f.value, ast.Constant) \
                and isinstance(f.value.value, str):
            return _format_template(f.value.value, "{", "}")
        if isinstance(f, ast.Name) and f.id == "str" and len(expr.args) == 1:
            return resolve_str(expr.args[0], scope, depth + 1)
        return UNKNOWN
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for v in expr.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(const(v.value))
            elif isinstance(v, ast.FormattedValue):
                parts.append(resolve_str(v.value, scope, depth + 1))
        return concat(parts) if parts else const("")
    if isinstance(expr, ast.BinOp):
        if isinstance(expr.op, ast.Add):
            return concat([resolve_str(expr.left, scope, depth + 1), resolve_str(expr.right, scope, depth + 1)])
        if isinstance(expr.op, ast.Mod) and isinstance(expr.left, ast.Constant) and isinstance(
                expr.left.value, str):
            return _format_template(expr.left.value, "%", None)
        return UNKNOWN
    if isinstance(expr, ast.Name):
        return _join_syms([resolve_str(v, s, depth + 1) for v, s in _candidates(expr.id, scope, depth)])
    if isinstance(expr, ast.Attribute):
        cands = _attribute_candidates(expr, scope, depth)
        return _join_syms([resolve_str(v, s, depth + 1) for v, s in cands]) if cands else UNKNOWN
    return UNKNOWN


def _format_template(text: str, opener: str, closer: str | None) -> Sym:
    """Prefix and suffix of a ``str.format`` or ``%`` template; the middle is unknown."""
    first = text.find(opener)
    if first < 0:
        return const(text)
    if closer is None:  # printf-style: the conversion is the letter after the last '%'
        last = text.rfind(opener)
        tail_start = last + 2 if last + 1 < len(text) else len(text)
    else:
        tail_start = text.rfind(closer) + 1
    return concat([const(text[:first]), UNKNOWN, const(text[tail_start:])])


def _join_syms(syms: list[Sym]) -> Sym:
    if not syms:
        return UNKNOWN
    first = syms[0]
    if all(s == first for s in syms):
        return first
    # Keep what all alternatives share, e.g. the same prefix.
    prefix, suffix = os.path.commonprefix([s.prefix() for s in syms]), _common_suffix([s.suffix() for s in syms])
    if prefix or suffix:
        return concat([const(prefix), UNKNOWN, const(suffix)])
    return UNKNOWN


def _common_suffix(items: list[str]) -> str:
    return os.path.commonprefix([s[::-1] for s in items])[::-1]


def _candidates(name: str, scope: Scope, depth: int) -> list[tuple[ast.expr, Scope]]:
    m = scope.module
    cands, how = m.lookup(name, scope)
    if how == "import":
        # ``from common import s3``: the value is that module's global, when the module is ours.
        module, attr = m.imports[name]
        other = m.root.module(module) if attr else None
        return other.lookup(attr, other.module_scope)[0] if other is not None and attr else []
    return cands


def definition(expr: ast.expr, scope: Scope, depth: int = 0) -> tuple[ast.expr, Scope]:
    """The expression a name stands for when it has exactly one reaching definition (``entry`` in
    ``entry = {...}; put_events(Entries=[entry])``), followed through a few names; else ``expr``."""
    while isinstance(expr, ast.Name) and depth < _MAX_DEPTH:
        found = _candidates(expr.id, scope, depth)
        if len(found) != 1:
            break
        expr, scope = found[0]
        depth += 1
    return expr, scope


def _attribute_candidates(expr: ast.Attribute, scope: Scope, depth: int) -> list[tuple[ast.expr, Scope]]:
    m = scope.module
    if isinstance(expr.value, ast.Name) and expr.value.id == "self":
        cls = m._enclosing_class(scope)
        if cls:
            return m.class_attrs.get(cls, {}).get(expr.attr, [])
    if isinstance(expr.value, ast.Name) and expr.value.id in m.imports:
        module, attr = m.imports[expr.value.id]
        other = m.root.module(f"{module}.{attr}" if attr else module)
        if other is not None:
            found, _ = other.lookup(expr.attr, other.module_scope)
            return found
    return []


def resolve_handle(expr: ast.expr | None, scope: Scope, depth: int = 0) -> Handle | None:
    if expr is None or depth > _MAX_DEPTH:
        return None
    if isinstance(expr, ast.Call):
        f = expr.func
        service = resolve_str(expr.args[0], scope, depth + 1).exact() if expr.args else None
        for kw in expr.keywords:
            if kw.arg == "service_name":
                service = resolve_str(kw.value, scope, depth + 1).exact()
        # boto3.client('s3') / boto3.resource('s3') / session.client('s3') / client('s3')
        kind = _factory_kind(f, scope, depth)
        if kind in ("client", "resource"):
            return Handle(service, kind) if service and scope.module.root.catalogue.has_service(service) else None
        if kind == "session":
            return Handle("*", "session")
        if isinstance(f, ast.Attribute):
            parent = resolve_handle(f.value, scope, depth + 1)
            if parent is not None and parent.kind != "session":
                sub = scope.module.root.catalogue.sub_resource(parent.service, parent.kind, f.attr)
                if sub is not None:
                    args = {p: _arg(expr, i, p) for i, p in enumerate(sub.params)}
                    target = resolve_str(args[sub.target], scope, depth + 1) if sub.target else parent.target
                    key = resolve_str(args[sub.key], scope, depth + 1) if sub.key else parent.key
                    return Handle(parent.service, sub.name, target=target, key=key)
        return None
    if isinstance(expr, ast.Attribute):
        if expr.attr == "client" and isinstance(expr.value, ast.Attribute) and expr.value.attr == "meta":
            res = resolve_handle(expr.value.value, scope, depth + 1)
            if res is not None and res.kind == "resource":
                return Handle(res.service, "client")
        catalogue = scope.module.root.catalogue
        if expr.attr in catalogue.attribute_names:  # e.g. bucket.objects: a resource-style collection
            parent = resolve_handle(expr.value, scope, depth + 1)
            sub = catalogue.sub_resource(parent.service, parent.kind, expr.attr, attribute=True) if parent else None
            if parent is not None and sub is not None:
                return Handle(parent.service, sub.name, target=parent.target)
        cands = _attribute_candidates(expr, scope, depth)
        return _join_handles([resolve_handle(v, s, depth + 1) for v, s in cands])
    if isinstance(expr, ast.Name):
        return _join_handles([resolve_handle(v, s, depth + 1) for v, s in _candidates(expr.id, scope, depth)])
    return None


def _factory_kind(f: ast.expr, scope: Scope, depth: int) -> str | None:
    m = scope.module
    if isinstance(f, ast.Attribute):
        base = f.value
        if isinstance(base, ast.Name) and m.imports.get(base.id) == ("boto3", None):
            if f.attr in ("client", "resource"):
                return f.attr
            if f.attr == "Session":
                return "session"
        if f.attr == "Session" and isinstance(base, ast.Attribute) and base.attr == "session":
            return "session"
        if f.attr in ("client", "resource"):
            owner = resolve_handle(base, scope, depth + 1)
            if owner is not None and owner.kind == "session":
                return f.attr
    if isinstance(f, ast.Name):
        origin = m.imports.get(f.id)
        if origin in (("boto3", "client"), ("boto3", "resource")):
            return origin[1]
        if origin in (("boto3", "Session"), ("boto3.session", "Session")):
            return "session"
    return None


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _join_handles(handles: list[Handle | None]) -> Handle | None:
    found = [h for h in handles if h is not None]
    if not found:
        return None
    first = found[0]
    if all(h == first for h in found):
        return first
    if all((h.service, h.kind) == (first.service, first.kind) for h in found):
        return Handle(first.service, first.kind, target=UNKNOWN, key=UNKNOWN)
    return None


def static_value(expr: ast.expr | None, scope: Scope, depth: int = 0) -> Any:
    """The statically known shape of a value, for event filters (see ``gate.patterns``).

    Literals, dict/list literals with constant keys, ``json.dumps(...)`` (as ``JsonText``), names
    with one reaching definition, and strings ``resolve_str`` knows exactly; anything else is unknown.
    """

    if expr is None or depth > _MAX_DEPTH:
        return UNKNOWN_VALUE
    if isinstance(expr, ast.Constant):
        return expr.value if isinstance(expr.value, str | int | float | bool) or expr.value is None \
            else UNKNOWN_VALUE
    if isinstance(expr, ast.Dict):
        out: dict[str, Any] = {}
        for k, v in zip(expr.keys, expr.values, strict=True):
            name = resolve_str(k, scope, depth + 1).exact() if k is not None else None
            if name is None:
                return UNKNOWN_VALUE  # ``**other`` or a computed key: the key set is open
            out[name] = static_value(v, scope, depth + 1)
        return out
    if isinstance(expr, ast.List | ast.Tuple):
        return [static_value(e, scope, depth + 1) for e in expr.elts]
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "dumps" \
            and isinstance(expr.func.value, ast.Name) and scope.module.imports.get(expr.func.value.id) == (
                "json", None) and expr.args:
        return JsonText(static_value(expr.args[0], scope, depth + 1))
    if isinstance(expr, ast.Name):
        cands = _candidates(expr.id, scope, depth)
        values = [static_value(v, s, depth + 1) for v, s in cands]
        if values and all(v == values[0] for v in values):
            return values[0]
        return UNKNOWN_VALUE
    exact = resolve_str(expr, scope, depth + 1).exact()
    return exact if exact is not None else UNKNOWN_VALUE


def call_argument(call: ast.Call, params: tuple[str, ...], name: str) -> ast.expr | None:
    """The argument bound to parameter ``name`` of an SDK call (keyword, or positional by order)."""
    index = params.index(name) if name in params else 10_000
    return _arg(call, index, name)
