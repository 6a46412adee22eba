"""Write the instrumented copy that Pysa analyses. The user's tree is only ever read.

Each function code root is copied under a unique package name (``fgpkg_<n>_<dir>``) so that many
``app.py``/``index.py`` files cannot collide (pyre-check #823). Rewrites are *text edits that keep
every line where it was*, so a line reported by Pysa is the user's line:

* absolute imports of the code root's own modules gain the package prefix;
* an SDK write ``s3.put_object(...)`` becomes ``_fg_hops.hop_3_s3_put_object(...)``, a generated
  function that builds the event the trigger would deliver and calls the triggered handler;
* SDK calls that are sources or sinks become calls of modelled helpers in ``flowgate_sdk``;
* ``x.get("key")`` / ``x.get("key", default)`` on untyped values becomes ``x["key"] or (default)``:
  Pysa loses the access path through an unresolved ``.get`` (it tracks ``x[get]``), but follows
  ``x["key"]`` exactly. The copy is never executed, so the KeyError semantics do not matter.

The hop module, the anchor module and the per-app taint models are generated beside the packages.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gate.model import AppModel, Function
from gate.plan import CodeRootPlan, Plan, WriteSite
from gate.policy import Policy
from gate.pysource import ModuleIndex
from gate.services import SERVICES

DATA_DIR = Path(__file__).parent / "pysa_data"
HOPS_MODULE = "flowgate_hops"
SDK_MODULE = "flowgate_sdk"
_HOPS_ALIAS = "_fg_hops"
_SDK_ALIAS = "_fg_sdk"
# Parameters every hop accepts by keyword, whatever the API: the union of what event builders read.
_EVENT_PARAMS = ("Bucket", "Key", "Body", "Filename", "Fileobj", "MessageBody", "MessageAttributes",
                 "Entries", "Message", "Subject", "Item", "Key", "AttributeUpdates", "UpdateExpression",
                 "ExpressionAttributeValues", "TableName", "QueueUrl", "TopicArn")


@dataclass
class Edit:
    start: tuple[int, int]  # (line, byte column), 1-based line
    end: tuple[int, int]
    text: str


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

    def original(self, rel: str) -> Path | None:
        return self.file_map.get(rel)


def instrument(model: AppModel, plan: Plan, workdir: Path, policy: Policy) -> InstrumentedApp:
    root = workdir / "root"
    models_dir = workdir / "models"
    stubs_dir = workdir / "stubs"
    for d in (root, models_dir):
        d.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DATA_DIR / "stubs", stubs_dir, dirs_exist_ok=True)
    app = InstrumentedApp(root, models_dir, stubs_dir)
    for code_root in plan.roots:
        _copy_code_root(code_root, app)
    (root / f"{HOPS_MODULE}.py").write_text(_hops_module(model, plan, app), encoding="utf-8")
    shutil.copy(DATA_DIR / "flowgate_sdk.py", root / f"{SDK_MODULE}.py")
    shutil.copy(DATA_DIR / "flowgate_anchor.py", root / "flowgate_anchor.py")
    (models_dir / "taint.config").write_text(policy.taint_config(), encoding="utf-8")
    shutil.copy(DATA_DIR / "sinks_sources.pysa", models_dir / "sinks_sources.pysa")
    (models_dir / "app.pysa").write_text(_app_models(model, plan, app, policy), encoding="utf-8")
    policy_models, anchors = _policy_models(plan, policy)
    (models_dir / "policy.pysa").write_text(policy_models, encoding="utf-8")
    (root / "flowgate_policy_anchor.py").write_text(
        '"""Imports the modules the policy names, so its models verify."""\n'
        + "".join(f"import {m}  # noqa: F401\n" for m in anchors), encoding="utf-8")
    return app


# --- copying and rewriting ---------------------------------------------------------------------


def _copy_code_root(code_root: CodeRootPlan, app: InstrumentedApp) -> None:
    pkg_dir = app.root / code_root.package
    writes_by_file: dict[Path, list[WriteSite]] = {}
    for w in code_root.writes:
        writes_by_file.setdefault(w.file, []).append(w)
    sdk_by_file: dict[Path, list] = {}
    for s in code_root.sdk_sites:
        sdk_by_file.setdefault(s.module.path, []).append(s)
    for path in code_root.files:
        rel = path.relative_to(code_root.directory)
        dest = pkg_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        module = code_root.index.module(code_root.index.dotted_name(path))
        assert module is not None
        edits = _import_edits(module.tree, code_root) + _dict_get_edits(module)
        for w in writes_by_file.get(path, []):
            edits.extend(_write_edits(w, module.source))
            app.hops[w.hop_name] = w
        for s in sdk_by_file.get(path, []):
            edits.append(Edit((s.call.func.lineno, s.call.func.col_offset),
                              (s.call.func.end_lineno or s.call.func.lineno, s.call.func.end_col_offset or 0),
                              f"{_SDK_ALIAS}.{s.helper}"))
        text, shifts = apply_edits(module.source, edits)
        # Imports go last so that no user line moves; functions resolve them at call time.
        text += (f"\nimport {HOPS_MODULE} as {_HOPS_ALIAS}  # flowgate\n"
                 f"import {SDK_MODULE} as {_SDK_ALIAS}  # flowgate\n")
        dest.write_text(text, encoding="utf-8")
        rel_key = str(dest.relative_to(app.root))
        app.file_map[rel_key] = path
        app.column_shifts[rel_key] = shifts
    # Every directory of the copy is a regular package, so the unique prefix resolves.
    for d in [pkg_dir, *[p for p in pkg_dir.rglob("*") if p.is_dir()]]:
        init = d / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")


def _is_local(name: str, code_root: CodeRootPlan) -> bool:
    """Is the top-level module of an absolute import one of the code root's own modules or packages?"""
    return code_root.index.has_top_level(name.split(".")[0])


