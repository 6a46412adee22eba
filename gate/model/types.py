"""The application model: what the infrastructure says about functions, resources and triggers.

Everything here is plain data produced from CloudFormation by ``gate.model.build``; later stages
(plan, instrument, findings) read it but never reach back into templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.inputs.types import Stack
from gate.policy.types import Suppression

if TYPE_CHECKING:
    from gate.model.iam import Permissions


def logical_id(key: str | None) -> str | None:
    """``Stack/LogicalId`` -> ``LogicalId`` (keys carry the stack so IDs from two stacks cannot clash)."""
    return key.split("/", 1)[1] if key else None


def passed_in(stacks: dict[str, Stack], stack: Stack, value: Any, depth: int = 8) -> tuple[Stack, Any]:
    """Follow ``{"Ref": Parameter}`` of a nested stack up to the stack, and the expression, that passes
    the value in (what a parent passes decides what a child's reference names)."""
    for _ in range(depth):
        param = value.get("Ref") if isinstance(value, dict) and set(value) == {"Ref"} else None
        if not (isinstance(param, str) and param in stack.parameters):
            break
        parent, value = stack.parameters[param]
        stack = stacks[parent]
    return stack, value


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: dict[str, Any]
    # Names this resource may be known by at runtime (BucketName, TableName, QueueName, ...).
    physical_names: tuple[str, ...] = ()
    # Names the deploy completes (``${TableName}`` of a parameter, ``uploads-${AWS::AccountId}``):
    # regular expressions a literal in code may match; such a match is a "maybe", never certain.
    name_patterns: tuple[str, ...] = ()

    @cached_property  # compared in loops over every resource of a service, per SDK call site
    def key(self) -> str:
        return f"{self.stack}/{self.logical_id}"


@dataclass(frozen=True)
class EnvBinding:
    """An environment variable of a function and what it names."""

    name: str
    raw: Any
    resource: str | None  # Resource.key, when the value references (or names) a resource
    attribute: str | None  # Ref, Arn, StreamArn, QueueUrl, ... or "physical-name"
    literal: str | None  # the plain string value, when there is one
    # Other resources the value may name: the other branches of an ``Fn::If`` (each is a
    # configuration this template can deploy, so each is followed).
    alternatives: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.resource:
            others = "".join(f" or {k.split('/', 1)[1]}" for k in self.alternatives)
            return f"{self.name} -> {self.resource.split('/', 1)[1]}{others} ({self.attribute})"
        if self.literal is not None:
            return f"{self.name} = {self.literal!r}"
        return f"{self.name} (unresolved)"


@dataclass(frozen=True)
class Function:
    stack: str
    logical_id: str
    runtime: str
    handler: str
    code_dir: Path | None
    handler_file: str | None  # relative to code_dir, e.g. "handlers/app.py"
    handler_function: str | None
    env: dict[str, EnvBinding]
    construct_path: str | None = None
    skipped_reason: str | None = None
    physical_name: str | None = None  # FunctionName, when the template sets it
    # A Python function the gate could not analyse (missing or broken code, code it cannot see):
    # unlike a deliberate skip (another runtime), this leaves the result incomplete.
    problem: bool = False
    # Lambda layers: local layer directories (their code joins the function's, as Lambda's /opt),
    # and the layers whose code is not here (an ARN, a layer without local content).
    layer_dirs: tuple[Path, ...] = ()
    unseen_layers: tuple[str, ...] = ()

    @cached_property  # compared in loops over every resource of a service, per SDK call site
    def key(self) -> str:
        return f"{self.stack}/{self.logical_id}"

    @property
    def analysable(self) -> bool:
        return self.skipped_reason is None


@dataclass(frozen=True)
class Trigger:
    """``source`` (a resource key) invokes ``function`` (a function key) with ``service``'s event."""

    service: str  # a registered service: "s3", "sqs", "sns", "dynamodb", "kinesis", "events", ...
    source: str
    function: str
    events: tuple[str, ...] = ()  # e.g. ("s3:ObjectCreated:*",)
    prefix: str | None = None
    suffix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # e.g. {"StreamViewType": "NEW_IMAGE"}
    via: str = ""  # the CloudFormation resource that declares the edge


@dataclass(frozen=True)
class EntryPoint:
    """An untrusted way into a function: API Gateway REST/HTTP APIs, function URLs, and triggers
    from resources outsiders can write to (``ExternalResource``: public buckets, queues and topics
    whose resource policy admits other accounts, buckets the app hands out upload URLs for)."""

    kind: str  # one of gate.policy.rules.ENTRY_KINDS: "Api", "HttpApi", "FunctionUrl", "ALB", ..., "ExternalResource"
    function: str
    via: str


@dataclass
class AppModel:
    stacks: list[Stack]
    functions: dict[str, Function]
    resources: dict[str, Resource]
    triggers: list[Trigger]
    entry_points: list[EntryPoint]
    warnings: list[str] = field(default_factory=list)
    permissions: dict[str, Permissions] = field(default_factory=dict)  # function key -> its role's statements
    external: dict[str, str] = field(default_factory=dict)  # resource key -> why outsiders can write to it
    construct_paths: dict[str, str] = field(default_factory=dict)  # resource key -> CDK construct path
    # Suppressions written next to the functions they accept (template Metadata; gate.model.declared)
    declared_suppressions: list[Suppression] = field(default_factory=list)

    def analysable_functions(self) -> list[Function]:
        return [f for f in self.functions.values() if f.analysable]

    def skipped_functions(self) -> list[Function]:
        """Deliberately not analysed: other runtimes, CDK's own handlers."""
        return [f for f in self.functions.values() if not f.analysable and not f.problem]

    def problem_functions(self) -> list[Function]:
        """Python functions that could not be analysed: the result is incomplete."""
        return [f for f in self.functions.values() if f.problem]

    def with_skips(self, keys: list[str], reason: str) -> AppModel:
        """The same model with these functions deliberately not analysed (not a problem)."""
        skip = set(keys)
        functions = {k: replace(f, skipped_reason=reason) if k in skip else f for k, f in self.functions.items()}
        return replace(self, functions=functions)

    def with_problems(self, problems: dict[str, str]) -> AppModel:
        """The same model with these functions marked as not analysable, and why."""
        functions = {k: replace(f, skipped_reason=problems[k], problem=True) if k in problems else f
                     for k, f in self.functions.items()}
        return replace(self, functions=functions)

    # Indexes, built on first use (the model is not changed after it is built; ``replace`` makes a
    # new object with fresh indexes): a thousand functions must not mean a million comparisons.
    @cached_property
    def _entry_kinds(self) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        for e in self.entry_points:
            out.setdefault(e.function, set()).add(e.kind)
        return {k: sorted(v) for k, v in out.items()}

    @cached_property
    def _triggers_from(self) -> dict[str, list[Trigger]]:
        out: dict[str, list[Trigger]] = {}
        for t in self.triggers:
            out.setdefault(t.source, []).append(t)
        return out

    @cached_property
    def _logical_id_uses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for k in {*self.functions, *self.resources}:
            logical = k.partition("/")[2]
            out[logical] = out.get(logical, 0) + 1
        return out

    @cached_property
    def _resources_by_type(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for r in self.resources.values():
            out.setdefault(r.type, []).append(r)
        return out

    def resources_of_types(self, types: tuple[str, ...]) -> list[Resource]:
        """Resources of these CloudFormation types, in template order per type."""
        return [r for t in types for r in self._resources_by_type.get(t, [])]

    def entry_kinds(self, function_key: str) -> list[str]:
        return list(self._entry_kinds.get(function_key, []))

    def triggers_from(self, resource_key: str) -> list[Trigger]:
        return list(self._triggers_from.get(resource_key, []))

    @cached_property
    def _stacks_by_name(self) -> dict[str, Stack]:
        return {s.name: s for s in self.stacks}

    def stack(self, name: str) -> Stack:
        return self._stacks_by_name[name]

    def stable_name(self, key: str) -> str:
        """A name for a function or resource that does not depend on where the app is checked out:
        the CDK construct path, else the logical ID for a SAM/CloudFormation root stack (whose name
        is its directory's), else ``Stack/LogicalId`` (CDK stacks, nested stacks)."""
        if key in self.construct_paths:
            return self.construct_paths[key]
        stack_name, _, logical = key.partition("/")
        stack = self._stacks_by_name.get(stack_name)
        if stack is not None and stack.origin != "cdk" and not stack.nested_path:
            return logical
        return key

    def display_name(self, key: str) -> str:
        """The CDK construct path when there is one (what CDK users recognise; logical IDs are hashes),
        else the logical ID alone when it is unambiguous across stacks, else ``Stack/LogicalId``."""
        if key in self.construct_paths:
            return self.construct_paths[key]
        logical = key.partition("/")[2]
        return logical if self._logical_id_uses.get(logical, 0) <= 1 else key
