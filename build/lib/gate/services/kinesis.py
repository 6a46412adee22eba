"""Amazon Kinesis Data Streams: stream consumers (event source mappings), put_record(s), and the
Kinesis event shape (the record's ``data`` is base64 of what the producer sent)."""

from __future__ import annotations

from gate.common.event_patterns import UNKNOWN_VALUE
from gate.model.types import Resource, Trigger
from gate.pyast.resolve import call_argument, resolve_str, static_value
from gate.services.base import CallFacts, Service, ServiceContext, WriteApi
from gate.services.event_source_mappings import mapping_triggers

_PUT = ("StreamName", "Data", "PartitionKey", "ExplicitHashKey", "SequenceNumberForOrdering", "StreamARN")


class Kinesis(Service):
    name = "kinesis"
    resource_types = ("AWS::Kinesis::Stream",)
    physical_name_properties = ("Name",)
    arn_format = "arn:aws:kinesis:{region}:{account}:stream/{name}"
    resource_labels = {"AWS::Kinesis::Stream": "stream"}
    event_params = ("Data", "PartitionKey", "Records")
    writes = (
        WriteApi("kinesis", "client", "put_record", _PUT, "kinesis:PutRecord", target="StreamName",
                 action="kinesis:PutRecord"),
        WriteApi("kinesis", "client", "put_records", ("Records", "StreamName", "StreamARN"), "kinesis:PutRecord",
                 target="StreamName", action="kinesis:PutRecords"),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        return mapping_triggers(ctx, "kinesis", self.resource_types)

    def call_facts(self, api, call, scope, handle):
        facts = super().call_facts(api, call, scope, handle)
        arn = call_argument(call, api.params, "StreamARN")
        if arn is not None and call_argument(call, api.params, "StreamName") is None:
            facts.target = resolve_str(arn, scope)
        return facts

    def known_values(self, api, call, scope):
        if api.method == "put_records":
            records = static_value(call_argument(call, api.params, "Records"), scope)
            first = records[0] if isinstance(records, list) and records and isinstance(records[0], dict) else {}
            data, key = first.get("Data", UNKNOWN_VALUE), first.get("PartitionKey", UNKNOWN_VALUE)
        else:
            data = static_value(call_argument(call, api.params, "Data"), scope)
            key = static_value(call_argument(call, api.params, "PartitionKey"), scope)
        # Lambda filters Kinesis records on the decoded data (JSON) and the record metadata.
        return {"data": data, "partitionKey": key, "sequenceNumber": UNKNOWN_VALUE,
                "kinesisSchemaVersion": UNKNOWN_VALUE, "approximateArrivalTimestamp": UNKNOWN_VALUE}

    def event_expression(self, api, trigger: Trigger, resource: Resource, facts: CallFacts) -> str:
        if api.method == "put_records":
            data, key = 'Records[0]["Data"]', 'Records[0]["PartitionKey"]'
        else:
            data, key = "Data", "PartitionKey"
        return (
            '{"Records": [{"eventSource": "aws:kinesis", "eventName": "aws:kinesis:record", '
            f'"eventSourceARN": {self.arn(resource.logical_id)!r}, '
            f'"kinesis": {{"kinesisSchemaVersion": "1.0", "partitionKey": {key}, '
            f'"sequenceNumber": "0", "data": base64.b64encode({data})}}}}]}}'
        )


SERVICE = Kinesis()
