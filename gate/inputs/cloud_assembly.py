"""A synthesized CDK cloud assembly (``cdk.out``): every stack of its manifest, CDK stages included."""

from __future__ import annotations

import json
from pathlib import Path

from gate.common.cache import PysaCache
from gate.common.errors import GateInputError
from gate.inputs.construct_index import ConstructIndex, _cdk_stack, read_construct_index
from gate.inputs.nested import _with_nested
from gate.inputs.templates import decode_assembly_template
from gate.inputs.types import Stack


def load_cloud_assembly(directory: Path, cache: PysaCache | None = None,
                        index: ConstructIndex | None = None, _reading: frozenset[Path] = frozenset()) -> list[Stack]:
    directory = directory.resolve()
    if directory in _reading:  # a manifest whose nested assembly is itself or an enclosing one
        raise GateInputError("cloud assembly refers to an assembly it is part of (a cycle of nested assemblies)",
                             str(directory / "manifest.json"))
    _reading = _reading | {directory}
    index = index or read_construct_index(directory)
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GateInputError(f"cannot read cloud assembly manifest: {exc}", str(manifest_path)) from None
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise GateInputError("manifest has no artifacts", str(manifest_path))
    stacks: list[Stack] = []
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        if artifact.get("type") == "cdk:cloud-assembly":
            nested_dir = (artifact.get("properties") or {}).get("directoryName")
            if nested_dir and (directory / nested_dir / "manifest.json").is_file():
                stacks.extend(load_cloud_assembly(directory / nested_dir, cache, index, _reading))  # CDK stages
            continue
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = (artifact.get("properties") or {}).get("templateFile")
        if not isinstance(template_file, str):
            raise GateInputError(f"stack {artifact_id} has no templateFile", str(manifest_path))
        tpl_path = directory / template_file
        if not tpl_path.is_file():
            raise GateInputError(f"template of stack {artifact_id} is missing", str(tpl_path))
        tpl = decode_assembly_template(tpl_path)
        # Stage stacks are displayed as "Stage/Stack"; keys use "/" between stack and logical ID.
        stack_name = str(artifact.get("displayName") or artifact_id).replace("/", ".")
        root = _cdk_stack(Stack(str(stack_name), tpl, tpl_path, directory), index)
        stacks.extend(_with_nested([root], cache, index))
    if not stacks:
        raise GateInputError("cloud assembly contains no CloudFormation stacks", str(manifest_path))
    return stacks
