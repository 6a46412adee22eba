"""What a service module declares, so that the engine core can stay service-agnostic.

A service says, in one place: which CloudFormation resource types it owns and how they are named
at runtime; how its triggers appear in templates; which SDK calls write to it (client style and
resource style); and what event its consumers receive, built from the writer's arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.model import Function, Resource, Stack, Trigger


@dataclass(frozen=True)
class WriteApi:
    """An SDK call that makes ``service`` deliver an event to its subscribers.

    ``receiver`` is ``"client"`` for ``boto3.client(service)`` or the name of a boto3 resource
    sub-object (``"Bucket"``, ``"Object"``, ``"Table"``, ``"Queue"``, ``"Topic"``).
    ``params`` is the call's parameter order, so positional arguments can be named.
    ``target`` names the parameter that identifies the resource; ``None`` means the receiver's
    constructor carries it (``s3.Bucket(name).put_object(...)``).
    """

    service: str
    receiver: str
    method: str
    params: tuple[str, ...]
    event: str
    target: str | None = None
    key: str | None = None  # S3: the parameter holding the object key (for prefix/suffix filters)
    key_from_receiver: bool = False  # S3 Object(...).put: the key lives on the receiver

    @property
    def label(self) -> str:
        prefix = "" if self.receiver == "client" else f"{self.receiver}."
        return f"{self.service}.{prefix}{self.method}"


@dataclass(frozen=True)
class SubResource:
    """A boto3 resource-style constructor, e.g. ``s3.Bucket(name)`` or ``s3.Bucket(n).Object(k)``."""

    name: str
    params: tuple[str, ...]
    target: str | None  # the constructor parameter that names the resource
    parent: str | None = None  # receiver kind it is built from ("resource" or another sub-resource)
    key: str | None = None


@dataclass
class ServiceContext:
    """What service modules may read while extracting triggers from one stack."""

    stack: Stack
    resources: dict[str, Resource]  # by logical ID, this stack only
    functions: dict[str, Function]  # by logical ID, this stack only
    function_aliases: dict[str, str] = field(default_factory=dict)  # alias/version ID -> function ID

    def function_of(self, value: Any) -> str | None:
        """The logical ID of the function a ``Ref``/``GetAtt``/``Sub`` value points at."""
        from gate.intrinsics import references

        for logical, _attr in references(value):
            if logical in self.functions:
                return logical
            if logical in self.function_aliases:
                return self.function_aliases[logical]
        if isinstance(value, str):
            for logical in self.functions:
                if value.endswith(f":function:{logical}"):
                    return logical
        return None

    def resource_of(self, value: Any, types: tuple[str, ...]) -> Resource | None:
        from gate.intrinsics import references

        for logical, _attr in references(value):
            res = self.resources.get(logical)
            if res is not None and res.type in types:
                return res
        return None


class Service:
    """Base class; each AWS service overrides what applies to it."""

    name: str = ""
    resource_types: tuple[str, ...] = ()
    physical_name_properties: tuple[str, ...] = ()
    sub_resources: tuple[SubResource, ...] = ()
    writes: tuple[WriteApi, ...] = ()

    def physical_names(self, resource: Resource) -> tuple[str, ...]:
        names = []
        for prop in self.physical_name_properties:
            value = resource.properties.get(prop)
            if isinstance(value, str):
                names.append(value)
        return tuple(names)

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        return []

    def name_matches(self, resource: Resource, literal: str) -> bool:
        """Does a literal string used in code (name, URL, ARN) denote this resource?"""
        return any(literal == n or literal.endswith((f":{n}", f"/{n}")) for n in resource.physical_names)

    def event_fires(self, api: WriteApi, trigger: Trigger) -> bool:
        return True

    def event_expression(self, api: WriteApi, trigger: Trigger, resource: Resource, item_keys: list[str] | None
                         ) -> str:
        """Python source for the event dict the trigger delivers, in terms of the hop's parameters."""
        raise NotImplementedError
