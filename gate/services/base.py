"""What a service module declares, so that the engine core can stay service-agnostic.

A service says, in one place: which CloudFormation resource types it owns and how they are named
at runtime; how its triggers appear in templates; which SDK calls write to it (client style and
resource style) and which IAM action each needs; how to read the facts of such a call (target,
S3 key, statically known attribute values) and whether a trigger's filter lets the event through;
and what event its consumers receive, built from the writer's arguments.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.common.aws import ACCOUNT, REGION
from gate.common.event_patterns import match_any
from gate.common.intrinsics import literal, references, render
from gate.model.types import passed_in
from gate.pyast.resolve import call_argument, resolve_str
from gate.pyast.types import UNKNOWN, SubResource

if TYPE_CHECKING:
    from gate.inputs.types import Stack
    from gate.model.types import Function, Resource, Trigger
    from gate.pyast.index import Scope
    from gate.pyast.types import Handle, Sym


@dataclass(frozen=True)
class WriteApi:
    """An SDK call that makes ``service`` deliver an event to its subscribers.

    ``receiver`` is ``"client"`` for ``boto3.client(service)`` or the name of a boto3 resource
    sub-object (``"Bucket"``, ``"Object"``, ``"Table"``, ``"Queue"``, ``"Topic"``).
    ``params`` is the call's parameter order, so positional arguments can be named.
    ``target`` names the parameter that identifies the resource; ``None`` means the receiver's
    constructor carries it (``s3.Bucket(name).put_object(...)``).
    ``action`` is the IAM action the call needs on the target (``s3:PutObject``).
    """

    service: str
    receiver: str
    method: str
    params: tuple[str, ...]
    event: str
    target: str | None = None
    key: str | None = None  # S3: the parameter holding the object key (for prefix/suffix filters)
    key_from_receiver: bool = False  # S3 Object(...).put: the key lives on the receiver
    action: str = ""

    @property
    def label(self) -> str:
        prefix = "" if self.receiver == "client" else f"{self.receiver}."
        return f"{self.service}.{prefix}{self.method}"


@dataclass(frozen=True)
class SdkHelper:
    """An SDK call that is a taint source or sink itself, rewritten into a call of the modelled
    helper ``name`` of ``gate/pysa_data/flowgate_sdk.py`` (``source``: its result is untrusted, so
    the code that makes it is in scope)."""

    name: str
    source: bool = False


@dataclass(frozen=True)
class ContentSpec:
    """A service whose resources hold content one function stores and another reads back (S3
    objects); ``gate.plan.content`` follows it for every service that declares one.

    ``reads`` are the calls whose result (or the file they download to ``file_param``) carries the
    content; ``store_params`` the writes that store it and the parameter holding it (a file path for
    ``file_param`` uploads); ``upload_url_methods`` writes that hand a client the right to store;
    ``event_resource_path`` how the triggering event names the resource (a read of that resource
    reads the resources that trigger the function); ``noun`` what reports call a resource."""

    reads: tuple[WriteApi, ...]
    store_params: dict[str, str]
    upload_url_methods: tuple[str, ...] = ()
    file_param: str = "Filename"
    event_resource_path: str = ""
    noun: str = "resource"

    def stores_a_file(self, method: str) -> bool:
        """Does the write store a file by its path (its content is what the function writes there)?"""
        return self.store_params.get(method) == self.file_param


@dataclass
class CallFacts:
    """What the plan knows statically about one SDK write: its target, S3 key and argument values.

    ``values`` holds the statically known shape of the event fields filters look at (see
    ``gate.patterns``); ``item_keys`` the attribute names of a literal DynamoDB item.
    """

    target: Sym
    key: Sym | None = None
    values: dict[str, Any] = field(default_factory=dict)
    item_keys: list[str] | None = None


@dataclass
class ServiceContext:
    """What service modules may read while extracting triggers from one stack."""

    stack: Stack
    resources: dict[str, Resource]  # by logical ID, this stack only
    functions: dict[str, Function]  # by logical ID, this stack only
    function_aliases: dict[str, str] = field(default_factory=dict)  # alias/version ID -> function ID
    # Cross-stack references (CDK passes resources between stacks this way): export name ->
    # (exporting stack, exported value), and every stack's resources by logical ID.
    exports: dict[str, tuple[str, Any]] = field(default_factory=dict)
    stack_resources: dict[str, dict[str, Resource]] = field(default_factory=dict)
    stacks: dict[str, Stack] = field(default_factory=dict)  # by name

    def function_of(self, value: Any) -> str | None:
        """The logical ID of the function a ``Ref``/``GetAtt``/``Sub`` value points at."""
        for logical, _attr in references(value):
            if logical in self.functions:
                return logical
            if logical in self.function_aliases:
                return self.function_aliases[logical]
        if isinstance(value, str):
            for logical, fn in self.functions.items():
                names = (logical, fn.physical_name) if fn.physical_name else (logical,)
                if any(value.endswith(f":function:{n}") or f":function:{n}:" in value for n in names):
                    return logical
        return None

    def functions_of(self, value: Any) -> list[str]:
        """Every function a value may name: each branch of an ``Fn::If`` is a configuration the
        template can deploy, so each is followed."""
        return list(dict.fromkeys(fn for v in branches(value) if (fn := self.function_of(v))))

    def resources_of(self, value: Any, types: tuple[str, ...]) -> list[Resource]:
        """Every resource of ``types`` a value may name (each branch of an ``Fn::If``)."""
        found = [r for v in branches(value) if (r := self.resource_of(v, types)) is not None]
        return list({r.key: r for r in found}.values())

    def resource_of(self, value: Any, types: tuple[str, ...]) -> Resource | None:
        owner, value = passed_in(self.stacks, self.stack, value)
        resources = self.resources if owner is self.stack else self.stack_resources.get(owner.name, {})
        if isinstance(value, dict) and set(value) == {"Fn::ImportValue"}:
            export = self.exports.get(literal(value["Fn::ImportValue"]) or "")
            if export is None:
                return None
            resources, value = self.stack_resources.get(export[0], {}), export[1]
        for logical, _attr in references(value):
            res = resources.get(logical)
            if res is not None and res.type in types:
                return res
        return None


def branches(value: Any, depth: int = 0) -> list[Any]:
    """The values an ``Fn::If`` may choose (recursively), or ``[value]``."""
    choice = value.get("Fn::If") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(choice, list) and len(choice) == 3 and depth < 8:
        return [*branches(choice[1], depth + 1), *branches(choice[2], depth + 1)]
    return [value]


class Service:
    """Base class; each AWS service overrides what applies to it."""

    name: str = ""
    resource_types: tuple[str, ...] = ()
    physical_name_properties: tuple[str, ...] = ()
    sub_resources: tuple[SubResource, ...] = ()
    writes: tuple[WriteApi, ...] = ()
    # ARN of a resource, given its runtime name: "arn:aws:sqs:{region}:{account}:{name}".
    arn_format: str = ""
    ref_is_arn: bool = False  # Ref gives the ARN (SNS topics, state machines), not the name
    # SDK calls that are sources or sinks themselves: (receiver kind, method) -> helper.
    sdk_helpers: dict[tuple[str, str], SdkHelper] = {}
    # What reports call this service's resources, by CloudFormation type ("bucket", "queue", ...).
    resource_labels: dict[str, str] = {}
    # Event fields a generated hop may read besides the API's own parameters (see gate.instrument.hops).
    event_params: tuple[str, ...] = ()
    # Python source the generated hop module needs for this service's events (helper functions).
    hop_helpers: str = ""
    # Content stored and read back through this service's resources (see ContentSpec), if any.
    content: ContentSpec | None = None

    def physical_names(self, resource: Resource) -> tuple[str, ...]:
        """The names a resource is known by: a literal name property, or its rendering
        (``!Sub "uploads-${AWS::AccountId}"`` renders as that text), so that another property, an
        environment variable or a policy written with the same expression names the same resource."""
        names = []
        for prop in self.physical_name_properties:
            value = resource.properties.get(prop)
            text = value if isinstance(value, str) else render(value)
            if text:
                names.append(text)
        return tuple(names)

    def pseudo_resources(self, stack: str, template_resources: dict[str, Any]) -> list[Resource]:
        """Resources that exist without a template entry (EventBridge's default bus)."""
        return []

    def arn(self, name: str) -> str:
        return self.arn_format.format(region=REGION, account=ACCOUNT, name=name)

    def iam_resource_arn(self, resource_arn: str, key: Sym | None) -> tuple[str, str | None]:
        """The ARN an IAM statement must cover for a call on the resource, and, when only part of
        it is known, the known prefix of what lies below the resource (S3 object keys)."""
        return resource_arn, None

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        return []

    def name_matches(self, resource: Resource, literal: str) -> bool:
        """Does a literal string used in code (name, URL, ARN) denote this resource?"""
        return any(literal == n or literal.endswith((f":{n}", f"/{n}")) for n in resource.physical_names)

    def call_facts(self, api: WriteApi, call: ast.Call, scope: Scope, handle: Handle) -> CallFacts | None:
        """Target, key and known values of a write (``None``: this call writes nothing after all);
        services with nested targets override this."""

        params = api.params
        target = resolve_str(call_argument(call, params, api.target), scope) if api.target else (
            handle.target or UNKNOWN)
        if api.key_from_receiver:
            key = handle.key or UNKNOWN
        elif api.key:
            key = resolve_str(call_argument(call, params, api.key), scope)
        else:
            key = None
        return CallFacts(target, key, self.known_values(api, call, scope))

    def known_values(self, api: WriteApi, call: ast.Call, scope: Scope) -> dict[str, Any]:
        """The statically known shape of the delivered event, for filters (see ``gate.patterns``)."""
        return {}

    def event_fires(self, api: WriteApi, trigger: Trigger) -> bool:
        return True

    def filter_verdict(self, api: WriteApi, trigger: Trigger, facts: CallFacts) -> tuple[str, str]:
        """'yes', 'no' or 'maybe' (unknown values), with a note, for the trigger's event filter.

        The default evaluates Lambda event source mapping ``FilterCriteria`` (any pattern matches)
        against ``facts.values``.
        """

        criteria = trigger.details.get("FilterCriteria")
        if not criteria:
            return "yes", "no event filter"
        return match_any(filter_patterns(criteria), facts.values, "FilterCriteria")

    def event_expression(self, api: WriteApi, trigger: Trigger, resource: Resource, facts: CallFacts) -> str:
        """Python source for the event dict the trigger delivers, in terms of the hop's parameters."""
        raise NotImplementedError


def filter_patterns(criteria: Any) -> list[Any]:
    """The JSON patterns of an ESM ``FilterCriteria`` (each ``Pattern`` is a JSON string)."""
    import json

    out = []
    for f in (criteria.get("Filters") or []) if isinstance(criteria, dict) else []:
        pattern = f.get("Pattern") if isinstance(f, dict) else None
        if isinstance(pattern, str):
            try:
                out.append(json.loads(pattern))
            except ValueError:
                out.append(None)  # unreadable: evaluated as unknown
        elif isinstance(pattern, dict):
            out.append(pattern)
        else:
            out.append(None)
    return out
