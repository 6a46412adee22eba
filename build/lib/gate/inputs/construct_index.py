"""The construct index the flowgate CDK plugin writes into ``cdk.out/flowgate/constructs.json``:
construct paths, asset *source* directories and nested-stack templates, per synthesized template."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.inputs.types import Stack

CONSTRUCT_INDEX = Path("flowgate") / "constructs.json"


@dataclass(frozen=True)
class ConstructIndex:
    """What the flowgate CDK plugin learnt from the construct tree while ``cdk synth`` ran, written
    to ``cdk.out/flowgate/constructs.json``: per template (relative to the assembly root), logical
    ID -> construct path, function logical ID -> the asset's *source* directory (so findings point at
    the user's files, not at ``cdk.out/asset.<hash>/`` copies, and bundled dependencies are not
    analysed), and nested stack logical ID -> its template file."""

    root: Path
    templates: dict[str, dict[str, Any]]

    def _entry(self, template_path: Path) -> dict[str, Any]:
        try:
            rel = template_path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return {}
        entry = self.templates.get(rel)
        return entry if isinstance(entry, dict) else {}

    def construct_paths(self, template_path: Path) -> dict[str, str]:
        paths = self._entry(template_path).get("construct_paths")
        return {k: v for k, v in paths.items() if isinstance(v, str)} if isinstance(paths, dict) else {}

    def code_dirs(self, template_path: Path) -> dict[str, Path]:
        dirs = self._entry(template_path).get("code_dirs")
        return {k: Path(v) for k, v in dirs.items() if isinstance(v, str)} if isinstance(dirs, dict) else {}

    def nested(self, template_path: Path, logical_id: str) -> str | None:
        nested = self._entry(template_path).get("nested")
        found = nested.get(logical_id) if isinstance(nested, dict) else None
        return found if isinstance(found, str) else None


def read_construct_index(assembly: Path) -> ConstructIndex | None:
    path = assembly / CONSTRUCT_INDEX
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GateInputError(f"cannot read the flowgate construct index: {exc}", str(path)) from None
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("templates"), dict):
        raise GateInputError("not a flowgate construct index (version 1 expected)", str(path))
    return ConstructIndex(assembly.resolve(), doc["templates"])


def _cdk_stack(stack: Stack, index: ConstructIndex | None) -> Stack:
    if index is None:
        return replace(stack, origin="cdk")
    code_dirs = dict(stack.code_dirs)
    for logical_id, source in index.code_dirs(stack.template_path).items():
        if source.is_dir():
            code_dirs[logical_id] = source
        else:
            stack.warnings.append(f"{logical_id}: asset source {source} is gone; analysing the copy in the "
                                  "cloud assembly instead")
    return replace(stack, origin="cdk", code_dirs=code_dirs,
                   construct_paths=index.construct_paths(stack.template_path))
