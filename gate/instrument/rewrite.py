"""Copying a code root into its package of the copy, with its imports, SDK calls, ``.get`` accesses
and regex-validated names rewritten in place."""

from __future__ import annotations

import ast
from pathlib import Path

from gate.common.line_edits import Edit, apply_edits
from gate.instrument.edits import _continuations, _find_open_paren, _statement_edit, _utf8_cookie
from gate.instrument.types import (
    _HOPS_ALIAS,
    _SDK_ALIAS,
    HOPS_MODULE,
    SDK_MODULE,
    InstrumentedApp,
)
from gate.plan.types import CodeRootPlan, ContentSite, WriteSite
from gate.pyast.index import ModuleIndex


def _copy_code_root(code_root: CodeRootPlan, app: InstrumentedApp) -> None:
    pkg_dir = app.root / code_root.package
    app.packages.add(code_root.package)
    writes_by_file: dict[Path, list[WriteSite]] = {}
    for w in code_root.writes:
        writes_by_file.setdefault(w.file, []).append(w)
    sdk_by_file: dict[Path, list] = {}
    for s in code_root.sdk_sites:
        sdk_by_file.setdefault(s.module.path, []).append(s)
    for path in code_root.files:
        rel = path.relative_to(code_root.directory)
        dest = pkg_dir / rel
        module = code_root.index.module(code_root.index.dotted_name(path))
        assert module is not None
        edits = (_import_edits(module, code_root) + _dict_get_edits(module) + _path_tail_edits(module)
                 + _printed_exception_edits(module) + _exception_repr_edits(module))
        for v in code_root.validations.get(path, []):
            if v.trusted:  # rebind the checked name through a Sanitize model, in place
                edits.append(Edit((v.name.lineno, v.name.col_offset),
                                  (v.name.end_lineno or v.name.lineno, v.name.end_col_offset or 0),
                                  f"({v.name.id} := {_SDK_ALIAS}.validated({v.name.id}))"))
        for w in writes_by_file.get(path, []):
            edits.extend(_write_edits(w, module.source))
            app.hops[w.hop_name] = w
        for c in app.content.sites:
            if c.module.path == path:
                edits.extend(_content_edits(c))
        for s in sdk_by_file.get(path, []):
            edits.append(Edit((s.call.func.lineno, s.call.func.col_offset),
                              (s.call.func.end_lineno or s.call.func.lineno, s.call.func.end_col_offset or 0),
                              f"{_SDK_ALIAS}.{s.helper}"))
        text, shifts = apply_edits(module.source, edits)
        text = _utf8_cookie(text)
        # Imports go last so that no user line moves; functions resolve them at call time.
        text += (f"\nimport {HOPS_MODULE} as {_HOPS_ALIAS}  # flowgate\n"
                 f"import {SDK_MODULE} as {_SDK_ALIAS}  # flowgate\n")
        for name in _unimported_modules(module):
            text += f"import {name}  # flowgate: used in this module but never imported\n"
            app.warnings.append(f"{rel}: {name} is used but never imported (a NameError when that line runs); "
                                f"analysed as the {name} module")
        app.files[dest] = text
        rel_key = str(dest.relative_to(app.root))
        app.file_map[rel_key] = path
        app.column_shifts[rel_key] = shifts
    # Every directory of the copy is a regular package, so the unique prefix resolves.
    packages = {pkg_dir}
    for path in code_root.files:
        parts = path.relative_to(code_root.directory).parts[:-1]
        packages.update(pkg_dir.joinpath(*parts[:i]) for i in range(1, len(parts) + 1))
    for d in packages:
        app.files.setdefault(d / "__init__.py", "")


def _home(name: str, code_root: CodeRootPlan) -> str | None:
    """The copy's package that an absolute import's top-level module comes from: the code root's own
    modules and packages, else a layer its functions use (Lambda puts layers on the import path after
    the function's code), else ``None`` (the standard library or a dependency)."""
    top = name.split(".")[0]
    if code_root.index.has_top_level(top):
        return code_root.package
    return next((layer.package for layer in code_root.layers if layer.index.has_top_level(top)), None)


