"""Allow-list validation (regular expressions, membership in a literal set of values), recognised so
the instrumented copy can trust it.

Pysa has no path-sensitive sanitizers: ``if not re.fullmatch(r"[a-z0-9-]+", name): return`` does not
clean ``name`` for it. The gate recognises the common validation shapes and, in the copy only,
rebinds the checked name through ``flowgate_sdk.validated`` (a ``Sanitize`` model) at the check:

* guard: ``if not CHECK(name): ... return|raise|continue|break`` — ``name`` is clean after the ``if``;
* positive: ``if CHECK(name): ...`` with no ``else`` and no use of ``name`` after the ``if``;
* ``assert CHECK(name)``.

``CHECK`` is ``re.fullmatch(P, name)``, ``re.match(P, name)`` with ``P`` ending in ``$``/``\\Z``,
``re.search`` with ``P`` anchored at both ends, or the same methods of a module-level
``re.compile(P)``. ``P`` must be a literal allow-list: no ``.``, no negated class or category, none of
the shell/SQL metacharacters below, and not both ``.`` and ``/`` (which would admit ``../``).

``CHECK`` may also be ``name in ALLOWED`` (and the guard ``if name not in ALLOWED: return``), where
``ALLOWED`` is a literal set, list, tuple or dict of constants, or a module-level name bound once to
one (also through ``frozenset``/``set``/``tuple``): the value is then one the developer wrote. The
expression ``name if name in ALLOWED else default`` is trusted the same way.
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass

from gate.pyast.index import ModuleIndex, walk

DANGEROUS = set(";&|$`'\"\\<>(){}[]*?!#%=\n\r\t ,") | {"\x00"}
_WORD = set(string.ascii_letters + string.digits + "_")


@dataclass(frozen=True)
class Validation:
    name: ast.Name  # the argument that gets rebound in the copy
    line: int
    pattern: str
    trusted: bool
    reason: str


def allow_list_verdict(pattern: str) -> tuple[bool, str]:
    """Is ``pattern`` a character allow-list that keeps out shell/SQL/path metacharacters?"""
    import re._constants as c  # type: ignore[import-not-found]
    import re._parser as p  # type: ignore[import-not-found]

    try:
        parsed = p.parse(pattern)
    except Exception as exc:  # re.error and friends: not a usable allow-list
        return False, f"pattern does not compile: {exc}"
    allowed: set[str] = set()

    def walk(items: object) -> str | None:
        for op, arg in items:  # type: ignore[attr-defined]
            if op is c.ANY:
                return "it allows any character ('.')"
            if op is c.NOT_LITERAL:
                return "it has a negated character"
            if op is c.LITERAL:
                allowed.add(chr(arg))
            elif op is c.IN:
                for sub_op, sub_arg in arg:
                    if sub_op is c.NEGATE:
                        return "it has a negated class"
                    if sub_op is c.LITERAL:
                        allowed.add(chr(sub_arg))
                    elif sub_op is c.RANGE:
                        lo, hi = sub_arg
                        allowed.update(chr(i) for i in range(lo, min(hi, 0x7F) + 1))
                    elif sub_op is c.CATEGORY:
                        why = category(sub_arg)
                        if why:
                            return why
            elif op is c.CATEGORY:
                why = category(arg)
                if why:
                    return why
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                why = walk(arg[2])
                if why:
                    return why
            elif op is c.SUBPATTERN:
                why = walk(arg[-1])
                if why:
                    return why
            elif op is c.BRANCH:
                for branch in arg[1]:
                    why = walk(branch)
                    if why:
                        return why
            elif op is c.AT:
                continue
            else:
                return f"it uses {op} which the gate does not evaluate"
        return None

    def category(cat: object) -> str | None:
        if cat is c.CATEGORY_DIGIT:
            allowed.update(string.digits)
        elif cat is c.CATEGORY_WORD:
            allowed.update(_WORD)
        elif cat is c.CATEGORY_SPACE:
            allowed.update(" \t\n\r\f\v")
        else:
            return f"it allows a negated category ({cat})"
        return None

    why = walk(parsed)
    if why:
        return False, why
    bad = sorted(allowed & DANGEROUS)
    if bad:
        return False, f"it allows {''.join(bad)!r}"
    if "." in allowed and "/" in allowed:
        return False, "it allows both '.' and '/' (path traversal)"
    return True, "literal allow-list"


def find_validations(module: ModuleIndex) -> list[Validation]:
    uses_re = ("re", None) in module.imports.values()
    if not uses_re and " in " not in module.source:
        return []  # neither a regex nor a membership test: nothing to look for (most modules)
    compiled = _compiled_patterns(module) if uses_re else {}
    allowed = _allow_lists(module)
    out: list[Validation] = []
    for node in walk(module.tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                for i, stmt in enumerate(block):
                    out += _check_statement(module, stmt, block[i + 1:], compiled, allowed)
        if isinstance(node, ast.IfExp) and isinstance(node.body, ast.Name):
            check = _membership(node.test, allowed)
            if check is not None and check[0].id == node.body.id and not check[2]:
                out.append(Validation(node.body, node.body.lineno, check[1], True, "literal allow-list of values"))
    return out


def _check_statement(module: ModuleIndex, stmt: ast.stmt, after: list[ast.stmt], compiled: dict[str, str],
                     allowed: dict[str, int]) -> list[Validation]:
    if isinstance(stmt, ast.Assert):
        member = _membership(stmt.test, allowed)
        if member is not None and not member[2]:
            return [Validation(member[0], member[0].lineno, member[1], True, "literal allow-list of values")]
        check = _check(module, stmt.test, compiled)
        return [_validation(*check)] if check else []
    if not isinstance(stmt, ast.If):
        return []
    test = stmt.test
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    member = _membership(test.operand if negated else test, allowed)  # type: ignore[attr-defined]
    if member is not None:
        negated = negated != member[2]  # ``x not in A`` reads as ``not (x in A)``
        check: tuple[ast.Name, str] | None = (member[0], member[1])
    else:
        check = _check(module, test.operand if negated else test, compiled)  # type: ignore[attr-defined]
    if check is None:
        return []
    name = check[0]
    if negated:
        if not stmt.body or not isinstance(stmt.body[-1], ast.Return | ast.Raise | ast.Continue | ast.Break):
            return []
        return [_validation(*check)]
    if stmt.orelse or any(isinstance(n, ast.Name) and n.id == name.id for s in after for n in ast.walk(s)):
        return []  # the unvalidated value is still used on another path: keep its taint
    return [_validation(*check)]


def _validation(name: ast.Name, pattern: str) -> Validation:
    if pattern.startswith(_MEMBER):
        return Validation(name, name.lineno, pattern, True, "literal allow-list of values")
    trusted, reason = allow_list_verdict(pattern)
    return Validation(name, name.lineno, pattern, trusted, reason)


_MEMBER = "in "  # how a membership check is described where a regex pattern would be


def _membership(expr: ast.expr, allowed: dict[str, int]) -> tuple[ast.Name, str, bool] | None:
    """``(name, description, negated)`` for ``name in ALLOWED`` / ``name not in ALLOWED``."""
    if not (isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.left, ast.Name)
            and isinstance(expr.ops[0], ast.In | ast.NotIn)):
        return None
    container = expr.comparators[0]
    if isinstance(container, ast.Name) and container.id in allowed:
        size, shown = allowed[container.id], container.id
    else:
        size = _literal_values(container)
        if size is None:
            return None
        shown = "a literal"
    return expr.left, f"{_MEMBER}{shown} ({size} literal value(s))", isinstance(expr.ops[0], ast.NotIn)


def _literal_values(node: ast.expr) -> int | None:
    """How many constants a literal container holds (None when it is not one)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "frozenset", "set", "tuple", "list") and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        elements = node.elts
    elif isinstance(node, ast.Dict):
        elements = [k for k in node.keys if k is not None] if None not in node.keys else []
        if None in node.keys:
            return None
    else:
        return None
    if all(isinstance(e, ast.Constant) and isinstance(e.value, str | int) for e in elements):
        return len(elements)
    return None


