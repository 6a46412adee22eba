"""Nested stacks deployed from local templates (SAM ``Application``, ``AWS::CloudFormation::Stack``,
CDK ``NestedStack``): a template and every local template below it, parents first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.common.cache import PysaCache
from gate.common.errors import GateInputError
from gate.common.intrinsics import literal
from gate.inputs.construct_index import ConstructIndex, _cdk_stack
from gate.inputs.local_artifacts import inside, project_root
from gate.inputs.sam import _SAR_HOST
from gate.inputs.templates import load_template_file
from gate.inputs.types import Stack

_MAX_NESTING = 5
_NESTED = ("AWS::CloudFormation::Stack",)  # SAM Applications are translated into these


def load_template_tree(path: Path, code_dirs: dict[str, Path] | None = None, cache: PysaCache | None = None
                       ) -> list[Stack]:
    """A template and the nested templates it deploys from local files (SAM ``Application``
    ``Location`` or ``AWS::CloudFormation::Stack`` ``TemplateURL``), parents first."""
    project = project_root(path)
    stacks = _with_nested([load_template_file(path, cache=cache, project=project)], cache, project=project)
    for stack in stacks:
        for logical_id in list(stack.code_dirs):
            key = f"{stack.nested_path}/{logical_id}" if stack.nested_path else logical_id
            if code_dirs and key in code_dirs:
                stack.code_dirs[logical_id] = code_dirs[key]
    return stacks


def _local_nested_template(parent: Stack, logical_id: str, raw: dict[str, Any],
                           index: ConstructIndex | None) -> str | None:
    """Where a nested stack's template is on disk, if it is: the CDK plugin's index, CDK asset
    metadata (``cdk synth``), or a relative ``TemplateURL`` (SAM, ``aws cloudformation package``)."""
    if index is not None:
        known = index.nested(parent.template_path, logical_id)
        if known:
            return known
    metadata = raw.get("Metadata") if isinstance(raw.get("Metadata"), dict) else {}
    asset = literal(metadata.get("aws:asset:path"))
    if asset and metadata.get("aws:asset:property") == "TemplateURL":
        return asset
    props = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
    url = props.get("TemplateURL")
    if isinstance(url, str) and not url.startswith(("s3://", "https://", "http://")):
        return url
    return None


def _with_nested(roots: list[Stack], cache: PysaCache | None, index: ConstructIndex | None = None,
                 project: Path | None = None) -> list[Stack]:
    """The root stacks followed by every nested stack they deploy from a local template (inside
    ``project``, by default the first root's repository or directory)."""
    stacks = list(roots)
    if not roots:
        return stacks
    project = project or project_root(roots[0].template_path)
    todo = [(root, 0) for root in roots]
    names = {root.name for root in roots}
    while todo:
        parent, depth = todo.pop(0)
        for logical_id, raw in (parent.template.get("Resources") or {}).items():
            if not isinstance(raw, dict) or raw.get("Type") not in _NESTED:
                continue
            props = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
            where = f"{parent.template_path} (resource {logical_id})"
            local = _local_nested_template(parent, logical_id, raw, index)
            if local is None:
                url = props.get("TemplateURL")
                shown = url if isinstance(url, str) else "(an expression)"
                if shown.startswith(f"https://{_SAR_HOST}/"):
                    shown = f"from the Serverless Application Repository ({shown.rsplit('/', 1)[1]})"
                parent.warnings.append(f"{logical_id}: nested application template {shown} is not local; its "
                                       "functions are not analysed")
                continue
            child_path = (parent.template_path.parent / local).resolve()
            if not inside(project, child_path):
                raise GateInputError(f"nested application template {local} is outside the project directory "
                                     f"{project}; it is not read", where)
            if not child_path.is_file():
                raise GateInputError(f"nested application template {local} not found", where)
            if depth + 1 > _MAX_NESTING:
                raise GateInputError(f"nested applications deeper than {_MAX_NESTING} levels", where)
            name = logical_id if logical_id not in names else f"{parent.name}.{logical_id}"
            names.add(name)
            nested_path = f"{parent.nested_path}/{logical_id}" if parent.nested_path else logical_id
            params = props.get("Parameters") if isinstance(props.get("Parameters"), dict) else {}
            child = load_template_file(child_path, name, nested_path=nested_path,
                                       parameters={k: (parent.name, v) for k, v in params.items()}, cache=cache,
                                       project=project)
            if parent.origin == "cdk":
                child = _cdk_stack(child, index)
            stacks.append(child)
            todo.append((child, depth + 1))
    return stacks
