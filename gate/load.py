"""Turn what the user points at into CloudFormation ``Stack`` objects.

Three inputs are accepted: a SAM/CloudFormation project directory, an explicit template file, and
a synthesized CDK cloud assembly (``cdk.out``). YAML is decoded by ``gate.cfn_yaml`` (libyaml with
CloudFormation's short-form tags, duplicate keys rejected, errors located) and JSON by the standard
library with the same checks; SAM is translated offline by aws-sam-translator so that the rest of
the engine only sees plain CloudFormation.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate import cfn_yaml
from gate.cache import PysaCache, text_key
from gate.errors import GateInputError
from gate.intrinsics import literal, references
from gate.model import Stack

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_PLACEHOLDER_BUCKET = "flowgate-local-code"


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
    return _checked(tpl, path)


def _is_json(text: str) -> bool:
    try:
        json.loads(text, object_pairs_hook=lambda pairs: None)
    except ValueError:
        return False
    return True


def _checked(tpl: Any, path: Path) -> dict[str, Any]:
    """The shape every later stage relies on, with located errors."""
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
        "Resources": {"type": "object", "minProperties": 1, "additionalProperties": {
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


def is_sam(template: dict[str, Any]) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def load_template_file(path: Path, name: str | None = None, nested_path: str = "",
                       parameters: dict[str, tuple[str, Any]] | None = None, cache: PysaCache | None = None
                       ) -> Stack:
    path = path.resolve()
    stack_name = name or path.parent.name or "Stack"
    params = parameters or {}
    digest = None
    if cache is not None:
        try:
            digest = text_key("template", str(path), path.read_bytes())
        except OSError:
            digest = None
        hit = cache.get(digest) if digest else None
        if isinstance(hit, dict) and {"template", "code_dirs", "origin", "api_events"} <= set(hit):
            return Stack(stack_name, hit["template"], path, path.parent,
                         {k: Path(v) for k, v in hit["code_dirs"].items()}, origin=hit["origin"],
                         nested_path=nested_path, parameters=params,
                         api_events=[tuple(e) for e in hit["api_events"]])
    tpl = decode_template(path)
    code_dirs: dict[str, Path] = {}
    api_events: list[tuple[str, str, str]] = []
    origin = "cloudformation"
    if is_sam(tpl):
        tpl, code_dirs, api_events = translate_sam(tpl, path)
        origin = "sam"
    if cache is not None and digest:
        cache.put(digest, {"template": tpl, "code_dirs": {k: str(v) for k, v in code_dirs.items()},
                           "origin": origin, "api_events": api_events})
    return Stack(stack_name, tpl, path, path.parent, code_dirs, origin=origin, nested_path=nested_path,
                 parameters=params, api_events=api_events)


_MAX_NESTING = 5
_NESTED = ("AWS::CloudFormation::Stack",)  # SAM Applications are translated into these


def load_template_tree(path: Path, code_dirs: dict[str, Path] | None = None, cache: PysaCache | None = None
                       ) -> list[Stack]:
    """A template and the nested templates it deploys from local files (SAM ``Application``
    ``Location`` or ``AWS::CloudFormation::Stack`` ``TemplateURL``), parents first."""
    stacks = _with_nested([load_template_file(path, cache=cache)], cache)
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


def _with_nested(roots: list[Stack], cache: PysaCache | None, index: ConstructIndex | None = None) -> list[Stack]:
    """The root stacks followed by every nested stack they deploy from a local template."""
    stacks = list(roots)
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
            if not child_path.is_file():
                raise GateInputError(f"nested application template {local} not found", where)
            if depth + 1 > _MAX_NESTING:
                raise GateInputError(f"nested applications deeper than {_MAX_NESTING} levels", where)
            name = logical_id if logical_id not in names else f"{parent.name}.{logical_id}"
            names.add(name)
            nested_path = f"{parent.nested_path}/{logical_id}" if parent.nested_path else logical_id
            params = props.get("Parameters") if isinstance(props.get("Parameters"), dict) else {}
            child = load_template_file(child_path, name, nested_path=nested_path,
                                       parameters={k: (parent.name, v) for k, v in params.items()}, cache=cache)
            if parent.origin == "cdk":
                child = _cdk_stack(child, index)
            stacks.append(child)
            todo.append((child, depth + 1))
    return stacks


# --- SAM -------------------------------------------------------------------------------------

_SAM_FUNCTION = "AWS::Serverless::Function"
_SAM_APPLICATION = "AWS::Serverless::Application"
_SAR_HOST = "serverlessrepo.invalid"


def translate_sam(template: dict[str, Any], path: Path
                  ) -> tuple[dict[str, Any], dict[str, Path], list[tuple[str, str, str]]]:
    """Translate SAM to CloudFormation offline.

    The translator insists on ``s3://`` code locations, so every local ``CodeUri`` is swapped for a
    placeholder whose key is the function's logical ID, and the mapping is kept aside.
    ``Api``/``HttpApi`` events are taken out before translation and returned as
    ``(function, kind, api)``: all the gate needs from them is that the function is reachable from
    the internet, and the translator deep-copies the whole OpenAPI document for every such event
    (quadratic: 9 s of a 1000-function template).
    """
    tpl = copy.deepcopy(template)
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
    return translated, code_dirs, api_events


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


# --- CDK cloud assembly ------------------------------------------------------------------------


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
    except json.JSONDecodeError as exc:
        raise GateInputError(f"template does not parse: {exc.msg}", f"{path}:{exc.lineno}:{exc.colno}") from None
    except ValueError as exc:  # duplicate keys
        raise GateInputError(f"template does not parse: {exc}", str(path)) from None


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


def load_cloud_assembly(directory: Path, cache: PysaCache | None = None,
                        index: ConstructIndex | None = None) -> list[Stack]:
    directory = directory.resolve()
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
                stacks.extend(load_cloud_assembly(directory / nested_dir, cache, index))  # CDK stages
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
