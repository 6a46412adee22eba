"""TODO docstring (from gate/load.py)."""

from __future__ import annotations

from pathlib import Path

from gate.common.cache import PysaCache
from gate.common.errors import GateInputError
from gate.inputs.cloud_assembly import load_cloud_assembly
from gate.inputs.nested import load_template_tree
from gate.inputs.types import Stack

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")


def load_input(path: Path, template: Path | None = None, code_dirs: dict[str, Path] | None = None,
               cache: PysaCache | None = None) -> list[Stack]:
    """Resolve the scan target into stacks; raise ``GateInputError`` with a location otherwise.

    ``code_dirs`` overrides function code directories by ``[NestedApp/...]LogicalId`` (what
    ``sam build`` records in ``build.toml``), so a build's template is analysed on the user's sources.
    """
    if template is not None:
        if not template.is_file():
            raise GateInputError("template file not found", str(template))
        return load_template_tree(template, code_dirs=code_dirs, cache=cache)
    if not path.exists():
        raise GateInputError("no such file or directory", str(path))
    if path.is_file():
        if path.name == "manifest.json":
            return load_cloud_assembly(path.parent, cache)
        return load_template_tree(path, code_dirs=code_dirs, cache=cache)
    if (path / "manifest.json").is_file():
        return load_cloud_assembly(path, cache)
    for name in TEMPLATE_NAMES:
        if (path / name).is_file():
            return load_template_tree(path / name, code_dirs=code_dirs, cache=cache)
    if (path / "cdk.out" / "manifest.json").is_file():
        return load_cloud_assembly(path / "cdk.out", cache)
    raise GateInputError(
        f"no template found (looked for {', '.join(TEMPLATE_NAMES)}, cdk.out/manifest.json)", str(path)
    )
