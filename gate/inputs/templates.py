"""CloudFormation templates on disk: decoding YAML (``cfn_yaml``) or JSON with located errors, the
shape every later stage relies on, SAM translation when the template declares the transform, and
the loaded-template cache (so a warm scan imports neither the YAML decoder nor the translator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate.common.cache import PysaCache, text_key
from gate.common.errors import GateInputError
from gate.inputs import cfn_yaml
from gate.inputs.language_extensions import apply_language_extensions, uses_language_extensions
from gate.inputs.local_artifacts import (
    MAX_DEPTH,
    Artifacts,
    check_document,
    inline_includes,
    inline_local_documents,
    project_root,
)
from gate.inputs.sam import is_sam, translate_sam
from gate.inputs.types import Stack
from gate.inputs.validate import validate_template


def decode_template(path: Path) -> dict[str, Any]:
    """Decode YAML or JSON CloudFormation, with located errors (JSON when it looks like JSON:
    ``.json`` or a leading ``{``; a YAML flow mapping that is not JSON still decodes as YAML)."""
    text = _template_text(path, "utf-8-sig")
    if path.suffix == ".json" or (text.lstrip().startswith("{") and _is_json(text)):
        return _checked(_json_template(text, path), path)
    try:
        tpl = cfn_yaml.loads(text)
    except cfn_yaml.TemplateSyntaxError as exc:
        where = f"{path}:{exc.line}:{exc.column}" if exc.line else str(path)
        raise GateInputError(f"template does not parse: {exc}", where) from None
    except RecursionError:
        raise GateInputError(f"template nested deeper than the decoder allows (limit {MAX_DEPTH} levels)",
                             str(path)) from None
    return _checked(tpl, path)


def _is_json(text: str) -> bool:
    try:
        json.loads(text, object_pairs_hook=lambda pairs: None)
    except ValueError:
        return False
    return True


def _checked(tpl: Any, path: Path) -> dict[str, Any]:
    """The shape every later stage relies on, with located errors."""
    check_document(tpl, str(path))
    if not isinstance(tpl, dict):
        raise GateInputError("template is not a mapping", str(path))
    resources = tpl.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise GateInputError("template has no Resources section", str(path))
    _check_skeleton(tpl, path)
    return tpl


# The shape every later stage relies on (CloudFormation rejects anything else before deploying).
_OBJECT = {"type": "object"}
_SKELETON = {
    "type": "object",
    "properties": {
        "Resources": {"type": "object", "minProperties": 1,
                      "patternProperties": {"^Fn::ForEach::": {"type": "array"}},  # AWS::LanguageExtensions
                      "additionalProperties": {
            "type": "object", "required": ["Type"],
            "properties": {"Type": {"type": "string"}, "Properties": _OBJECT, "Metadata": _OBJECT,
                           "Condition": {"type": "string"}}}},
        **{section: _OBJECT for section in ("Globals", "Parameters", "Conditions", "Outputs", "Mappings",
                                            "Metadata", "Rules")},
        "Transform": {"type": ["string", "array"]},
    },
}


def _check_skeleton(tpl: dict[str, Any], path: Path) -> None:
    from jsonschema import Draft202012Validator

    error = next(iter(sorted(Draft202012Validator(_SKELETON).iter_errors(tpl), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.path) or "(top level)"
        raise GateInputError(f"template structure: {where}: {error.message}", str(path))


def load_template_file(path: Path, name: str | None = None, nested_path: str = "",
                       parameters: dict[str, tuple[str, Any]] | None = None, cache: PysaCache | None = None,
                       project: Path | None = None) -> Stack:
    """One template, decoded, with its local includes and artifacts resolved (inside ``project``,
    by default the template's repository or directory) and SAM translated."""
    path = path.resolve()
    stack_name = name or path.parent.name or "Stack"
    params = parameters or {}
    project = project or project_root(path)
    digest = None
    if cache is not None:
        try:
            digest = text_key("template", str(path), str(project), path.read_bytes())
        except OSError:
            digest = None
        hit = cache.get(digest) if digest else None
        if (isinstance(hit, dict) and {"template", "code_dirs", "origin", "api_events", "layer_dirs", "artifacts"}
                <= set(hit) and Artifacts(project, hit["artifacts"]).unchanged()):
            return Stack(stack_name, hit["template"], path, path.parent,
                         {k: Path(v) for k, v in hit["code_dirs"].items()}, origin=hit["origin"],
                         nested_path=nested_path, parameters=params,
                         api_events=[tuple(e) for e in hit["api_events"]],
                         layer_dirs={k: Path(v) for k, v in hit["layer_dirs"].items()}, project=project)
    artifacts = Artifacts(project)
    tpl = inline_includes(decode_template(path), path.parent, artifacts, str(path))
    if not isinstance(tpl, dict):
        raise GateInputError("template is not a mapping after AWS::Include", str(path))
    if uses_language_extensions(tpl):
        tpl = apply_language_extensions(tpl, path)
    validate_template(tpl, path)
    if isinstance(tpl.get("Resources"), dict):
        inline_local_documents(tpl["Resources"], path.parent, artifacts, path)
    code_dirs: dict[str, Path] = {}
    layer_dirs: dict[str, Path] = {}
    api_events: list[tuple[str, str, str]] = []
    origin = "cloudformation"
    if is_sam(tpl):
        sam = translate_sam(tpl, path, artifacts)
        tpl, code_dirs, api_events, layer_dirs = sam.template, sam.code_dirs, sam.api_events, sam.layer_dirs
        origin = "sam"
    if cache is not None and digest:
        cache.put(digest, {"template": tpl, "code_dirs": {k: str(v) for k, v in code_dirs.items()},
                           "origin": origin, "api_events": api_events,
                           "layer_dirs": {k: str(v) for k, v in layer_dirs.items()}, "artifacts": artifacts.read})
    return Stack(stack_name, tpl, path, path.parent, code_dirs, origin=origin, nested_path=nested_path,
                 parameters=params, api_events=api_events, layer_dirs=layer_dirs, project=project)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dupes = sorted({k for k, _ in pairs if k in seen or seen.add(k)})
        raise ValueError(f"duplicate key(s) {', '.join(dupes)}")
    return out


def decode_assembly_template(path: Path) -> dict[str, Any]:
    """A template CDK wrote: always JSON. Same checks and located errors as ``decode_template``."""
    return _checked(_json_template(_template_text(path, "utf-8"), path), path)


def _template_text(path: Path, encoding: str) -> str:
    try:
        return path.read_bytes().decode(encoding)
    except OSError as exc:
        raise GateInputError(f"cannot read template: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError as exc:
        raise GateInputError(f"template does not parse: not UTF-8 text (byte {exc.start})", str(path)) from None


def _json_template(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise GateInputError(f"template nested deeper than the decoder allows (limit {MAX_DEPTH} levels)",
                             str(path)) from None
    except json.JSONDecodeError as exc:
        raise GateInputError(f"template does not parse: {exc.msg}", f"{path}:{exc.lineno}:{exc.colno}") from None
    except ValueError as exc:  # duplicate keys
        raise GateInputError(f"template does not parse: {exc}", str(path)) from None