def _import_edits(module: ModuleIndex, code_root: CodeRootPlan) -> list[Edit]:
    edits = []
    for node in module.import_nodes:
        if isinstance(node, ast.Import) and any(_home(a.name, code_root) for a in node.names):
            parts = []
            for a in node.names:
                pkg = _home(a.name, code_root)
                if pkg is None:
                    parts.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
                elif a.asname:
                    parts.append(f"import {pkg}.{a.name} as {a.asname}")
                elif "." in a.name:
                    top = a.name.split(".")[0]
                    parts.append(f"import {pkg}.{a.name}; from {pkg} import {top}")
                else:
                    parts.append(f"from {pkg} import {a.name}")
            edits.append(_statement_edit(node, "; ".join(parts)))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            pkg = _home(node.module, code_root)
            if pkg is not None:
                names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
                edits.append(_statement_edit(node, f"from {pkg}.{node.module} import {names}"))
    return edits


def _path_tail_edits(module: ModuleIndex) -> list[Edit]:
    """``os.path.split(p)[-1]`` (or ``[1]``) is ``os.path.basename(p)``; written so in the copy, the
    path-traversal rule's ``basename`` sanitizer applies (Pysa does not tell a tuple's elements apart)."""
    if "split" not in module.source:
        return []
    edits = []
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call)
                and _constant_index(node.slice) in (1, -1)):
            continue
        func = node.value.func
        if not (isinstance(func, ast.Attribute) and func.attr == "split" and isinstance(func.value, ast.Attribute)
                and func.value.attr == "path" and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "os" and "os" in module.imports):
            continue
        if len(node.value.args) != 1 or node.value.keywords or (node.end_lineno or node.lineno) != node.lineno:
            continue
        call_end = (node.value.end_lineno or node.value.lineno, node.value.end_col_offset or 0)
        edits.append(Edit((func.lineno, func.col_offset), (func.end_lineno or func.lineno, func.end_col_offset or 0),
                          "os.path.basename"))
        edits.append(Edit(call_end, (node.end_lineno or node.lineno, node.end_col_offset or 0), ""))
    return edits


# Modules with taint sinks: code that uses one without importing it fails only when the line runs,
# and is one import away from the flow; it is analysed as if it imported it (with a warning).
_SINK_MODULES = frozenset({"os", "subprocess", "pickle", "marshal", "shelve", "yaml", "sqlite3", "requests",
                           "urllib", "urllib3", "httpx", "jsonpickle", "dill", "shutil", "pymysql", "psycopg2"})


