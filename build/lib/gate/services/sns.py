"""Amazon SNS: Lambda subscriptions (direct, or fanned out through an SQS queue), publishes,
subscription filter policies, and the SNS event shape."""

from __future__ import annotations

from typing import Any

from gate.common.event_patterns import UNKNOWN_VALUE, JsonText, match_any
from gate.model.types import Resource, Trigger
from gate.pyast.resolve import call_argument, static_value
from gate.services.base import CallFacts, Service, ServiceContext, SubResource, WriteApi, filter_patterns
from gate.services.event_source_mappings import mapping_triggers
from gate.services.sqs import sqs_record

_TOPIC = ("AWS::SNS::Topic",)
_QUEUE = ("AWS::SQS::Queue",)
_ACTION = "sns:Publish"
_PUBLISH = ("TopicArn", "TargetArn", "PhoneNumber", "Message", "Subject", "MessageStructure",
            "MessageAttributes")


class SNS(Service):
    name = "sns"
    resource_types = _TOPIC
    physical_name_properties = ("TopicName",)
    arn_format = "arn:aws:sns:{region}:{account}:{name}"
    resource_labels = {"AWS::SNS::Topic": "topic"}
    event_params = ("Message", "Subject", "TopicArn", "MessageAttributes")
    ref_is_arn = True
    sub_resources = (SubResource("Topic", ("arn",), target="arn", parent="resource"),)
    writes = (
        WriteApi("sns", "client", "publish", _PUBLISH, "sns:Publish", target="TopicArn", action=_ACTION),
        WriteApi("sns", "Topic", "publish", _PUBLISH[3:], "sns:Publish", action=_ACTION),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        found: list[Trigger] = []
        for res in ctx.resources.values():
            if res.type == "AWS::SNS::Subscription":
                topic = ctx.resource_of(res.properties.get("TopicArn"), _TOPIC)
                if topic is not None:
                    found += self._subscription(ctx, topic, res.properties, res.logical_id)
            elif res.type in _TOPIC:
                for sub in res.properties.get("Subscription") or []:
                    if isinstance(sub, dict):
                        found += self._subscription(ctx, res, sub, res.logical_id)
        return found

    def _subscription(self, ctx: ServiceContext, topic: Resource, props: dict[str, Any], via: str) -> list[Trigger]:
        protocol = str(props.get("Protocol", "")).lower()
        details: dict[str, Any] = {}
        if isinstance(props.get("FilterPolicy"), dict):
            details["FilterPolicy"] = props["FilterPolicy"]
            details["FilterPolicyScope"] = props.get("FilterPolicyScope") or "MessageAttributes"
        if protocol == "lambda":
            return [Trigger("sns", topic.key, ctx.functions[fn].key, ("sns:Publish",), details=details, via=via)
                    for fn in ctx.functions_of(props.get("Endpoint"))]
        if protocol == "sqs":
            # Fan-out: topic -> queue -> the queue's Lambda consumers, which receive an SQS event whose
            # body is the SNS envelope (or the bare message with RawMessageDelivery).
            queue = ctx.resource_of(props.get("Endpoint"), _QUEUE)
            if queue is None:
                return []
            raw = str(props.get("RawMessageDelivery", "false")).lower() == "true"
            out = []
            for mapping in mapping_triggers(ctx, "sqs", _QUEUE):
                if mapping.source == queue.key:
                    out.append(Trigger("sns", topic.key, mapping.function, ("sns:Publish",),
                                       details={**details, **mapping.details, "FanoutQueue": queue.key,
                                                "RawMessageDelivery": raw},
                                       via=f"{via} -> {queue.logical_id} -> {mapping.via}"))
            return out
        return []

    def known_values(self, api, call, scope):
        attrs_node = call_argument(call, api.params, "MessageAttributes")
        attrs: Any = {}
        if attrs_node is not None:
            raw = static_value(attrs_node, scope)
            if isinstance(raw, dict):
                attrs = {k: (v.get("StringValue", v.get("BinaryValue", UNKNOWN_VALUE)) if isinstance(v, dict)
                             else UNKNOWN_VALUE) for k, v in raw.items()}
            else:
                attrs = UNKNOWN_VALUE
        return {"attributes": attrs, "message": static_value(call_argument(call, api.params, "Message"), scope)}

    def filter_verdict(self, api: WriteApi, trigger: Trigger, facts: CallFacts) -> tuple[str, str]:
        verdicts = []
        policy = trigger.details.get("FilterPolicy")
        if policy:
            if trigger.details.get("FilterPolicyScope") == "MessageBody":
                message = facts.values.get("message", UNKNOWN_VALUE)
                verdicts.append(match_any([policy], message.value if isinstance(message, JsonText)
                                          else UNKNOWN_VALUE if not isinstance(message, dict) else message,
                                          "FilterPolicy (body)"))
            else:
                verdicts.append(match_any([policy], facts.values.get("attributes", UNKNOWN_VALUE), "FilterPolicy"))
        if trigger.details.get("FilterCriteria"):

            message = facts.values.get("message", UNKNOWN_VALUE)
            body = message if trigger.details.get("RawMessageDelivery") else JsonText(
                {"Type": "Notification", "Message": message, "TopicArn": UNKNOWN_VALUE,
                 "MessageId": UNKNOWN_VALUE, "Subject": UNKNOWN_VALUE, "MessageAttributes": UNKNOWN_VALUE,
                 "Timestamp": UNKNOWN_VALUE})
            verdicts.append(match_any(filter_patterns(trigger.details["FilterCriteria"]), sqs_record(body),
                                      "FilterCriteria"))
        if not verdicts:
            return "yes", "no filter policy"
        for wanted in ("no", "maybe"):
            for verdict, note in verdicts:
                if verdict == wanted:
                    return verdict, note
        return "yes", "; ".join(note for _v, note in verdicts)

    def event_expression(self, api, trigger, resource: Resource, facts):
        arn = self.arn(resource.logical_id)
        if trigger.details.get("FanoutQueue"):
            envelope = (f'json.dumps({{"Type": "Notification", "TopicArn": {arn!r}, "Message": Message, '
                        '"Subject": Subject, "MessageAttributes": MessageAttributes})')
            body = "Message" if trigger.details.get("RawMessageDelivery") else envelope
            return ('{"Records": [{"messageId": "flowgate", "eventSource": "aws:sqs", '
                    f'"body": {body}, "messageAttributes": {{}}, "attributes": {{}}}}]}}')
        return (
            '{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", '
            f'"Sns": {{"Type": "Notification", "TopicArn": {arn!r}, "Message": Message, '
            '"Subject": Subject, "MessageAttributes": MessageAttributes}}]}'
        )


SERVICE = SNS()
