"""The import rule of ARCHITECTURE.md, checked on the source: no import circle among the project's
modules (function-level and ``TYPE_CHECKING`` imports included), and stages import only down the
pipeline."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gate", "sam_hook", "cdk_aspect")

# The pipeline, lowest first. A module may import modules of its own layer or of a lower one.
# (``gate.model.types``/``iam`` sit below the service catalogue, which extracts triggers into them;
# the model builder sits above it.)
LAYERS: list[tuple[str, ...]] = [
    ("gate", "gate.common", "gate.pysa_data"),
    ("gate.policy",),
    ("gate.inputs",),
    ("gate.model.types", "gate.model.iam", "gate.model.declared", "gate.model"),
    ("gate.pyast",),
    ("gate.services",),
    ("gate.model.build",),
    ("gate.plan",),
    ("gate.instrument",),
    ("gate.pysa",),
    ("gate.findings",),
    ("gate.verdict",),
    ("gate.report",),
    ("gate.scan",),
    ("gate.cli", "sam_hook", "cdk_aspect", "gate.__main__"),
]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def project_modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            out[_module_name(path)] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module ``name`` imports, at any depth of the file; a submodule import also
    imports its parent packages (Python runs their ``__init__`` first), except ``name``'s own
    ancestors, which are already being imported when ``name`` runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        for target in targets:
            while target:
                if target in modules and target != name and not name.startswith(target + "."):
                    found.add(target)
                target = target.rpartition(".")[0]
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} is in no layer of ARCHITECTURE.md"
    return rank


def test_stages_import_only_down_the_pipeline():
    upward = [f"{a} (layer {_layer(a)}) imports {b} (layer {_layer(b)})"
              for a, targets in sorted(graph().items()) for b in sorted(targets) if _layer(b) > _layer(a)]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("package", sorted({m.rpartition(".")[0] or m for m in project_modules()}
                                           - {"gate.pysa_data", "gate.pysa_data.stubs"}))
def test_packages_init_import_nothing(package):
    """Package ``__init__`` files hold only a docstring, so importing a stage's types never drags in
    the stage (that is what made circles cheap to create before)."""
    path = project_modules().get(package)
    if path is None or path.name != "__init__.py" or package in ("gate", "cdk_aspect"):
        return  # gate/__init__ holds the version; cdk_aspect/__init__ is the public CDK API
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)], package


def test_every_module_says_what_it_holds():
    missing = [name for name, path in project_modules().items()
               if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
               or "TODO" in (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "")]
    assert not missing, f"modules without a docstring: {missing}"


def test_architecture_map_matches_the_folders():
    """Every stage package is drawn in ARCHITECTURE.md, and every package it names exists."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "gate").rglob("__init__.py")
                if "pysa_data" not in p.parts}
    named = set(re.findall(r"\b(gate/[a-z][a-z_]*)(?![\w.])", text))
    assert packages - {"gate"} <= named, f"not in ARCHITECTURE.md: {sorted(packages - named - {'gate'})}"
    assert named <= packages, f"no such package: {sorted(named - packages)}"
