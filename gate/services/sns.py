"""Amazon SNS: Lambda subscriptions, publishes, and the SNS event shape."""

from __future__ import annotations

from gate.model import Resource, Trigger
from gate.services.base import Service, ServiceContext, SubResource, WriteApi

_TOPIC = ("AWS::SNS::Topic",)
_PUBLISH = ("TopicArn", "TargetArn", "PhoneNumber", "Message", "Subject", "MessageStructure",
            "MessageAttributes")


class SNS(Service):
    name = "sns"
    resource_types = _TOPIC
    physical_name_properties = ("TopicName",)
    sub_resources = (SubResource("Topic", ("arn",), target="arn", parent="resource"),)
    writes = (
        WriteApi("sns", "client", "publish", _PUBLISH, "sns:Publish", target="TopicArn"),
        WriteApi("sns", "Topic", "publish", _PUBLISH[3:], "sns:Publish"),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        found: list[Trigger] = []
        for res in ctx.resources.values():
            if res.type == "AWS::SNS::Subscription":
                if str(res.properties.get("Protocol", "")).lower() != "lambda":
                    continue
                topic = ctx.resource_of(res.properties.get("TopicArn"), _TOPIC)
                fn = ctx.function_of(res.properties.get("Endpoint"))
                if topic and fn:
                    details = {"FilterPolicy": res.properties["FilterPolicy"]} \
                        if "FilterPolicy" in res.properties else {}
                    found.append(Trigger("sns", topic.key, ctx.functions[fn].key, ("sns:Publish",),
                                         details=details, via=res.logical_id))
            elif res.type in _TOPIC:
                for sub in res.properties.get("Subscription") or []:
                    if isinstance(sub, dict) and str(sub.get("Protocol", "")).lower() == "lambda":
                        fn = ctx.function_of(sub.get("Endpoint"))
                        if fn:
                            found.append(Trigger("sns", res.key, ctx.functions[fn].key, ("sns:Publish",),
                                                 via=res.logical_id))
        return found

    def event_expression(self, api, trigger, resource: Resource, item_keys):
        arn = "arn:aws:sns:us-east-1:123456789012:" + resource.logical_id
        return (
            '{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", '
            f'"Sns": {{"Type": "Notification", "TopicArn": {arn!r}, "Message": Message, '
            '"Subject": Subject, "MessageAttributes": MessageAttributes}}]}'
        )


SERVICE = SNS()
