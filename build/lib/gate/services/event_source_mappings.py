"""``AWS::Lambda::EventSourceMapping``: the poller-based triggers (SQS, DynamoDB/Kinesis streams)."""

from __future__ import annotations

from gate.model.types import Trigger
from gate.services.base import ServiceContext


def mapping_triggers(ctx: ServiceContext, service: str, resource_types: tuple[str, ...]) -> list[Trigger]:
    """Triggers from event source mappings whose source is one of ``resource_types``."""
    found: list[Trigger] = []
    for res in ctx.resources.values():
        if res.type != "AWS::Lambda::EventSourceMapping":
            continue
        details = {}
        if "FilterCriteria" in res.properties:
            details["FilterCriteria"] = res.properties["FilterCriteria"]
        for source in ctx.resources_of(res.properties.get("EventSourceArn"), resource_types):
            for fn in ctx.functions_of(res.properties.get("FunctionName")):
                found.append(Trigger(service, source.key, ctx.functions[fn].key, (f"{service}:*",),
                                     details=details, via=res.logical_id))
    return found
