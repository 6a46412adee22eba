"""AWS SAM: offline translation to CloudFormation with aws-sam-translator (no AWS call), with local
``CodeUri`` and layer ``ContentUri`` directories swapped for placeholders and ``Api``/``HttpApi``
events taken out first (local definition files are read before, by ``gate.inputs.templates``)."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.common.intrinsics import literal, references
from gate.inputs.local_artifacts import (
    LAYER_PLACEHOLDER_PREFIX,
    Artifacts,
    layer_placeholders,
)

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_PLACEHOLDER_BUCKET = "flowgate-local-code"


def is_sam(template: dict[str, Any]) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


_SAM_FUNCTION = "AWS::Serverless::Function"
_SAM_APPLICATION = "AWS::Serverless::Application"
_SAR_HOST = "serverlessrepo.invalid"


@dataclass
class SamTranslation:
    template: dict[str, Any]  # plain CloudFormation
    code_dirs: dict[str, Path]  # function logical ID -> local CodeUri directory
    api_events: list[tuple[str, str, str]]  # (function, "Api" | "HttpApi", API logical ID)
    layer_dirs: dict[str, Path] = field(default_factory=dict)  # translated LayerVersion ID -> local ContentUri


def translate_sam(template: dict[str, Any], path: Path, artifacts: Artifacts) -> SamTranslation:
    """Translate SAM to CloudFormation offline.

    The translator insists on ``s3://`` code locations, so every local ``CodeUri`` is swapped for a
    placeholder whose key is the function's logical ID, and the mapping is kept aside.
    ``Api``/``HttpApi`` events are taken out before translation and returned as
    ``(function, kind, api)``: all the gate needs from them is that the function is reachable from
    the internet, and the translator deep-copies the whole OpenAPI document for every such event
    (quadratic: 9 s of a 1000-function template). State machine definitions and layers given as
    local paths are read or set aside first (``gate.inputs.local_artifacts``).
    """
    tpl = copy.deepcopy(template)
    resources = tpl.get("Resources") if isinstance(tpl.get("Resources"), dict) else {}
    local_layers = layer_placeholders(resources, path.parent, artifacts, path, _PLACEHOLDER_BUCKET)
    globals_fn = (tpl.get("Globals") or {}).get("Function") or {}
    code_dirs: dict[str, Path] = {}
    api_events: list[tuple[str, str, str]] = []
    for logical_id, res in (tpl.get("Resources") or {}).items():
        props = res.get("Properties") if isinstance(res, dict) else None
        if isinstance(props, dict) and res.get("Type") == _SAM_APPLICATION and not isinstance(props.get("Location"),
                                                                                                str):
            # A Serverless Application Repository app: the translator would ask AWS for it.
            app_id = literal((props.get("Location") or {}).get("ApplicationId")) if isinstance(
                props.get("Location"), dict) else None
            props["Location"] = f"https://{_SAR_HOST}/{app_id or logical_id}"
        if not isinstance(res, dict) or res.get("Type") != _SAM_FUNCTION:
            continue
        props = res.setdefault("Properties", {})
        if not isinstance(props, dict):
            raise GateInputError(f"Properties of {logical_id} is not a mapping", str(path))
        api_events += _take_api_events(logical_id, props)
        if props.get("PackageType", globals_fn.get("PackageType")) == "Image" or "InlineCode" in props:
            continue
        code_uri = props.get("CodeUri", globals_fn.get("CodeUri"))
        if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            code_dirs[logical_id] = (path.parent / code_uri).resolve()
        elif code_uri is None:
            # SAM CLI treats a missing CodeUri as the template's directory.
            code_dirs[logical_id] = path.parent.resolve()
        else:
            continue
        props["CodeUri"] = f"s3://{_PLACEHOLDER_BUCKET}/{logical_id}"

    _drop_globals_code_uri(tpl)
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    # The translator otherwise asks boto3 for a region; SAM CLI sets it the same way. No AWS call.
    ArnGenerator.BOTO_SESSION_REGION_NAME = "us-east-1"

    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    try:
        # A region-only session: the translator reads the region from it and never calls AWS.
        session = boto3.session.Session(region_name="us-east-1")
        translated = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session).translate(
            sam_template=tpl,
            parameter_values={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                              "AWS::Partition": "aws", "AWS::StackName": path.parent.name or "stack"},
            get_managed_policy_map=lambda: {},
        )
    except Exception as exc:  # the translator raises many exception types for user errors
        raise GateInputError(f"SAM translation failed: {_sam_error_text(exc)}", str(path)) from None
    return SamTranslation(translated, code_dirs, api_events, _translated_layers(translated, local_layers))


def _translated_layers(translated: dict[str, Any], local_layers: dict[str, Path]) -> dict[str, Path]:
    """The translator renames each layer (``SharedLayer`` -> ``SharedLayer1a2b3c``); find each local
    one again by its placeholder key."""
    by_key = {f"{LAYER_PLACEHOLDER_PREFIX}{logical}": path for logical, path in local_layers.items()}
    out = {}
    for logical_id, res in (translated.get("Resources") or {}).items():
        content = (res.get("Properties") or {}).get("Content") if isinstance(res, dict) else None
        key = content.get("S3Key") if isinstance(content, dict) else None
        if res.get("Type") == "AWS::Lambda::LayerVersion" and key in by_key:
            out[logical_id] = by_key[key]
    return out


_API_EVENTS = {"Api": ("RestApiId", "ServerlessRestApi"), "HttpApi": ("ApiId", "ServerlessHttpApi")}


def _take_api_events(function: str, props: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Remove a function's API events; ``(function, "Api"|"HttpApi", API logical ID)`` for each."""
    events = props.get("Events")
    if not isinstance(events, dict):
        return []
    out = []
    for name, event in list(events.items()):
        kind = event.get("Type") if isinstance(event, dict) else None
        if kind not in _API_EVENTS:
            continue
        id_property, implicit = _API_EVENTS[kind]
        event_props = event.get("Properties") if isinstance(event.get("Properties"), dict) else {}
        refs = [logical for logical, _attr in references(event_props.get(id_property))]
        out.append((function, kind, refs[0] if refs else implicit))
        del events[name]
    return out


def _drop_globals_code_uri(tpl: dict[str, Any]) -> None:
    """Each function's CodeUri is already a placeholder; the translator must not re-apply Globals'."""
    globals_fn = (tpl.get("Globals") or {}).get("Function")
    if isinstance(globals_fn, dict):
        globals_fn.pop("CodeUri", None)


def _sam_error_text(exc: Exception) -> str:
    causes = getattr(exc, "causes", None)
    if causes:
        return "; ".join(str(getattr(c, "message", c)) for c in causes)
    return str(getattr(exc, "message", exc)) or type(exc).__name__
