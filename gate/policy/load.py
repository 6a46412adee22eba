"""Policy as code: what blocks a deployment, validated against a JSON Schema shipped in the package.

A project's ``flowgate.yml`` is merged over the bundled default policy (``extends: none`` starts
empty): rules with the same name replace default ones, the lists add up. Every problem is reported
with the JSON path of the offending value, and ends the scan with exit code 2.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import os
import re
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.policy.floor import FloorDemands, apply_floor
from gate.policy.rules import SINK_KINDS, SOURCE_KINDS, Rule, custom_kind
from gate.policy.types import CustomSink, CustomSource, Policy, Suppression

PACKAGE_DIR = Path(__file__).parents[1]  # gate/: schemas/ and default_policy.yml
SCHEMA_PATH = PACKAGE_DIR / "schemas" / "policy.schema.json"
DEFAULT_POLICY_PATH = PACKAGE_DIR / "default_policy.yml"
FLOOR_ENV = "FLOWGATE_POLICY_FLOOR"
POLICY_FILE_NAME = "flowgate.yml"
_FIRST_CODE = 7001
_CALLABLE_SINK = re.compile(r"(?P<callable>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\((?P<parameter>[A-Za-z_]\w*)\)")


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GateInputError(f"cannot read policy: {exc}", str(path)) from None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise GateInputError(f"policy is not valid YAML: {getattr(exc, 'problem', exc)}", where) from None
    return _dates_to_text(data)


def _dates_to_text(value: Any) -> Any:
    """YAML reads ``2027-01-01`` as a date; the schema (and JSON) speak strings."""
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validate(data: Any, where: str) -> None:
    """Raise with the JSON path of the first problem (the most specific one jsonschema finds)."""
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise GateInputError(f"invalid policy at {error.json_path}: {error.message}", where)


def check_policy_file(path: Path) -> Policy:
    """Validate and compile a policy file (``flowgate policy check``)."""
    return _checked_file(path, "policy file not found")[1]


def _checked_file(path: Path, missing: str) -> tuple[Any, Policy]:
    """A policy file's data (validated) and its compiled policy."""
    if not path.is_file():
        raise GateInputError(missing, str(path))
    data = _read_yaml(path)
    validate(data, str(path))
    return data, compile_policy(data, str(path))


def find_policy(explicit: Path | None, project_dir: Path, floor: Path | None = None) -> Policy:
    """The policy of a scan: ``explicit``, else the project's ``flowgate.yml``, else the bundled one;
    held to the pipeline's floor (``floor``, else ``$FLOWGATE_POLICY_FLOOR``) when there is one."""
    if explicit is not None:
        policy = check_policy_file(explicit)
    elif (project_dir / POLICY_FILE_NAME).is_file():
        policy = check_policy_file(project_dir / POLICY_FILE_NAME)
    else:
        policy = default_policy()
    floor = floor or (Path(os.environ[FLOOR_ENV]) if os.environ.get(FLOOR_ENV) else None)
    if floor is None:
        return policy
    data, floor_policy = _checked_file(floor, "policy floor not found (--policy-floor / $FLOWGATE_POLICY_FLOOR)")
    return apply_floor(policy, floor_policy, FloorDemands.from_policy_data(data))


def default_policy() -> Policy:
    # Not schema-validated here: it ships with the gate and test_policy validates it, and compiling
    # the validator cost 0.08 s of every scan that has no policy file.
    data = _read_yaml(DEFAULT_POLICY_PATH)
    return compile_policy({"version": 1, "extends": "none", **data}, "bundled default")


@functools.cache
def _bundled_rule_names() -> tuple[str, ...]:
    """The bundled policy's rule names: every compiled policy says which of them it does not enforce."""
    return tuple(r["name"] for r in _read_yaml(DEFAULT_POLICY_PATH).get("rules", []))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    if "block_at" in over:
        merged["block_at"] = over["block_at"]
    rules = {r["name"]: r for r in base.get("rules", [])}
    for r in over.get("rules", []):
        rules[r["name"]] = r
    merged["rules"] = list(rules.values())
    for key in ("sanitizers", "custom_sources", "custom_sinks", "suppressions"):
        merged[key] = [*base.get(key, []), *over.get(key, [])]
    return merged


