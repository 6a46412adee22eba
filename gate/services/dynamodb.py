"""Amazon DynamoDB: table streams, item writes, and the stream record shape (with type tags)."""

from __future__ import annotations

from gate.model import Resource, Trigger
from gate.services.base import Service, ServiceContext, SubResource, WriteApi
from gate.services.event_source_mappings import mapping_triggers

_PUT = ("TableName", "Item")
_UPDATE = ("TableName", "Key", "AttributeUpdates", "UpdateExpression", "ExpressionAttributeValues")
_TYPE_TAGS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL")


class DynamoDB(Service):
    name = "dynamodb"
    resource_types = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
    physical_name_properties = ("TableName",)
    sub_resources = (SubResource("Table", ("name",), target="name", parent="resource"),)
    writes = (
        WriteApi("dynamodb", "client", "put_item", _PUT, "dynamodb:INSERT", target="TableName"),
        WriteApi("dynamodb", "client", "update_item", _UPDATE, "dynamodb:MODIFY", target="TableName"),
        WriteApi("dynamodb", "Table", "put_item", _PUT[1:], "dynamodb:INSERT"),
        WriteApi("dynamodb", "Table", "update_item", _UPDATE[1:], "dynamodb:MODIFY"),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        edges = mapping_triggers(ctx, "dynamodb", self.resource_types)
        out = []
        for edge in edges:
            table = ctx.resources[edge.source.split("/", 1)[1]]
            spec = table.properties.get("StreamSpecification") or {}
            view = spec.get("StreamViewType") if isinstance(spec, dict) else None
            keys = [k.get("AttributeName") for k in table.properties.get("KeySchema") or []
                    if isinstance(k, dict)]
            out.append(Trigger(edge.service, edge.source, edge.function, edge.events,
                               details={**edge.details, "StreamViewType": view or "UNKNOWN",
                                        "KeyAttributes": keys}, via=edge.via))
        return out

    def event_expression(self, api, trigger: Trigger, resource: Resource, item_keys):
        client_style = api.receiver == "client"
        if api.method == "update_item":
            # Which attribute a value lands in is in UpdateExpression; any updated value may be any one.
            values = "ExpressionAttributeValues"
            image = (f"{{_k: {_tagged('_v', client_style)} for _k, _v in ({values} or {{}}).items()}}"
                     f" | {{_k: {_tagged('_v', client_style)} for _k, _v in (AttributeUpdates or {{}}).items()}}")
            keys = f"{{_k: {_tagged('_v', client_style)} for _k, _v in Key.items()}}"
        elif client_style:
            image, keys = "Item", "Item"
        elif item_keys is not None:
            # A dict literal at the call site: keep per-attribute precision.
            image = "{" + ", ".join(f"{k!r}: {_tagged(f'Item[{k!r}]', False)}" for k in item_keys) + "}"
            keys = image
        else:
            image = f"{{_k: {_tagged('_v', False)} for _k, _v in Item.items()}}"
            keys = image
        view = trigger.details.get("StreamViewType")
        key_attrs = [k for k in trigger.details.get("KeyAttributes", []) if isinstance(k, str)]
        if view == "KEYS_ONLY":
            key_src = "Key" if api.method == "update_item" else "Item"
            keys = "{" + ", ".join(f"{k!r}: {_tagged(f'{key_src}[{k!r}]', client_style)}"
                                   for k in key_attrs) + "}"
            record = f'"Keys": {keys}'
        elif view == "OLD_IMAGE":
            record = f'"Keys": {keys}'
        else:
            record = f'"Keys": {keys}, "NewImage": {image}'
        return (
            '{"Records": [{"eventSource": "aws:dynamodb", '
            f'"eventName": {api.event.split(":")[1]!r}, '
            f'"dynamodb": {{{record}, "StreamViewType": {str(view)!r}}}}}]}}'
        )


def _tagged(expr: str, already_typed: bool) -> str:
    """Client-style values already carry type tags; resource-style native values get every tag."""
    if already_typed:
        return expr
    return "{" + ", ".join(f"{t!r}: {expr}" for t in _TYPE_TAGS) + "}"


SERVICE = DynamoDB()
