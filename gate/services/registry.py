"""The service registry: the engine core iterates over these and knows none of them by name."""

from __future__ import annotations

from collections.abc import Iterable

from gate.model.types import Resource
from gate.pyast.types import SubResource
from gate.services import dynamodb, eventbridge, kinesis, lambda_invoke, s3, sns, sqs, stepfunctions
from gate.services.base import SdkHelper, Service, WriteApi

SERVICES: dict[str, Service] = {m.SERVICE.name: m.SERVICE for m in (
    s3, sqs, sns, dynamodb, kinesis, eventbridge, lambda_invoke, stepfunctions)}


def service_for_resource_type(resource_type: str) -> Service | None:
    for svc in SERVICES.values():
        if resource_type in svc.resource_types:
            return svc
    return None


def write_api(service: str, receiver: str, method: str) -> WriteApi | None:
    svc = SERVICES.get(service)
    if svc is None:
        return None
    for api in svc.writes:
        if api.receiver == receiver and api.method == method:
            return api
    return None


def sub_resource(service: str, parent: str, name: str, attribute: bool = False) -> SubResource | None:
    """The resource-style object ``parent.name(...)`` (or the attribute ``parent.name``) builds."""
    svc = SERVICES.get(service)
    if svc is None:
        return None
    for sub in svc.sub_resources:
        if sub.parent == parent and sub.factory == name and sub.attribute == attribute:
            return sub
    return None


def resources_named(resources: Iterable[Resource], text: str) -> list[Resource]:
    """The resources whose name or ARN ``text`` is (a name written as text, or rendered from the
    same ``Fn::Sub`` as the resource's own name)."""
    return [r for r in resources if (svc := service_for_resource_type(r.type)) is not None
            and svc.name_matches(r, text)]


def sdk_helper(service: str, receiver: str, method: str) -> SdkHelper | None:
    """The modelled helper an SDK call that is a source or sink itself becomes, if it is one."""
    svc = SERVICES.get(service)
    return svc.sdk_helpers.get((receiver, method)) if svc is not None else None


def resource_label(resource_type: str) -> str:
    """What reports call a resource of this type ("bucket", "queue", ...)."""
    svc = service_for_resource_type(resource_type)
    return svc.resource_labels.get(resource_type, "resource") if svc is not None else "resource"


# Event fields any hop may read (each service's, then every write API's parameters), and the helper
# source the hop module carries for every service.
EVENT_PARAMS: tuple[str, ...] = tuple(dict.fromkeys(
    [p for svc in SERVICES.values() for p in svc.event_params]
    + [p for svc in SERVICES.values() for api in svc.writes for p in api.params]))
HOP_HELPERS = "".join(svc.hop_helpers for svc in SERVICES.values())


class ServiceCatalogue:
    """The registry as ``gate.pyast`` sees it (``gate.pyast.types.SdkCatalogue``)."""

    attribute_names = frozenset(sub.factory for svc in SERVICES.values() for sub in svc.sub_resources
                                if sub.attribute)

    def has_service(self, name: str) -> bool:
        return name in SERVICES

    def sub_resource(self, service: str, parent: str, name: str, attribute: bool = False) -> SubResource | None:
        return sub_resource(service, parent, name, attribute)


CATALOGUE = ServiceCatalogue()
