"""Which handlers may run which code: a syntactic call graph over a code root (an
over-approximation used to say who runs an SDK call; it never prunes an edge)."""

from __future__ import annotations

import ast

from gate.model.types import Function
from gate.plan.types import CodeRootPlan
from gate.pyast.index import ModuleIndex, walk


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
