"""Serverless Framework variables (``${source:address, fallback}``) resolved offline, never guessed.

The Framework resolves variables before it compiles a service to CloudFormation, so the gate must
too: ``environment: ${self:custom.settings}``, ``bucket: ${self:service}-${sls:stage}-uploads`` and
``Resource: arn:aws:s3:::${self:custom.bucket}/*`` decide which function a write triggers and what
its role allows. Sources the gate can know from the checkout and the command line are resolved
(``self``, ``opt``, ``sls``, ``env``, ``param``, ``file(...)`` of local YAML/JSON, ``aws:region``,
``strToBool``), with nested variables and fallbacks. Sources only a deploy can know (``ssm``,
``cf``, ``s3``, ``sls:instanceId``, a ``file()`` of JavaScript, a plugin's source) become
``Unknown`` (so does a ``file()`` that does not exist inside the project: often a secrets file the
pipeline writes): the compiler turns each into a template parameter without a default, which every later
stage already treats as "could be anything" (never pruned as certain, never silently guessed).
``${aws:accountId}`` is CloudFormation's ``AWS::AccountId``, exactly as deployed.

CloudFormation's own ``${Name}`` and ``${AWS::Region}`` inside ``Fn::Sub`` strings are not
Framework variables and are left alone. A ``self`` address that names nothing, a cycle, a
``file()`` outside the project or missing is a located ``GateInputError`` (the Framework refuses
them too); a missing ``env``/``opt``/``param`` value without a fallback is unknown, with a warning,
because the deploy environment may well set what the scanning one does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.inputs.local_artifacts import Artifacts, inside
from gate.inputs.serverless_lift import construct_value

_SOURCE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)(\(([^()]*)\))?(?::(.*))?\s*$", re.S)
_KNOWN_OFFLINE = {"self", "opt", "sls", "env", "param", "file", "aws", "strToBool", "construct"}
_DEPLOY_TIME = {"ssm", "cf", "s3", "sm", "secretsmanager", "terraform", "vault", "doppler"}
_CODE_FILES = (".js", ".cjs", ".mjs", ".ts")
MAX_DEPTH = 40
MAX_NODES = 250_000


@dataclass(frozen=True)
class Unknown:
    """A value only the deploy can know, as written (``${ssm:/app/bucket}``)."""

    text: str


@dataclass(frozen=True)
class Options:
    """What the command line gives the Framework: ``--stage``, ``--region``, ``--param k=v``."""

    stage: str | None = None
    region: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


class _NotFound(Exception):
    """A source has no value at the address: the next fallback is tried."""


class Resolver:
    """Resolves one service's configuration; ``warnings`` says what became unknown and why."""

    def __init__(self, config: dict[str, Any], path: Path, artifacts: Artifacts, options: Options) -> None:
        self.config, self.path, self.artifacts, self.options = config, path, artifacts, options
        self.warnings: list[str] = []
        self._memo: dict[tuple[str, ...], Any] = {}
        self._active: list[str] = []
        self._nodes = 0

    # -- the whole configuration -------------------------------------------------------------------
    def resolved(self) -> dict[str, Any]:
        out = self.value(self.config, "", 0)
        if not isinstance(out, dict):
            raise GateInputError("serverless configuration is not a mapping after variables", str(self.path))
        return out

    def value(self, value: Any, where: str, depth: int) -> Any:
        """``value`` with every variable in it (and below it) resolved."""
        self._nodes += 1
        if self._nodes > MAX_NODES or depth > MAX_DEPTH:
            raise GateInputError("variables expand too far (a cycle or an expansion bomb)", self._at(where))
        if isinstance(value, str):
            return self._string(value, where, depth)
        if isinstance(value, dict):
            return {k: self.value(v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        return value

    # -- strings ----------------------------------------------------------------------------------
    def _string(self, text: str, where: str, depth: int) -> Any:
        if "${" not in text:
            return text
        parts: list[Any] = []
        pos = 0
        for start, end in _spans(text):
            inner = text[start + 2:end]
            if not _is_framework_variable(inner):
                continue  # CloudFormation's own ${Name} / ${AWS::Region} (Fn::Sub): left as written
            parts.append(text[pos:start])
            parts.append(self._variable(inner, where, depth))
            pos = end + 1
        if not parts:
            return text
        parts.append(text[pos:])
        parts = [p for p in parts if p != ""]
        if len(parts) == 1:
            return parts[0]  # the whole string is one variable: its value keeps its type
        for p in parts:
            if isinstance(p, (dict, list)) and not _is_intrinsic(p):
                raise GateInputError(f"variable in {text!r} resolves to an object inside a string", self._at(where))
        if any(isinstance(p, Unknown) for p in parts):
            return Unknown(text)
        if all(not isinstance(p, dict) for p in parts):
            return "".join(_text(p) for p in parts)
        return {"Fn::Join": ["", [p if isinstance(p, dict) else _text(p) for p in parts]]}

    def _variable(self, inner: str, where: str, depth: int) -> Any:
        """One ``${...}`` body: nested variables first, then the source and its fallbacks in order."""
        body = self._string(inner, where, depth + 1) if "${" in inner else inner
        if isinstance(body, Unknown):
            return Unknown("${" + inner + "}")
        if not isinstance(body, str):
            raise GateInputError(f"nested variable in ${{{inner}}} is not text", self._at(where))
        choices = _split_top(body)
        for choice in choices:
            try:
                return self._choice(choice.strip(), where, depth)
            except _NotFound:
                continue
        source = _SOURCE.match(choices[0])
        name = source.group(1) if source else ""
        if name == "self" or name == "file":
            raise GateInputError(f"variable ${{{inner}}} names nothing ({_source_text(choices[0])} has no such "
                                 "value)", self._at(where))
        self.warnings.append(f"{self._at(where)}: ${{{inner}}} has no value here and no fallback; treated as "
                             "unknown (the deploy may set it)")
        return Unknown("${" + inner + "}")

    def _choice(self, text: str, where: str, depth: int) -> Any:
        literal = _literal(text)
        if literal is not _NO_LITERAL:
            return literal
        if text.startswith("${") and text.endswith("}"):
            return self._variable(text[2:-1], where, depth + 1)
        match = _SOURCE.match(text)
        if match is None:
            raise GateInputError(f"cannot read variable {text!r}", self._at(where))
        source, arg, address = match.group(1), match.group(3), (match.group(4) or "").strip()
        if source == "self":
            return self._self(address, where, depth)
        if source == "opt":
            found = {"stage": self.options.stage, "region": self.options.region}.get(address)
            if found is None:
                raise _NotFound
            return found
        if source == "sls":
            if address == "stage":
                return self.stage(depth)
            raise _NotFound if address != "instanceId" else _Deploy
        if source == "env":
            if address not in self.options.env:
                raise _NotFound
            return self.options.env[address]
        if source == "param":
            return self._param(address, depth)
        if source == "aws":
            if address == "accountId":
                return {"Ref": "AWS::AccountId"}
            if address == "region":
                return self.region(depth)
            raise _NotFound
        if source == "construct":  # serverless-lift
            value = construct_value(self.config, address)
            if value is None:
                self.warnings.append(f"{self._at(where)}: ${{construct:{address}}} is not a modelled construct "
                                     "output; treated as unknown")
                return Unknown("${" + text + "}")
            return value
        if source == "strToBool":
            return str(arg).strip().strip("'\"").lower() in ("true", "1")
        if source == "file":
            return self._file(arg or "", address, where, depth)
        if source in _DEPLOY_TIME:
            return Unknown("${" + text + "}")
        self.warnings.append(f"{self._at(where)}: variable source {source!r} is not known offline (a plugin's?); "
                             "its value is treated as unknown")
        return Unknown("${" + text + "}")

    # -- sources ----------------------------------------------------------------------------------
    def _self(self, address: str, where: str, depth: int) -> Any:
        keys = tuple(k for k in re.split(r"\.", address) if k) if address else ()
        if keys in self._memo:
            return self._memo[keys]
        if address in self._active:
            raise GateInputError(f"variable cycle: ${{self:{address}}} refers to itself "
                                 f"({' -> '.join(self._active[self._active.index(address):])})", self._at(where))
        self._active.append(address)
        try:
            node: Any = self.config
            for i, key in enumerate(keys):
                node = self._shallow(node, ".".join(keys[:i]), depth)
                if isinstance(node, Unknown):  # below a value only the deploy knows: unknown too
                    node = Unknown(f"${{self:{address}}}")
                    break
                if isinstance(node, dict) and key in node:
                    node = node[key]
                elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                    node = node[int(key)]
                else:
                    raise _NotFound
            out = self.value(node, address, depth + 1)
        finally:
            self._active.pop()
        self._memo[keys] = out
        return out

    def _shallow(self, node: Any, where: str, depth: int) -> Any:
        return self._string(node, where, depth + 1) if isinstance(node, str) else node

    def _param(self, name: str, depth: int) -> Any:
        if name in self.options.params:
            return self.options.params[name]
        params = self.config.get("params")
        if isinstance(params, dict):
            for scope in (self.stage(depth), "default"):
                values = params.get(scope)
                if isinstance(values, dict) and name in values:
                    return self.value(values[name], f"params.{scope}.{name}", depth + 1)
        raise _NotFound

    def _file(self, arg: str, address: str, where: str, depth: int) -> Any:
        name = self._string(arg.strip().strip("'\""), where, depth + 1)
        if not isinstance(name, str):
            return Unknown(f"${{file({arg})}}")
        if name.endswith(_CODE_FILES):
            self.warnings.append(f"{self._at(where)}: file({name}) is code the gate does not run; its value is "
                                 "treated as unknown")
            return Unknown(f"${{file({name})}}")
        candidate = (self.path.parent / name).resolve()
        if not candidate.exists() and inside(self.artifacts.project, candidate):
            # Often a secrets file the pipeline writes before deploying (and .gitignore keeps out).
            self.warnings.append(f"{self._at(where)}: file({name}) does not exist here; its values are treated "
                                 "as unknown")
            return Unknown(f"${{file({name}):{address}}}")
        path, document = self.artifacts.local_document(name, self.path.parent, self._at(where), "variable file")
        node: Any = document
        for key in (k for k in address.split(".") if k):
            if isinstance(node, dict) and key in node:
                node = node[key]
            else:
                raise _NotFound
        return self.value(node, f"{path.name}:{address}", depth + 1)

    def stage(self, depth: int = 0) -> str:
        """``--stage``, else ``provider.stage``, else ``dev`` (the Framework's order)."""
        return self._option_or_provider(self.options.stage, "stage", "dev", depth)

    def region(self, depth: int = 0) -> str:
        """``--region``, else ``provider.region``, else ``us-east-1`` (the Framework's order)."""
        return self._option_or_provider(self.options.region, "region", "us-east-1", depth)

    def _option_or_provider(self, option: str | None, key: str, default: str, depth: int) -> str:
        if option:
            return option
        provider = self.config.get("provider")
        configured = provider.get(key) if isinstance(provider, dict) else None
        value = self._string(configured, f"provider.{key}", depth + 1) if isinstance(configured, str) else None
        return value if isinstance(value, str) and value else default

    def _at(self, where: str) -> str:
        return f"{self.path}: {where}" if where else str(self.path)


class _Deploy(_NotFound):
    """Known only at deploy time; with no fallback, unknown."""


_NO_LITERAL = object()


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return {"true": True, "false": False, "null": None}.get(text, _NO_LITERAL)


def _spans(text: str) -> list[tuple[int, int]]:
    """Outermost ``${`` ... ``}`` spans (nested braces counted)."""
    spans, i = [], 0
    while (start := text.find("${", i)) >= 0:
        depth, j = 0, start + 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(text):
            break  # unterminated: not a variable
        spans.append((start, j))
        i = j + 1
    return spans


def _split_top(body: str) -> list[str]:
    """The comma-separated choices of a variable, outside quotes, parentheses and braces."""
    out, depth, quote, cur = [], 0, "", []
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [c.strip() for c in out]


def _is_framework_variable(inner: str) -> bool:
    """``${self:x}``, ``${file(a.yml):k}``, ``${ssm:/p}``; not ``${Name}`` or ``${AWS::Region}``."""
    head = _split_top(inner)[0]
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9]*)(\(|:(?!:))", head)
    return match is not None and (match.group(1) in _KNOWN_OFFLINE | _DEPLOY_TIME or match.group(2) == ":"
                                  and "::" not in head)


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and (next(iter(value)) == "Ref"
                                                             or next(iter(value)).startswith("Fn::"))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _source_text(choice: str) -> str:
    return "${" + choice + "}"
