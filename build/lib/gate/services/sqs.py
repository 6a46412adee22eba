"""Amazon SQS: queue event source mappings, message sends, and the SQS event shape."""

from __future__ import annotations

from gate.common.event_patterns import UNKNOWN_VALUE
from gate.model.types import Resource, Trigger
from gate.pyast.resolve import call_argument, static_value
from gate.services.base import Service, ServiceContext, SubResource, WriteApi
from gate.services.event_source_mappings import mapping_triggers

_ACTION = "sqs:SendMessage"
_SEND = ("QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes")


class SQS(Service):
    name = "sqs"
    resource_types = ("AWS::SQS::Queue",)
    physical_name_properties = ("QueueName",)
    arn_format = "arn:aws:sqs:{region}:{account}:{name}"
    resource_labels = {"AWS::SQS::Queue": "queue"}
    event_params = ("MessageBody", "MessageAttributes", "Entries", "QueueUrl")
    sub_resources = (
        SubResource("Queue", ("url",), target="url", parent="resource"),
        SubResource("Queue", ("QueueName",), target="QueueName", parent="resource", via="get_queue_by_name"),
    )
    writes = (
        WriteApi("sqs", "client", "send_message", _SEND, "sqs:SendMessage", target="QueueUrl",
                 action=_ACTION),
        WriteApi("sqs", "client", "send_message_batch", ("QueueUrl", "Entries"), "sqs:SendMessage",
                 target="QueueUrl", action=_ACTION),
        WriteApi("sqs", "Queue", "send_message", _SEND[1:], "sqs:SendMessage", action=_ACTION),
        WriteApi("sqs", "Queue", "send_messages", ("Entries",), "sqs:SendMessage", action=_ACTION),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        return mapping_triggers(ctx, "sqs", self.resource_types)

    def known_values(self, api, call, scope):
        if api.method in ("send_message_batch", "send_messages"):
            entries = static_value(call_argument(call, api.params, "Entries"), scope)
            first = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
            body = first.get("MessageBody", UNKNOWN_VALUE)
        else:
            body = static_value(call_argument(call, api.params, "MessageBody"), scope)
        return sqs_record(body)

    def event_expression(self, api, trigger, resource: Resource, facts):
        if api.method in ("send_message_batch", "send_messages"):
            body, attrs = 'Entries[0]["MessageBody"]', 'Entries[0].get("MessageAttributes")'
        else:
            body, attrs = "MessageBody", "MessageAttributes"
        return (
            '{"Records": [{"messageId": "flowgate", "eventSource": "aws:sqs", '
            f'"eventSourceARN": {"arn:aws:sqs:us-east-1:123456789012:" + resource.logical_id!r}, '
            f'"body": {body}, "messageAttributes": {attrs}, "attributes": {{}}}}]}}'
        )


def sqs_record(body: object) -> dict[str, object]:
    """What an SQS event record is known to hold, for ``FilterCriteria`` (body patterns)."""
    return {"body": body, "messageId": UNKNOWN_VALUE, "attributes": UNKNOWN_VALUE,
            "messageAttributes": UNKNOWN_VALUE, "eventSource": "aws:sqs", "eventSourceARN": UNKNOWN_VALUE}


SERVICE = SQS()
