"""Local artifact paths in templates, resolved as ``sam build`` and ``sam package`` resolve them:
relative to the template that names them, and never outside the project.

* ``Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./x.yaml}}`` anywhere in a template
  is replaced by the included file's content (YAML or JSON; includes inside it are relative to it);
* a definition given as a local file — a state machine's ``DefinitionUri`` (the translator then
  applies ``DefinitionSubstitutions`` as CloudFormation does), an API's ``DefinitionUri``, the
  packaged ``DefinitionS3Location``/``BodyS3Location`` forms — becomes the inline definition;
* an ``AWS::Serverless::LayerVersion``'s local ``ContentUri`` is swapped for a placeholder the
  translator accepts, and the directory is kept aside: a layer is code its functions import.

Every file read is recorded (path and digest) so that the loaded-template cache notices when an
included file changes. A path that leaves the project directory, or names something that is not a
regular file or directory, is a located error: it is never read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.inputs import cfn_yaml

MAX_INCLUDE_DEPTH = 5
MAX_ARTIFACT_BYTES = 16 * 1024 * 1024
_REMOTE = ("s3://", "https://", "http://")
LAYER_PLACEHOLDER_PREFIX = "layers/"  # S3 key prefix of a local layer's placeholder ContentUri


def project_root(template: Path) -> Path:
    """The directory local paths may not leave: the repository the template is in (the nearest
    directory with a ``.git``), else the project a ``sam build`` output belongs to
    (``<project>/.aws-sam/build/template.yaml`` names paths in ``<project>``), else the template's
    own directory."""
    template = template.resolve()
    for parent in template.parents:
        if (parent / ".git").exists():
            return parent
    for parent in template.parents:
        if parent.name == ".aws-sam":
            return parent.parent
    return template.parent


def inside(project: Path, path: Path) -> bool:
    """Is the (resolved) ``path`` the project directory or below it?"""
    return path == project or project in path.parents


MAX_DEPTH = 100  # CloudFormation templates nest a few dozen levels at most; every later stage recurses


MAX_EXPANDED = 32 << 20  # a deployable template is at most 1 MB; YAML aliases must not multiply it past this


def expanded_size(value: Any, limit: int = MAX_EXPANDED) -> int:
    """How large ``value`` is once its YAML aliases are expanded (every later stage, SAM's
    translator included, copies or walks each reference), counted without expanding it: shared
    nodes are sized once and added each time they are referenced. Stops counting past ``limit``."""
    sizes: dict[int, int] = {}
    todo: list[tuple[Any, bool]] = [(value, False)]
    while todo:
        node, children_done = todo.pop()
        if id(node) in sizes:
            continue
        if not isinstance(node, dict | list):
            sizes[id(node)] = len(node) if isinstance(node, str | bytes) else 8
            continue
        kids = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        if not children_done:
            todo.append((node, True))
            todo.extend((kid, False) for kid in kids if id(kid) not in sizes)
            continue
        sizes[id(node)] = min(limit + 1, 8 + sum(sizes[id(kid)] for kid in kids))
    return sizes[id(value)]


def check_document(value: Any, where: str, what: str = "template") -> None:
    """Bounded nesting and bounded expanded size: located errors instead of a recursion or a hang."""
    if expanded_size(value) > MAX_EXPANDED:  # first: it is linear in distinct nodes, the depth walk is not
        raise GateInputError(f"{what} expands to more than {MAX_EXPANDED >> 20} MiB (YAML aliases repeat "
                             "large values): not analysed", where)
    if nesting_depth(value) > MAX_DEPTH:
        raise GateInputError(f"{what} nested deeper than {MAX_DEPTH} levels", where)


def nesting_depth(value: Any) -> int:
    """How deep lists and mappings nest in ``value`` (iteratively: it must not recurse itself)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            todo.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