def _import_edits(tree: ast.Module, code_root: CodeRootPlan) -> list[Edit]:
    pkg = code_root.package
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(_is_local(a.name, code_root) for a in node.names):
            parts = []
            for a in node.names:
                if not _is_local(a.name, code_root):
                    parts.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
                elif a.asname:
                    parts.append(f"import {pkg}.{a.name} as {a.asname}")
                elif "." in a.name:
                    top = a.name.split(".")[0]
                    parts.append(f"import {pkg}.{a.name}; from {pkg} import {top}")
                else:
                    parts.append(f"from {pkg} import {a.name}")
            edits.append(_statement_edit(node, "; ".join(parts)))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _is_local(node.module,
                                                                                                code_root):
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            edits.append(_statement_edit(node, f"from {pkg}.{node.module} import {names}"))
    return edits


def _dict_get_edits(module: ModuleIndex) -> list[Edit]:
    edits = []
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
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


def _statement_edit(node: ast.stmt, text: str) -> Edit:
    end_line = node.end_lineno or node.lineno
    # A multi-line statement becomes one line plus blank lines, so later lines keep their numbers.
    return Edit((node.lineno, node.col_offset), (end_line, node.end_col_offset or 0),
                text + "\n" * (end_line - node.lineno))


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


def _continuations(node: ast.expr) -> str:
    lines = (node.end_lineno or node.lineno) - node.lineno
    return " \\\n" * lines


def _find_open_paren(source: str, after: tuple[int, int]) -> tuple[int, int]:
    lines = source.split("\n")
    line, col = after
    while line <= len(lines):
        raw = lines[line - 1].encode("utf-8")
        idx = raw.find(b"(", col)
        if idx >= 0:
            return line, idx
        line, col = line + 1, 0
    raise ValueError("call without an opening parenthesis")


def apply_edits(source: str, edits: list[Edit]) -> tuple[str, dict[int, list[tuple[int, int]]]]:
    """Apply non-overlapping edits (byte columns, as ``ast`` reports them); keep line numbers."""
    lines = [line.encode("utf-8") for line in source.split("\n")]
    shifts: dict[int, list[tuple[int, int]]] = {}
    accepted: list[Edit] = []
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if accepted and e.start < accepted[-1].end:
            continue  # overlapping rewrite (e.g. an SDK call nested in another): keep the outer one
        accepted.append(e)
    for e in reversed(accepted):
        (sl, sc), (el, ec) = e.start, e.end
        head, tail = lines[sl - 1][:sc], lines[el - 1][ec:]
        new = (head + e.text.encode("utf-8") + tail).split(b"\n")
        assert len(new) == el - sl + 1, "an edit changed the number of lines"
        lines[sl - 1: el] = new
        if sl == el:
            delta = len(e.text.encode("utf-8")) - (ec - sc)
            shifts.setdefault(sl, []).append((sc, delta))
    return "\n".join(line.decode("utf-8") for line in lines), shifts


# --- generated modules -------------------------------------------------------------------------


def _valid_dotted(dotted: str) -> bool:
    return all(p.isidentifier() and not keyword.iskeyword(p) for p in dotted.split("."))


