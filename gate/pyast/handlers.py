"""Which Python function a Lambda ``Handler`` string runs, whatever shape the module gives it.

``Handler: app.handler`` names a module attribute, and Lambda calls whatever it is bound to: a
``def``, a bound method (``handler = Service().handle``), a callable instance (``__call__``), a
``functools.partial`` of a function, an alias, or a name imported from another module. The event
taint is modelled on the function that really receives the event, at the parameter that receives
it. A shape that cannot be followed without running code (``handler = make_handler()``) is a
located reason the function is not analysed, never a silent pass. (A module-level
``handler = lambda event, context: ...`` is written as a ``def`` by ``gate/pyast/dynamic.py``.)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.pyast.index import ModuleIndex

_DEPTH = 8  # aliases and imports followed before giving up


@dataclass(frozen=True)
class HandlerTarget:
    module: ModuleIndex  # the module that defines the function
    qualname: str  # "handler", "Service.handle"
    params: tuple[str, ...]  # its positional parameters
    event: int  # the index of the one that receives the event


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    return tuple(a.arg for a in [*fn.args.posonlyargs, *fn.args.args])


def _binds(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.name == name
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == name and stmt.value is not None
    if isinstance(stmt, ast.ImportFrom):
        return any((a.asname or a.name) == name for a in stmt.names)
    return False


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements in source order, those inside ``if``/``try``/``with`` blocks included
    (a handler defined under ``try:`` or ``if os.environ[...]:`` is still a module attribute)."""
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.If | ast.With | ast.AsyncWith | ast.Try | ast.TryStar):
            for field in ("body", "orelse", "finalbody"):
                out += _module_level(getattr(stmt, field, []) or [])
            for handler in getattr(stmt, "handlers", []) or []:
                out += _module_level(handler.body)
    return out


def _binding(module: ModuleIndex, name: str) -> ast.stmt | None:
    """The last module-level statement that binds ``name``."""
    return next((stmt for stmt in reversed(_module_level(module.tree.body)) if _binds(stmt, name)), None)


def resolve_handler(module: ModuleIndex, name: str, depth: int = 0) -> HandlerTarget | str:
    """The function ``module.name`` runs when Lambda calls it, or why that cannot be told."""
    where = f"{module.path.name}"
    if depth > _DEPTH:
        return f"handler {name!r} in {where}: too many aliases to follow"
    stmt = _binding(module, name)
    if stmt is None:
        return f"handler function {name!r} is not defined in {module.path}"
    where = f"{module.path.name}:{stmt.lineno}"
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        params = _params(stmt)
        return HandlerTarget(module, name, params, 0) if params else f"handler {name!r} ({where}) takes no event"
    if isinstance(stmt, ast.ClassDef):
        return f"handler {name!r} ({where}) is a class: Lambda would call its constructor with the event"
    if isinstance(stmt, ast.ImportFrom):
        alias = next(a for a in stmt.names if (a.asname or a.name) == name)
        dotted = module.root.absolute_module(module.dotted, stmt.module or "", stmt.level, module.path)
        other = module.root.module(dotted)
        if other is None:
            return f"handler {name!r} ({where}) is imported from {dotted}, which is not in the code"
        return resolve_handler(other, alias.name, depth + 1)
    value = stmt.value
    assert value is not None
    return _resolve_value(module, name, value, where, depth)


def _resolve_value(module: ModuleIndex, name: str, value: ast.expr, where: str, depth: int) -> HandlerTarget | str:
    if isinstance(value, ast.Name):
        return resolve_handler(module, value.id, depth + 1)
    if isinstance(value, ast.Attribute):  # a bound method: Service().handle, or service.handle
        cls = _class_of(module, value.value, depth)
        method = _method(cls, value.attr) if cls is not None else None
        if method is not None:
            return _method_target(module, cls, method, where)
    if isinstance(value, ast.Call):
        func = value.func
        if _is_partial(module, func) and value.args and isinstance(value.args[0], ast.Name):
            inner = resolve_handler(module, value.args[0].id, depth + 1)
            if isinstance(inner, str):
                return inner
            event = inner.event + len(value.args) - 1
            if event >= len(inner.params):
                return f"handler {name!r} ({where}): the partial binds every parameter of {inner.qualname}"
            return HandlerTarget(inner.module, inner.qualname, inner.params, event)
        cls = _class_of(module, value, depth)  # an instance: Lambda calls its __call__
        call = _method(cls, "__call__") if cls is not None else None
        if call is not None:
            return _method_target(module, cls, call, where)
    shown = ast.get_source_segment(module.source, value) or "an expression"
    return (f"handler {name!r} ({where}) is bound to {shown}: the function it stands for cannot be told "
            "without running the module")


def _is_partial(module: ModuleIndex, func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "partial" and isinstance(func.value, ast.Name) and \
            module.imports.get(func.value.id, ("", None))[0] == "functools"
    return isinstance(func, ast.Name) and module.imports.get(func.id) == ("functools", "partial")


def _class_of(module: ModuleIndex, expr: ast.expr, depth: int) -> ast.ClassDef | None:
    """The class of ``Cls(...)``, or of a module-level name bound to ``Cls(...)``."""
    if depth > _DEPTH:
        return None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        stmt = _binding(module, expr.func.id)
        return stmt if isinstance(stmt, ast.ClassDef) else None
    if isinstance(expr, ast.Name):
        stmt = _binding(module, expr.id)
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            return _class_of(module, stmt.value, depth + 1)
    return None


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = None
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            found = stmt
    return found


def _method_target(module: ModuleIndex, cls: ast.ClassDef, method: ast.FunctionDef | ast.AsyncFunctionDef,
                   where: str) -> HandlerTarget | str:
    params = _params(method)
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list)
    event = 0 if static else 1
    if len(params) <= event:
        return f"handler method {cls.name}.{method.name} ({where}) takes no event"
    return HandlerTarget(module, f"{cls.name}.{method.name}", params, event)
