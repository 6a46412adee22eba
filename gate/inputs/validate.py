"""A template CloudFormation (or SAM) would reject is an error, not a pass.

A typo that CloudFormation refuses at deploy time must not make the gate skip what it cannot read:
``Runtime: pyhton3.12`` would make every function "not Python", ``Type: AWS::SQS::Queu`` would drop
the queue and its flow. So, before anything is analysed, the template as written is checked for:

* resource types that do not exist — against the CloudFormation resource specification cfn-lint
  ships (its per-region type table and schemas, read as data: cfn-lint itself is never imported),
  plus SAM's own types; third-party registry types (not ``AWS::``/``Alexa::``) cannot be known
  and are accepted;
* Lambda runtimes that do not exist — against the runtime enumeration of botocore's Lambda service
  model (deprecated runtimes are real runtimes: python3.7-3.9 are still analysed as Python);
* missing required properties of the resources the gate reads (the schemas' ``required``);
* ``Fn::`` intrinsic functions CloudFormation does not have.

Each problem is a ``GateInputError`` located at the resource's line (``template.yaml:LINE``).
"""

from __future__ import annotations

import difflib
import functools
import gzip
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError

SAM_TYPES = frozenset(f"AWS::Serverless::{t}" for t in (
    "Function", "Api", "HttpApi", "SimpleTable", "LayerVersion", "Application", "StateMachine", "Connector",
    "GraphQLApi"))
INTRINSICS = frozenset(f"Fn::{n}" for n in (
    "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
    "Transform", "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString",
    # Rules-section functions
    "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll"))
# The resources whose properties the gate reads (SAM's functions are checked by the SAM translator).
CHECKED_REQUIRED = ("AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Url",
                    "AWS::SNS::Subscription", "AWS::Lambda::Permission")
_LAMBDA_FUNCTIONS = ("AWS::Lambda::Function", "AWS::Serverless::Function")


def validate_template(template: dict[str, Any], path: Path) -> None:
    """Raise a located ``GateInputError`` for the first thing CloudFormation would reject."""
    resources = template.get("Resources") or {}
    problems: list[tuple[str, str]] = []  # (logical ID or "", message)
    for logical_id, res in resources.items():
        if not isinstance(res, dict):
            continue
        kind = res.get("Type")
        props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
        if isinstance(kind, str) and not _known_type(kind):
            problems.append((logical_id, f"unknown resource type {kind!r}{_did_you_mean(kind, _all_types())}"))
        elif kind in _LAMBDA_FUNCTIONS:
            problem = _runtime_problem(props.get("Runtime"))
            if problem:
                problems.append((logical_id, problem))
        if kind in CHECKED_REQUIRED:
            missing = [p for p in _required(kind) if p not in props]
            if missing:
                problems.append((logical_id, f"{kind} is missing required propert{'y' if len(missing) == 1 else 'ies'} "
                                             f"{', '.join(missing)}"))
        bad = _unknown_intrinsic(res)
        if bad:
            problems.append((logical_id, f"unknown intrinsic function {bad!r}{_did_you_mean(bad, INTRINSICS)}"))
    globals_fn = (template.get("Globals") or {}).get("Function") if isinstance(template.get("Globals"), dict) else None
    if isinstance(globals_fn, dict):
        problem = _runtime_problem(globals_fn.get("Runtime"))
        if problem:
            problems.append(("", f"Globals.Function: {problem}"))
    if problems:
        logical_id, message = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        line = _key_line(path, logical_id, after="Resources") if logical_id else _key_line(path, "Globals")
        where = f"{path}:{line}" if line else str(path)
        what = f"resource {logical_id}: " if logical_id else ""
        raise GateInputError(f"{what}{message}; CloudFormation would reject this template{more}", where)


def _known_type(kind: str) -> bool:
    if kind in SAM_TYPES or kind.startswith("Custom::") or kind.endswith("::MODULE"):
        return True
    if not kind.startswith(("AWS::", "Alexa::")):
        return True  # a third-party or private registry type: not knowable here
    return kind in _type_table() or kind in _all_types()  # other regions' files only when needed


def _runtime_problem(runtime: Any) -> str | None:
    if not isinstance(runtime, str) or runtime in _runtimes():
        return None  # an intrinsic (a parameter, say) is not decided here
    return f"unknown Lambda runtime {runtime!r}{_did_you_mean(runtime, _runtimes())}"


def _did_you_mean(word: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_intrinsic(value: Any, depth: int = 0) -> str | None:
    if depth > 100:
        return None
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Metadata" and depth == 0:
                continue  # free-form
            if (len(value) == 1 and isinstance(key, str) and key.startswith("Fn::") and key not in INTRINSICS
                    and not key.startswith("Fn::ForEach::")):
                return key
            found = _unknown_intrinsic(inner, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for inner in value:
            found = _unknown_intrinsic(inner, depth + 1)
            if found:
                return found
    return None


# --- the specification data -------------------------------------------------------------------


def _cfnlint_schemas() -> Path:
    spec = importlib.util.find_spec("cfnlint")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise GateInputError("cfn-lint's CloudFormation schemas are not installed (pip install cfn-lint)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@functools.cache
def _type_table() -> dict[str, str]:
    """Resource type -> schema file, for us-east-1 (which has nearly every type)."""
    providers = _cfnlint_schemas() / "providers"
    table: dict[str, str] = json.loads((providers / "us-east-1.json").read_text(encoding="utf-8"))
    return table


@functools.cache
def _all_types() -> frozenset[str]:
    types = set(_type_table())
    for region in sorted((_cfnlint_schemas() / "providers").glob("*.json")):
        if region.name != "us-east-1.json":
            types.update(json.loads(region.read_text(encoding="utf-8")))
    return frozenset(types | SAM_TYPES)


@functools.cache
def _required(kind: str) -> tuple[str, ...]:
    schema_id = _type_table().get(kind)
    if schema_id is None:
        return ()
    schema = json.loads((_cfnlint_schemas() / "resources" / f"{schema_id}.json").read_text(encoding="utf-8"))
    return tuple(schema.get("required") or ())


@functools.cache
def _runtimes() -> frozenset[str]:
    """Every Lambda runtime identifier, from botocore's Lambda service model (kept by AWS)."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise GateInputError("botocore is not installed (it comes with aws-sam-translator)")
    models = sorted((Path(next(iter(spec.submodule_search_locations))) / "data" / "lambda").glob(
        "*/service-2.json*"))
    model = models[-1]
    text = gzip.decompress(model.read_bytes()) if model.suffix == ".gz" else model.read_bytes()
    return frozenset(json.loads(text)["shapes"]["Runtime"]["enum"])


# --- where things are ---------------------------------------------------------------------------


def _key_line(path: Path, key: str, after: str | None = None) -> int:
    """The line of a mapping key (YAML or JSON), the first one below the key ``after`` when given;
    0 when not found."""
    try:
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return 0

    def pattern(name: str) -> re.Pattern[str]:
        return re.compile(rf'\s*"?{re.escape(name)}"?\s*:')

    start = next((i for i, line in enumerate(lines) if pattern(after).match(line)), 0) if after else 0
    wanted = pattern(key)
    return next((i + 1 for i in range(start, len(lines)) if wanted.match(lines[i])), 0)
