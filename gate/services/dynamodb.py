"""Amazon DynamoDB: table streams, item writes, and the stream record shape (with type tags)."""

from __future__ import annotations

from typing import Any

from gate.common.event_patterns import UNKNOWN_VALUE
from gate.model.types import Resource, Trigger
from gate.pyast.resolve import call_argument, resolve_str, static_value
from gate.pyast.types import UNKNOWN
from gate.services.base import CallFacts, SdkHelper, Service, ServiceContext, SubResource, WriteApi
from gate.services.event_source_mappings import mapping_triggers

_PUT = ("TableName", "Item")
_UPDATE = ("TableName", "Key", "AttributeUpdates", "UpdateExpression", "ExpressionAttributeValues")
_TYPE_TAGS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL")


class DynamoDB(Service):
    name = "dynamodb"
    resource_types = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
    physical_name_properties = ("TableName",)
    arn_format = "arn:aws:dynamodb:{region}:{account}:table/{name}"
    resource_labels = {"AWS::DynamoDB::Table": "table", "AWS::DynamoDB::GlobalTable": "table"}
    event_params = ("Item", "AttributeUpdates", "UpdateExpression", "ExpressionAttributeValues", "TableName",
                    "RequestItems", "Key")
    hop_helpers = ""  # set below, once _TYPE_TAGS is defined
    sdk_helpers = {  # (filter and key-condition arguments are NoSQL injection sinks)
        ("client", "scan"): SdkHelper("dynamodb_scan"),
        ("client", "query"): SdkHelper("dynamodb_query"),
        ("Table", "scan"): SdkHelper("dynamodb_scan"),
        ("Table", "query"): SdkHelper("dynamodb_query"),
    }
    sub_resources = (
        SubResource("Table", ("name",), target="name", parent="resource"),
        # ``with table.batch_writer() as batch: batch.put_item(...)``
        SubResource("batch_writer", (), target=None, parent="Table"),
    )
    writes = (
        WriteApi("dynamodb", "client", "put_item", _PUT, "dynamodb:INSERT", target="TableName",
                 action="dynamodb:PutItem"),
        WriteApi("dynamodb", "client", "update_item", _UPDATE, "dynamodb:MODIFY", target="TableName",
                 action="dynamodb:UpdateItem"),
        WriteApi("dynamodb", "client", "batch_write_item", ("RequestItems",), "dynamodb:INSERT",
                 target="RequestItems", action="dynamodb:BatchWriteItem"),
        WriteApi("dynamodb", "Table", "put_item", _PUT[1:], "dynamodb:INSERT", action="dynamodb:PutItem"),
        WriteApi("dynamodb", "Table", "update_item", _UPDATE[1:], "dynamodb:MODIFY", action="dynamodb:UpdateItem"),
        # The batch writer sends BatchWriteItem requests under the hood.
        WriteApi("dynamodb", "batch_writer", "put_item", ("Item",), "dynamodb:INSERT",
                 action="dynamodb:BatchWriteItem"),
    )

    def call_facts(self, api, call, scope, handle):
        """``batch_write_item(RequestItems={table: [...]})``: the target is the (single) dict key."""
        import ast


        facts = super().call_facts(api, call, scope, handle) if api.method != "batch_write_item" else \
            CallFacts(UNKNOWN, None, self.known_values(api, call, scope))
        item = call_argument(call, api.params, "Item")
        if api.method == "batch_write_item":
            items = call_argument(call, api.params, "RequestItems")
            if isinstance(items, ast.Dict) and len(items.keys) == 1 and items.keys[0] is not None:
                facts.target = resolve_str(items.keys[0], scope)
                requests = items.values[0]
                if isinstance(requests, ast.List) and requests.elts and isinstance(requests.elts[0], ast.Dict):
                    put = dict(zip([getattr(k, "value", None) for k in requests.elts[0].keys],
                                   requests.elts[0].values, strict=True)).get("PutRequest")
                    if isinstance(put, ast.Dict):
                        item = dict(zip([getattr(k, "value", None) for k in put.keys], put.values,
                                        strict=True)).get("Item")
        if isinstance(item, ast.Dict) and all(isinstance(k, ast.Constant) for k in item.keys):
            facts.item_keys = [k.value for k in item.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        return facts

    def known_values(self, api, call, scope):
        typed = api.receiver == "client"
        if api.method == "batch_write_item":
            image: Any = UNKNOWN_VALUE
        elif api.method == "update_item":
            image = UNKNOWN_VALUE  # which attribute a value lands in is in UpdateExpression
        else:
            item = static_value(call_argument(call, api.params, "Item"), scope)
            image = item if typed or not isinstance(item, dict) else {k: _typed_value(v) for k, v in item.items()}
        # put_item replaces an existing item too (MODIFY): the event name is not known statically.
        return {"eventName": UNKNOWN_VALUE, "eventSource": "aws:dynamodb", "eventSourceARN": UNKNOWN_VALUE,
                "dynamodb": {"NewImage": image, "Keys": UNKNOWN_VALUE, "OldImage": UNKNOWN_VALUE,
                             "StreamViewType": UNKNOWN_VALUE, "SequenceNumber": UNKNOWN_VALUE}}

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        edges = mapping_triggers(ctx, "dynamodb", self.resource_types)
        out = []
        for edge in edges:
            stack, _, logical = edge.source.partition("/")
            table = ctx.stack_resources.get(stack, ctx.resources)[logical]  # may be another stack's
            spec = table.properties.get("StreamSpecification") or {}
            view = spec.get("StreamViewType") if isinstance(spec, dict) else None
            keys = [k.get("AttributeName") for k in table.properties.get("KeySchema") or []
                    if isinstance(k, dict)]
            out.append(Trigger(edge.service, edge.source, edge.function, edge.events,
                               details={**edge.details, "StreamViewType": view or "UNKNOWN",
                                        "KeyAttributes": keys}, via=edge.via))
        return out + _kinesis_destinations(ctx)

    def event_expression(self, api, trigger: Trigger, resource: Resource, facts: CallFacts):
        client_style = api.receiver == "client"
        item_keys = facts.item_keys
        if api.method == "batch_write_item":
            # Every request of every table: the hop reads the first, its taint stands for all.
            return self._record(api, trigger, '_fg_first(RequestItems)[0]["PutRequest"]["Item"]', None, True)
        return self._record(api, trigger, "Item", item_keys, client_style)

    def _record(self, api: WriteApi, trigger: Trigger, item: str, item_keys: list[str] | None,
                client_style: bool) -> str:
        if api.method == "update_item":
            # Which attribute a value lands in is in UpdateExpression; any updated value may be any one.
            values = "ExpressionAttributeValues"
            image = (f"{{_k: {_tagged('_v', client_style)} for _k, _v in ({values} or {{}}).items()}}"
                     f" | {{_k: {_tagged('_v', client_style)} for _k, _v in (AttributeUpdates or {{}}).items()}}")
            keys = f"{{_k: {_tagged('_v', client_style)} for _k, _v in Key.items()}}"
        elif client_style:
            image, keys = item, item
        elif item_keys is not None:
            # A dict literal at the call site: keep per-attribute precision.
            image = "{" + ", ".join(f"{k!r}: {_tagged(f'{item}[{k!r}]', False)}" for k in item_keys) + "}"
            keys = image
        else:
            # A record built before the call: the item itself stands for its image. Its attributes'
            # taint stays where it is (``item["sku"]`` covers ``NewImage["sku"]["S"]``); rebuilding it
            # with a comprehension over ``items()`` lost the taint in Pysa (0 flows).
            image = keys = item
        view = trigger.details.get("StreamViewType")
        key_attrs = [k for k in trigger.details.get("KeyAttributes", []) if isinstance(k, str)]
        if trigger.details.get("KinesisDestination"):  # a Kinesis record whose data is the change, as JSON
            change = (f'{{"eventName": {api.event.split(":")[1]!r}, "eventSource": "aws:dynamodb", '
                      f'"dynamodb": {{"Keys": {keys}, "NewImage": {image}}}}}')
            return ('{"Records": [{"eventSource": "aws:kinesis", "eventName": "aws:kinesis:record", '
                    '"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "0", "sequenceNumber": "0", '
                    f'"data": base64.b64encode(json.dumps({change}).encode())}}}}]}}')
        if view == "KEYS_ONLY":
            key_src = "Key" if api.method == "update_item" else item
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


def _kinesis_destinations(ctx: ServiceContext) -> list[Trigger]:
    """A table's Kinesis streaming destination (``KinesisStreamSpecification``) puts every change
    into the stream: the stream's consumers get the table's writes, as Kinesis records."""
    out = []
    streams = ("AWS::Kinesis::Stream",)
    for table in ctx.resources.values():
        spec = table.properties.get("KinesisStreamSpecification") if table.type == "AWS::DynamoDB::Table" else None
        if not isinstance(spec, dict):
            continue
        targets = {s.key for s in ctx.resources_of(spec.get("StreamArn"), streams)}
        keys = [k.get("AttributeName") for k in table.properties.get("KeySchema") or [] if isinstance(k, dict)]
        for edge in mapping_triggers(ctx, "kinesis", streams):
            if edge.source in targets:
                out.append(Trigger("dynamodb", table.key, edge.function, ("dynamodb:*",),
                                   details={**edge.details, "StreamViewType": "NEW_AND_OLD_IMAGES",
                                            "KeyAttributes": keys,
                                            "KinesisDestination": edge.source.split("/", 1)[1]},
                                   via=f"{table.logical_id} -> {edge.via}"))
    return out


def _typed_value(value: Any) -> Any:
    """A native Python value as it appears in a stream image (for filters on ``NewImage``)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    return UNKNOWN_VALUE


def _tagged(expr: str, already_typed: bool) -> str:
    """Client-style values already carry type tags; resource-style native values get every tag,
    through the hop module's ``_fg_tagged`` (a literal of nine tags per attribute made the hops of
    a 1000-function app half of everything Pysa parsed)."""
    return expr if already_typed else f"_fg_tagged({expr})"


# Resource-style values reach stream consumers type-tagged; the hop module gets this one helper.
DynamoDB.hop_helpers = "def _fg_tagged(value):\n    return {" + ", ".join(f'"{t}": value' for t in _TYPE_TAGS) + "}\n"


SERVICE = DynamoDB()