@dataclass
class Artifacts:
    """What loading one template read besides the template: path -> SHA-256 of its bytes."""

    project: Path
    read: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: str, base_dir: Path, where: str, what: str) -> Path:
        """A local path named by a template, checked: inside the project, and it exists."""
        path = (base_dir / value).resolve()
        if not inside(self.project, path):
            raise GateInputError(f"{what} {value!r} is outside the project directory {self.project}; "
                                 "it is not read", where)
        if not (path.is_file() or path.is_dir()):
            raise GateInputError(f"{what} {value!r} not found ({path})", where)
        return path

    def read_text(self, path: Path, where: str) -> str:
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_ARTIFACT_BYTES else None
        except OSError as exc:
            raise GateInputError(f"cannot read {path}: {exc.strerror or exc}", where) from None
        if data is None:
            raise GateInputError(f"{path} is larger than {MAX_ARTIFACT_BYTES // 2**20} MiB", where)
        self.read[str(path)] = hashlib.sha256(data).hexdigest()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GateInputError(f"{path} is not UTF-8 text (byte {exc.start})", where) from None

    def document(self, path: Path, where: str) -> Any:
        """A YAML or JSON document (CloudFormation short forms allowed), with located errors."""
        text = self.read_text(path, where)
        try:
            document = json.loads(text) if path.suffix == ".json" else cfn_yaml.loads(text)
        except RecursionError:
            raise GateInputError(f"{path} is nested deeper than the decoder allows", where) from None
        except json.JSONDecodeError as exc:
            raise GateInputError(f"does not parse: {exc.msg}", f"{path}:{exc.lineno}:{exc.colno}") from None
        except cfn_yaml.TemplateSyntaxError as exc:
            raise GateInputError(f"does not parse: {exc}", f"{path}:{exc.line}:{exc.column}" if exc.line
                                 else str(path)) from None
        check_document(document, where, str(path))
        return document

    def local_document(self, value: str, base_dir: Path, where: str, what: str) -> tuple[Path, Any]:
        """The file a template names (checked as ``resolve`` does; it must be a file), decoded."""
        path = self.resolve(value, base_dir, where, what)
        if not path.is_file():
            raise GateInputError(f"{what} {value!r} is not a file", where)
        return path, self.document(path, where)

    def unchanged(self) -> bool:
        """Are the files read when this was recorded still the same bytes?"""
        for name, digest in self.read.items():
            try:
                if hashlib.sha256(Path(name).read_bytes()).hexdigest() != digest:
                    return False
            except OSError:
                return False
        return True


def local(value: Any) -> str | None:
    """``value`` when it is a local path (a string that is not an S3 or HTTP location)."""
    return value if isinstance(value, str) and value and not value.startswith(_REMOTE) else None


def inline_includes(value: Any, base_dir: Path, artifacts: Artifacts, where: str, depth: int = 0) -> Any:
    """``value`` with every ``AWS::Include`` of a local file replaced by that file's content."""
    if isinstance(value, dict):
        transform = value.get("Fn::Transform") if len(value) == 1 else None
        if isinstance(transform, dict) and transform.get("Name") == "AWS::Include":
            location = local((transform.get("Parameters") or {}).get("Location"))
            if location is not None:
                if depth >= MAX_INCLUDE_DEPTH:
                    raise GateInputError(f"AWS::Include nested deeper than {MAX_INCLUDE_DEPTH} levels", where)
                path, included = artifacts.local_document(location, base_dir, where, "AWS::Include Location")
                return inline_includes(included, path.parent, artifacts, f"{path} (included from {where})",
                                       depth + 1)
        return {k: inline_includes(v, base_dir, artifacts, where, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [inline_includes(v, base_dir, artifacts, where, depth) for v in value]
    return value


# (resource type, property naming a local document, property the document goes into)
LOCAL_DOCUMENTS = (
    ("AWS::Serverless::StateMachine", "DefinitionUri", "Definition"),
    ("AWS::Serverless::Api", "DefinitionUri", "DefinitionBody"),
    ("AWS::Serverless::HttpApi", "DefinitionUri", "DefinitionBody"),
    ("AWS::StepFunctions::StateMachine", "DefinitionS3Location", "Definition"),
    ("AWS::ApiGateway::RestApi", "BodyS3Location", "Body"),
    ("AWS::ApiGatewayV2::Api", "BodyS3Location", "Body"),
)


def inline_local_documents(resources: dict[str, Any], base_dir: Path, artifacts: Artifacts, template: Path) -> None:
    """Definitions given as local files (an API's OpenAPI document, a state machine's ASL, as
    ``sam package``/``aws cloudformation package`` accept them) become the inline property the file
    would be uploaded for."""
    for logical_id, res in resources.items():
        if not isinstance(res, dict):
            continue
        props = res.get("Properties")
        for kind, uri_property, inline_property in LOCAL_DOCUMENTS:
            uri = local(props.get(uri_property)) if res.get("Type") == kind and isinstance(props, dict) else None
            if uri is None:
                continue
            where = f"{template} (resource {logical_id}, {uri_property})"
            path, document = artifacts.local_document(uri, base_dir, where, uri_property)
            if not isinstance(document, dict):
                raise GateInputError(f"the document {uri_property} names is not a mapping", str(path))
            del props[uri_property]
            props[inline_property] = inline_includes(document, path.parent, artifacts, where)


def layer_placeholders(resources: dict[str, Any], base_dir: Path, artifacts: Artifacts, template: Path,
                       placeholder_bucket: str) -> dict[str, Path]:
    """Local ``ContentUri`` of SAM layers swapped for placeholders; logical ID -> the layer directory."""
    out: dict[str, Path] = {}
    for logical_id, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::Serverless::LayerVersion":
            continue
        props = res.get("Properties")
        uri = local(props.get("ContentUri")) if isinstance(props, dict) else None
        if uri is None:
            continue
        path = artifacts.resolve(uri, base_dir, f"{template} (resource {logical_id}, ContentUri)", "ContentUri")
        out[logical_id] = path
        props["ContentUri"] = f"s3://{placeholder_bucket}/{LAYER_PLACEHOLDER_PREFIX}{logical_id}"
    return out