def _unimported_modules(module: ModuleIndex) -> list[str]:
    """Sink modules used as ``name.attr`` in ``module`` although nothing binds ``name`` there."""
    used: set[str] = set()
    bound: set[str] = set(module.imports)
    for n in ast.walk(module.tree):  # one pass: the names used as modules, and every name bound
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in _SINK_MODULES:
            used.add(n.value.id)
        elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound.add(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(n.name)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
        elif isinstance(n, ast.Global | ast.Nonlocal):
            bound.update(n.names)
    return sorted(used - bound)


_PRINTED = ("print_exc", "print_exception", "print_tb", "print_stack", "print_last")


def _printed_exception_edits(module: ModuleIndex) -> list[Edit]:
    """``traceback.print_exc(file=buf)`` as a statement writes exception text into ``buf``; Pysa
    cannot see a write into an argument, so the copy says it: ``buf = _fg_sdk.traceback_printed(
    file=buf, ...)`` (modelled as exception text flowing into ``buf``)."""
    if "traceback" not in module.source:
        return []
    edits = []
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        func = call.func
        name = (func.attr if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and module.imports.get(func.value.id, ("", None))[0] == "traceback" else
                func.id if isinstance(func, ast.Name) and module.imports.get(func.id, ("", None))[0] == "traceback"
                else None)
        target = next((k.value for k in call.keywords if k.arg == "file"), None)
        if name not in _PRINTED or not isinstance(target, ast.Name):
            continue
        args = ast.get_source_segment(module.source, call)
        inner = args[args.index("(") + 1:-1] if args else f"file={target.id}"
        edits.append(_statement_edit(node, f"{target.id} = {_SDK_ALIAS}.traceback_printed({' '.join(inner.split())})"))
    return edits


def _exception_repr_edits(module: ModuleIndex) -> list[Edit]:
    """``repr(exc)`` of a name an ``except ... as exc`` of the module binds is exception text
    (``_fg_sdk.exception_repr``). ``f"{exc!r}"`` is not rewritten (f-string positions are not
    reliable before Python 3.12)."""
    if "repr(" not in module.source or "repr" in module.imports:
        return []
    caught = {h.name for h in ast.walk(module.tree) if isinstance(h, ast.ExceptHandler) and h.name}
    return [Edit((call.func.lineno, call.func.col_offset),
                 (call.func.end_lineno or call.func.lineno, call.func.end_col_offset or 0),
                 f"{_SDK_ALIAS}.exception_repr")
            for call, _scope in module.calls
            if isinstance(call.func, ast.Name) and call.func.id == "repr" and len(call.args) == 1
            and isinstance(call.args[0], ast.Name) and call.args[0].id in caught]


def _constant_index(node: ast.expr) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant_index(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


def _dict_get_edits(module: ModuleIndex) -> list[Edit]:
    edits = []
    for node, _scope in module.calls:
        if not (isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and not node.keywords and 1 <= len(node.args) <= 2
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and not any(isinstance(a, ast.Starred) for a in node.args)):
            continue
        recv = node.func.value
        if isinstance(recv, ast.Name) and recv.id in module.imports:
            continue  # a module's get(), e.g. requests.get("https://...")
        key = node.args[0]
        recv_end = (recv.end_lineno or recv.lineno, recv.end_col_offset or 0)
        key_start = (key.lineno, key.col_offset)
        key_end = (key.end_lineno or key.lineno, key.end_col_offset or 0)
        call_end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        edits.append(Edit(recv_end, key_start, "[" + "\\\n" * (key_start[0] - recv_end[0])))
        if len(node.args) == 2:
            dflt = node.args[1]
            dflt_start = (dflt.lineno, dflt.col_offset)
            edits.append(Edit(key_end, dflt_start, "] or (" + "\n" * (dflt_start[0] - key_end[0])))
        else:
            edits.append(Edit(key_end, call_end, "]" + "\\\n" * (call_end[0] - key_end[0])))
    return edits


def _write_edits(site: WriteSite, source: str) -> list[Edit]:
    call = site.call
    func = call.func
    assert isinstance(func, ast.Attribute)
    hop = f"{_HOPS_ALIAS}.{site.hop_name}"
    if not site.api.key_from_receiver:
        return [Edit((func.lineno, func.col_offset), (func.end_lineno or func.lineno, func.end_col_offset or 0),
                     hop + _continuations(func))]
    # RECV.put(args) -> hop(RECV, args): the receiver carries the object key.
    recv = func.value
    paren = _find_open_paren(source, (func.end_lineno or func.lineno, func.end_col_offset or 0))
    has_args = bool(call.args or call.keywords)
    return [
        Edit((recv.lineno, recv.col_offset), (recv.lineno, recv.col_offset), hop + "("),
        Edit((recv.end_lineno or recv.lineno, recv.end_col_offset or 0), (paren[0], paren[1] + 1),
             (", " if has_args else "") + "\\\n" * (paren[0] - (recv.end_lineno or recv.lineno))),
    ]


def _content_edits(site: ContentSite) -> list[Edit]:
    """Reads become modelled sources; ``open`` of a downloaded (uploaded) path becomes a source (sink)."""
    def replace(node: ast.expr, text: str) -> Edit:
        return Edit((node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0),
                    text + _continuations(node))

    edits = [replace(c.func, f"{_HOPS_ALIAS}.{site.helper if site.role == 'store' else site.file_helper}")
             for c in site.files]
    if site.role == "read" and site.api.method in ("get_object", "get"):
        edits.append(replace(site.call.func, f"{_HOPS_ALIAS}.{site.helper}"))
    return edits