def _allow_lists(module: ModuleIndex) -> dict[str, int]:
    """Module-level names bound once to a literal container of constants -> its size."""
    out = {}
    for name, values in module.module_scope.assigns.items():
        if len(values) == 1:
            size = _literal_values(values[0])
            if size is not None:
                out[name] = size
    return out


def _check(module: ModuleIndex, expr: ast.expr, compiled: dict[str, str]) -> tuple[ast.Name, str] | None:
    """``(name, pattern)`` when ``expr`` is a regex match of a plain name against a literal pattern."""
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return None
    f = expr.func
    method = f.attr
    if method not in ("fullmatch", "match", "search"):
        return None
    if isinstance(f.value, ast.Name) and module.imports.get(f.value.id) == ("re", None):
        if len(expr.args) < 2 or not isinstance(expr.args[0], ast.Constant) or not isinstance(
                expr.args[0].value, str):
            return None
        pattern, subject = expr.args[0].value, expr.args[1]
    elif isinstance(f.value, ast.Name) and f.value.id in compiled:
        if not expr.args:
            return None
        pattern, subject = compiled[f.value.id], expr.args[0]
    else:
        return None
    if not isinstance(subject, ast.Name):
        return None
    if method == "match" and not pattern.endswith(("$", "\\Z")):
        return None
    if method == "search" and not (pattern.startswith(("^", "\\A")) and pattern.endswith(("$", "\\Z"))):
        return None
    return subject, pattern


def _compiled_patterns(module: ModuleIndex) -> dict[str, str]:
    out = {}
    for name, values in module.module_scope.assigns.items():
        if len(values) != 1:
            continue
        v = values[0]
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "compile" \
                and isinstance(v.func.value, ast.Name) and module.imports.get(v.func.value.id) == ("re", None) \
                and v.args and isinstance(v.args[0], ast.Constant) and isinstance(v.args[0].value, str):
            out[name] = v.args[0].value
    return out
