"""Amazon SQS: queue event source mappings, message sends, and the SQS event shape."""

from __future__ import annotations

from gate.model import Resource, Trigger
from gate.services.base import Service, ServiceContext, SubResource, WriteApi
from gate.services.event_source_mappings import mapping_triggers

_SEND = ("QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes")


class SQS(Service):
    name = "sqs"
    resource_types = ("AWS::SQS::Queue",)
    physical_name_properties = ("QueueName",)
    sub_resources = (SubResource("Queue", ("url",), target="url", parent="resource"),)
    writes = (
        WriteApi("sqs", "client", "send_message", _SEND, "sqs:SendMessage", target="QueueUrl"),
        WriteApi("sqs", "client", "send_message_batch", ("QueueUrl", "Entries"), "sqs:SendMessage",
                 target="QueueUrl"),
        WriteApi("sqs", "Queue", "send_message", _SEND[1:], "sqs:SendMessage"),
        WriteApi("sqs", "Queue", "send_messages", ("Entries",), "sqs:SendMessage"),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        return mapping_triggers(ctx, "sqs", self.resource_types)

    def event_expression(self, api, trigger, resource: Resource, item_keys):
        if api.method in ("send_message_batch", "send_messages"):
            body, attrs = 'Entries[0]["MessageBody"]', 'Entries[0].get("MessageAttributes")'
        else:
            body, attrs = "MessageBody", "MessageAttributes"
        return (
            '{"Records": [{"messageId": "flowgate", "eventSource": "aws:sqs", '
            f'"eventSourceARN": {"arn:aws:sqs:us-east-1:123456789012:" + resource.logical_id!r}, '
            f'"body": {body}, "messageAttributes": {attrs}, "attributes": {{}}}}]}}'
        )


SERVICE = SQS()