def compile_policy(data: dict[str, Any], origin: str) -> Policy:
    own_rules = data.get("rules", [])  # JSON paths in errors point into the user's own file
    if data.get("extends", "default") == "default":
        base = _read_yaml(DEFAULT_POLICY_PATH)
        data = _merge(base, data)
    custom_sources = [CustomSource(s["name"], s["callable"], custom_kind(s["name"]))
                      for s in data.get("custom_sources", [])]
    custom_sinks = [CustomSink(s["name"], s["callable"], s["parameter"],
                               SINK_KINDS.get(s["name"]) or custom_kind(s["name"]))
                    for s in data.get("custom_sinks", [])]
    # A rule may name a sink as a callable with its parameter, e.g. db.run_query(sql).
    for r in data.get("rules", []):
        for name in r["sinks"]:
            match = _CALLABLE_SINK.fullmatch(name)
            if match and all(c.name != name for c in custom_sinks):
                custom_sinks.append(CustomSink(name, match["callable"], match["parameter"],
                                               custom_kind(re.sub(r"\W+", "-", name).strip("-").lower())))
    source_names = {**SOURCE_KINDS, **{s.name: s.kind for s in custom_sources}}
    sink_names = {**SINK_KINDS, **{s.name: s.kind for s in custom_sinks}}
    for i, r in enumerate(own_rules):
        for key, known in (("sources", source_names), ("sinks", sink_names)):
            for j, name in enumerate(r[key]):
                if name not in known:
                    raise GateInputError(f"invalid policy at $.rules[{i}].{key}[{j}]: unknown {key[:-1]} "
                                         f"{name!r} (known: {', '.join(sorted(known))})", origin)
    rules: list[Rule] = []
    for i, r in enumerate(data.get("rules", [])):
        if not r.get("enabled", True):
            continue
        rules.append(Rule(_FIRST_CODE + i, r["name"], r.get("category") or r["name"], r.get("title") or r["name"],
                          tuple(dict.fromkeys(source_names[n] for n in r["sources"])),
                          tuple(dict.fromkeys(sink_names[n] for n in r["sinks"])),
                          r["severity"], r.get("cwe", ""), r.get("help", ""), tuple(r.get("sanitizers", []))))
    suppressions = []
    rule_names = [r["name"] for r in data.get("rules", [])]
    for i, s in enumerate(data.get("suppressions", [])):
        if s["rule"] not in rule_names:
            close = difflib.get_close_matches(s["rule"], rule_names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (rules: {', '.join(rule_names)})"
            raise GateInputError(f"invalid policy at $.suppressions[{i}].rule: no rule named {s['rule']!r}{hint}",
                                 origin)
        expires = None
        if "expires" in s:
            try:
                expires = dt.date.fromisoformat(s["expires"])
            except ValueError:
                raise GateInputError(f"invalid policy at $.suppressions[{i}].expires: not a date",
                                     origin) from None
        suppressions.append(Suppression(s["rule"], s["reason"], s.get("function"), s.get("construct_path"),
                                        s.get("handler"), s.get("sink"), expires))
    enforced = {r.name for r in rules}
    return Policy(
        disabled=[name for name in _bundled_rule_names() if name not in enforced],
        block_at=data.get("block_at", "high"), rules=rules,
        sanitizers=list(dict.fromkeys(data.get("sanitizers", []))),
        custom_sources=custom_sources, custom_sinks=custom_sinks, suppressions=suppressions, origin=origin,
        source_kinds=list(dict.fromkeys([*SOURCE_KINDS.values(), *(s.kind for s in custom_sources)])),
        sink_kinds=list(dict.fromkeys([*SINK_KINDS.values(), *(s.kind for s in custom_sinks)])),
    )


STARTER_POLICY = """\
# flowgate policy: what blocks a deployment. Validated against the schema printed by
# `flowgate policy schema`; check it with `flowgate policy check flowgate.yml`.
version: 1

# Merge over the bundled default rules (code injection, SQL/NoSQL injection, SSRF, path traversal,
# insecure deserialization, information leakage). Use `extends: none` to start from nothing.
extends: default

# Lowest severity that blocks: low | medium | high | critical. `flowgate scan --fail-on` overrides it.
block_at: high

# Rules with the name of a default rule replace it. Sources: Api, HttpApi, FunctionUrl, WebSocket, ALB,
# AppSync, Cognito, IoT, CloudWatchLogs, ExternalResource, s3-listing, exception-text, or a custom
# source. Sinks: code-execution, sql-query, nosql-filter, request-url, file-path, deserialization,
# http-response, a custom sink, or a callable
# with its dangerous parameter such as db.run_query(sql). A rule's own sanitizers clean its sinks only.
rules: []
#  - name: information-leakage
#    category: information-leakage
#    title: Information leakage
#    severity: high
#    sources: [exception-text]
#    sinks: [http-response]
#    sanitizers: [errors.public_message]

# Your own dangerous functions. `callable` is a module path inside a function's code root (or the
# standard library); `name` is used in rules (a built-in sink name joins that sink).
custom_sinks: []
#  - name: sql-query
#    callable: db.run_query
#    parameter: sql

# Your own untrusted inputs: the callable's return value is tainted.
custom_sources: []
#  - name: partner-feed
#    callable: partners.fetch_feed

# Callables whose result is safe for every rule (a class constructor is Class.__new__).
sanitizers: []
#  - validators.safe_filename

# Accepted risks. Keyed on the function (logical ID or CDK construct path), optionally the handler
# and the sink callable; never on line numbers. A reason is mandatory; after `expires` it blocks again.
suppressions: []
#  - rule: code-injection
#    function: ThumbnailFunction
#    sink: subprocess.run
#    reason: Keys are UUIDs generated by OrdersApiFunction (TICKET-123)
#    expires: 2027-03-31
"""