def _hops_module(model: AppModel, plan: Plan, app: InstrumentedApp) -> str:
    imports: set[str] = set()
    bodies: list[str] = []
    for site in plan.writes:
        service = SERVICES[site.api.service]
        params = ["_recv"] if site.api.key_from_receiver else []
        params += [f"{p}=None" for p in site.api.params]
        extra = [p for p in dict.fromkeys(_EVENT_PARAMS) if p not in site.api.params]
        signature = ", ".join([*params, "*_fg_args", *(f"{p}=None" for p in extra), "**_fg_kwargs"])
        lines = [f"def {site.hop_name}({signature}):",
                 f'    """{site.api.label} at {site.file.name}:{site.line}."""']
        for i, edge in enumerate(site.edges):
            target_fn = model.functions[edge.trigger.function]
            call = _handler_call(plan, target_fn, app)
            if call is None:
                continue
            module, func = call
            imports.add(module)
            resource = model.resources[edge.trigger.source]
            event = service.event_expression(site.api, edge.trigger, resource, site.item_keys)
            lines.append(f"    _fg_event_{i} = {event}")
            lines.append(f"    {module}.{func}(_fg_event_{i}, None)")
        lines.append("    return {}")
        bodies.append("\n".join(lines))
    header = ['"""Generated by flowgate: each hop stands for one SDK write and the handlers it triggers."""', ""]
    header += [f"import {m}" for m in sorted(imports)]
    return "\n".join(header) + "\n\n\n" + "\n\n\n".join(bodies) + "\n"


def _handler_call(plan: Plan, fn: Function, app: InstrumentedApp) -> tuple[str, str] | None:
    root = plan.root_of(fn.key)
    if root is None or not fn.handler_file or not fn.handler_function:
        return None
    module, _, func = root.handler_dotted(fn).rpartition(".")
    if not _valid_dotted(module) or not func.isidentifier():
        app.warnings.append(f"{fn.logical_id}: handler path {fn.handler!r} is not importable as Python; "
                            "flows into it are not followed")
        return None
    return module, fn.handler_function


def _app_models(model: AppModel, plan: Plan, app: InstrumentedApp, policy: Policy) -> str:
    """Sources on untrusted entry handlers' events; HTTP response sinks on their return values."""
    out = ["# Generated by flowgate for this application."]
    # Several functions may share one handler (same CodeUri and Handler): one model, the union of kinds.
    by_handler: dict[str, list[tuple[Function, CodeRootPlan]]] = {}
    for fn in model.analysable_functions():
        root = plan.root_of(fn.key)
        assert root is not None
        dotted = root.handler_dotted(fn)
        app.handlers.setdefault(dotted, []).append(fn.key)
        by_handler.setdefault(dotted, []).append((fn, root))
    for dotted, users in by_handler.items():
        entries = [(fn, root) for fn, root in users if model.entry_kinds(fn.key)]
        if not entries:
            continue
        params = _handler_params(*entries[0])
        if params is None:
            app.warnings += [f"{fn.logical_id}: handler {fn.handler} is not a plain function; its event "
                             "is not modelled as untrusted input" for fn, _root in entries]
            continue
        kinds = ", ".join(dict.fromkeys(k for fn, _root in entries
                                        for k in policy.entry_source_kinds(model.entry_kinds(fn.key))))
        sig = ", ".join([f"{params[0]}: TaintSource[{kinds}]", *params[1:]])
        out.append(f"def {dotted}({sig}) -> TaintSink[HttpResponse]: ...")
    return "\n".join(out) + "\n"


def _handler_params(fn: Function, root: CodeRootPlan) -> list[str] | None:
    module = root.handler_module(fn)
    if module is None:
        return None
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn.handler_function:
            args = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            return args if args else None
    return None


def _policy_models(plan: Plan, policy: Policy) -> tuple[str, list[str]]:
    """Sanitizers, custom sources and custom sinks; code-root callables get each copy's package prefix."""
    out = ["# Generated by flowgate from the policy: " + policy.origin]
    anchors: set[str] = set()

    def targets(dotted: str) -> list[str]:
        module = dotted.rsplit(".", 1)[0]
        local = [f"{root.package}.{dotted}" for root in plan.roots
                 if root.index.has_module(module) or root.index.has_module(module.rsplit(".", 1)[0])]
        if local:
            return local
        if not hasattr(builtins, module.split(".")[0]):  # int.__new__ needs no import
            anchors.add(module)
        return [dotted]

    for name in policy.sanitizers:
        out += [f"def {t}() -> Sanitize: ..." for t in targets(name)]
    per_rule: dict[str, list[str]] = {}
    for rule in policy.rules:
        for name in rule.sanitizers:
            if name not in policy.sanitizers:
                per_rule.setdefault(name, []).extend(k for k in rule.sinks if k not in per_rule.get(name, []))
    for name, kinds in per_rule.items():
        out += [f"def {t}() -> Sanitize[TaintSink[{', '.join(kinds)}]]: ..." for t in targets(name)]
    for src in policy.custom_sources:
        out += [f"def {t}() -> TaintSource[{src.kind}]: ..." for t in targets(src.callable)]
    for sink in policy.custom_sinks:
        out += [f"def {t}({sink.parameter}: TaintSink[{sink.kind}]): ..." for t in targets(sink.callable)]
    return "\n".join(out) + "\n", sorted(anchors)
