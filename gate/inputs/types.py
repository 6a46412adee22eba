"""What the inputs stage hands on: ``Stack``, one CloudFormation template after loading."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Stack:
    """One CloudFormation template after loading (and SAM translation when needed)."""

    name: str
    template: dict[str, Any]
    template_path: Path
    # Directory that relative code locations (CodeUri, aws:asset:path) are resolved against.
    base_dir: Path
    # Logical ID -> local code directory, for code locations the loader already knows
    # (SAM CodeUri values replaced by placeholders before translation).
    code_dirs: dict[str, Path] = field(default_factory=dict)
    # LayerVersion logical ID -> local layer directory (SAM ContentUri), for layers that are code here.
    layer_dirs: dict[str, Path] = field(default_factory=dict)
    # The directory local paths may not leave (see gate.inputs.local_artifacts.project_root).
    project: Path | None = None
    origin: str = "cloudformation"  # "sam" | "cloudformation" | "cdk" | "serverless"
    # Nested stacks (SAM Application / CloudFormation Stack with a local template): the path of
    # nested resource logical IDs from the root ("" for a root stack), and each parameter the parent
    # passes in: name -> (parent stack name, the parent's value expression).
    nested_path: str = ""
    parameters: dict[str, tuple[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # SAM Api/HttpApi events, taken out before translation: (function logical ID, kind, API logical ID)
    api_events: list[tuple[str, str, str]] = field(default_factory=list)
    # Logical ID -> CDK construct path, from the flowgate CDK plugin's construct index (plain
    # ``python app.py`` synthesizes templates without ``aws:cdk:path`` metadata).
    # (Serverless Framework stacks: logical ID -> the function's key in ``functions``.)
    construct_paths: dict[str, str] = field(default_factory=dict)
    # Logical ID -> why outsiders may write to it, for what the input format itself knows is shared
    # (a Serverless Framework ``existing: true`` bucket); the model adds it to ``AppModel.external``.
    external: dict[str, str] = field(default_factory=dict)

    def construct_path(self, logical_id: str) -> str | None:
        if logical_id in self.construct_paths:
            return self.construct_paths[logical_id]
        raw = (self.template.get("Resources") or {}).get(logical_id)
        metadata = raw.get("Metadata") if isinstance(raw, dict) else None
        path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
        return path if isinstance(path, str) else None
