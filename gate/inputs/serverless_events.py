"""A Serverless Framework function's ``events`` compiled to the CloudFormation the Framework deploys.

Each event kind becomes the resources the Framework generates for it, under its logical IDs
(``gate.inputs.serverless_naming``), so that the existing service modules read them exactly as
they read a SAM or CDK app: S3 notifications on the bucket, event source mappings, SNS
subscriptions, EventBridge rules, API Gateway methods and routes, ALB target groups, Cognito
triggers, IoT topic rules, log subscription filters. Event kinds the gate does not model
(``kafka``, ``alexaSkill``, a plugin's) deliver events from outside the service: the function is
an untrusted entry (``ExternalResource``), never silently out of scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gate.common.errors import GateInputError
from gate.inputs import serverless_naming as naming
from gate.inputs.serverless_vars import Unknown

# Events from brokers and devices the service does not own: their producers are not in the template.
_OUTSIDE_PRODUCERS = {"kafka", "msk", "activemq", "rabbitmq", "alexaSkill", "alexaSmartHome", "cloudFront",
                      "iotFleetProvisioning"}


@dataclass
class Compiled:
    """What compiling a service produced, beside the functions themselves."""

    resources: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    api_events: list[tuple[str, str, str]] = field(default_factory=list)  # (function, entry kind, via)
    external: dict[str, str] = field(default_factory=dict)  # logical ID -> why outsiders write to it

    def add(self, logical_id: str, kind: str, props: dict[str, Any], metadata: dict[str, Any] | None = None
            ) -> dict[str, Any]:
        res = self.resources.setdefault(logical_id, {"Type": kind, "Properties": {}})
        res["Properties"].update(props)
        if metadata:
            res.setdefault("Metadata", {}).update(metadata)
        return res


def arn_of(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def compile_events(out: Compiled, key: str, events: Any, function_name: str, where: str) -> None:
    if events is None:
        return
    if not isinstance(events, list):
        raise GateInputError("events is not a list", f"{where}.events")
    fn = naming.function(key)
    counters: dict[str, int] = {}
    for i, event in enumerate(events):
        at = f"{where}.events[{i}]"
        if isinstance(event, str) and event:
            event = {event: None}  # the short form of an event without settings (`- alexaSkill`)
        if not isinstance(event, dict) or len(event) != 1:
            raise GateInputError("an event is a mapping with one key (its kind)", at)
        kind, spec = next(iter(event.items()))
        counters[kind] = counters.get(kind, 0) + 1
        index = counters[kind]
        compiler = _COMPILERS.get(kind)
        if compiler is not None:
            try:
                compiler(out, key, fn, spec, index, f"{at}.{kind}", function_name)
            except _UnknownSettings:
                out.warnings.append(f"{at}: the {kind} event's settings are known only at deploy time; {key} is "
                                    "treated as reachable from outside (an untrusted entry)")
                out.api_events.append((fn, "ExternalResource", f"{kind} event"))
        elif kind in _OUTSIDE_PRODUCERS:
            out.api_events.append((fn, "ExternalResource", f"{kind} event"))
        else:
            out.warnings.append(f"{at}: event kind {kind!r} is not modelled; {key} is treated as reachable from "
                                "outside (an untrusted entry)")
            out.api_events.append((fn, "ExternalResource", f"{kind} event"))


def _mapping(spec: Any, at: str, shorthand: str | None = None) -> dict[str, Any]:
    if isinstance(spec, dict):
        return spec
    if shorthand is not None and isinstance(spec, str | Unknown):
        return {shorthand: spec}
    if isinstance(spec, Unknown):
        raise _UnknownSettings
    raise GateInputError("event settings are not a mapping", at)


class _UnknownSettings(Exception):
    """An event whose settings only the deploy knows (a ``${ssm:...}`` value)."""


def _http(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    method, path = _route(spec, at)
    settings = spec if isinstance(spec, dict) else {}
    integration = str(settings.get("integration", "lambda-proxy")).lower()
    if integration not in ("lambda", "lambda-proxy", "aws_proxy", "aws-proxy"):
        out.warnings.append(f"{at}: integration {integration!r} is not a Lambda integration; not modelled")
        return
    out.add(naming.REST_API, "AWS::ApiGateway::RestApi", {"Name": "api"})
    out.add(naming.rest_method(path, "ANY" if method == "*" else method), "AWS::ApiGateway::Method", {
        "HttpMethod": "ANY" if method == "*" else method.upper(),
        "RestApiId": {"Ref": naming.REST_API},
        "ResourceId": {"Fn::GetAtt": [naming.REST_API, "RootResourceId"]},
        "AuthorizationType": "CUSTOM" if settings.get("authorizer") else "NONE",
        "Integration": {"Type": "AWS_PROXY" if integration != "lambda" else "AWS", "IntegrationHttpMethod": "POST",
                        "Uri": _invocation_uri(fn)}})


def _invocation_uri(fn: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"},
                              ":lambda:path/2015-03-31/functions/", arn_of(fn), "/invocations"]]}


def _route(spec: Any, at: str) -> tuple[str, str]:
    if isinstance(spec, str):
        if spec.strip() == "*":
            return "*", "*"
        method, _, path = spec.strip().partition(" ")
        return method.lower(), path.strip() or "/"
    settings = _mapping(spec, at)
    return str(settings.get("method", "*")).lower(), str(settings.get("path", "*"))


def _http_api(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    method, path = _route(spec, at)
    route = "*" if method == "*" and path == "*" else f"{'ANY' if method == '*' else method.upper()} {path}"
    out.add(naming.HTTP_API, "AWS::ApiGatewayV2::Api", {"Name": "http-api", "ProtocolType": "HTTP"})
    integration = naming.http_integration(key)
    out.add(integration, "AWS::ApiGatewayV2::Integration", {
        "ApiId": {"Ref": naming.HTTP_API}, "IntegrationType": "AWS_PROXY", "IntegrationUri": arn_of(fn),
        "PayloadFormatVersion": "2.0"})
    out.add(naming.http_route(route), "AWS::ApiGatewayV2::Route", {
        "ApiId": {"Ref": naming.HTTP_API}, "RouteKey": route if route != "*" else "$default",
        "Target": {"Fn::Join": ["/", ["integrations", {"Ref": integration}]]}})


def _websocket(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "route")
    out.add(naming.WEBSOCKETS_API, "AWS::ApiGatewayV2::Api", {
        "Name": "websockets", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action"})
    out.add(naming.websockets_integration(key), "AWS::ApiGatewayV2::Integration", {
        "ApiId": {"Ref": naming.WEBSOCKETS_API}, "IntegrationType": "AWS_PROXY", "IntegrationUri": _invocation_uri(fn)})
    del settings


def _s3(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "bucket")
    name = settings.get("bucket")
    if not isinstance(name, str) or not name:
        raise GateInputError("s3 event without a bucket name", at)
    rules = []
    for rule in settings.get("rules") or []:
        if isinstance(rule, dict):
            rules += [{"Name": k, "Value": v} for k, v in rule.items() if k in ("prefix", "suffix")]
    config: dict[str, Any] = {"Event": settings.get("event", "s3:ObjectCreated:*"), "Function": arn_of(fn)}
    if rules:
        config["Filter"] = {"S3Key": {"Rules": rules}}
    logical = naming.bucket(name)
    metadata = None
    if settings.get("existing"):
        metadata = {"flowgate": "existing bucket (events.s3.existing): not created by this service"}
        out.external[logical] = (f"bucket {name} exists outside this service (s3 event with existing: true); "
                                 "who writes to it is not known here")
    res = out.add(logical, "AWS::S3::Bucket", {"BucketName": name}, metadata)
    notifications = res["Properties"].setdefault("NotificationConfiguration", {})
    notifications.setdefault("LambdaConfigurations", []).append(config)


def _queue_name(arn: Any) -> str:
    if isinstance(arn, str):
        return arn.rsplit(":", 1)[-1]
    if isinstance(arn, dict):
        value = next(iter(arn.values()))
        if isinstance(value, list) and value:
            return str(value[0])
        if isinstance(value, str):
            return value.split(".")[0].rsplit(":", 1)[-1]
    return "Queue"


def _filters(settings: dict[str, Any]) -> dict[str, Any]:
    patterns = settings.get("filterPatterns")
    if not isinstance(patterns, list):
        return {}
    return {"FilterCriteria": {"Filters": [{"Pattern": json.dumps(p)} for p in patterns if isinstance(p, dict)]}}


def _sqs(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "arn")
    arn = settings.get("arn")
    if arn is None:
        raise GateInputError("sqs event without an arn", at)
    out.add(naming.sqs_mapping(key, _queue_name(arn)), "AWS::Lambda::EventSourceMapping", {
        "EventSourceArn": arn, "FunctionName": arn_of(fn), "BatchSize": settings.get("batchSize", 10),
        **_filters(settings)})


def _stream(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "arn")
    arn = settings.get("arn")
    if arn is None:
        raise GateInputError("stream event without an arn", at)
    kind = settings.get("type")
    if kind is None:
        text = arn if isinstance(arn, str) else json.dumps(arn)
        kind = "dynamodb" if ":dynamodb:" in text or "StreamArn" in text else "kinesis"
    if isinstance(arn, str) and "/stream/" in arn:
        stream = arn.split(":table/", 1)[-1].split("/stream/", 1)[0]
    elif isinstance(arn, str):
        stream = arn.rsplit("/", 1)[-1]
    else:
        stream = _queue_name(arn)
    out.add(naming.stream_mapping(key, str(kind).capitalize(), stream), "AWS::Lambda::EventSourceMapping", {
        "EventSourceArn": arn, "FunctionName": arn_of(fn),
        "StartingPosition": settings.get("startingPosition", "TRIM_HORIZON"),
        "BatchSize": settings.get("batchSize", 10), **_filters(settings)})


def _sns(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "topicName")
    arn = settings.get("arn")
    name = settings.get("topicName")
    if isinstance(name, str) and name.startswith("arn:"):
        arn, name = name, None
    if arn is None:
        if not isinstance(name, str) or not name:
            raise GateInputError("sns event without a topic name or arn", at)
        topic = naming.topic(name)
        out.add(topic, "AWS::SNS::Topic", {"TopicName": name})
        arn = {"Ref": topic}
    topic_name = name if isinstance(name, str) else _queue_name(arn)
    props: dict[str, Any] = {"TopicArn": arn, "Protocol": "lambda", "Endpoint": arn_of(fn)}
    if isinstance(settings.get("filterPolicy"), dict):
        props["FilterPolicy"] = settings["filterPolicy"]
        if settings.get("filterPolicyScope"):
            props["FilterPolicyScope"] = settings["filterPolicyScope"]
    out.add(naming.sns_subscription(key, topic_name), "AWS::SNS::Subscription", props)


def _event_bridge(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, function_name: str) -> None:
    settings = _mapping(spec, at)
    props: dict[str, Any] = {"State": "ENABLED" if settings.get("enabled", True) else "DISABLED"}
    bus = settings.get("eventBus")
    if isinstance(bus, str) and bus and bus != "default" and not bus.startswith("arn:"):
        logical = naming.event_bus(bus)
        out.add(logical, "AWS::Events::EventBus", {"Name": bus})
        props["EventBusName"] = bus
    elif bus is not None and bus != "default":
        props["EventBusName"] = bus
    if settings.get("pattern") is not None:
        props["EventPattern"] = settings["pattern"]
    if settings.get("schedule") is not None:
        props["ScheduleExpression"] = settings["schedule"]
    target: dict[str, Any] = {"Arn": arn_of(fn), "Id": f"{key}-target"}
    for source, dest in (("input", "Input"), ("inputPath", "InputPath"), ("inputTransformer", "InputTransformer")):
        if settings.get(source) is not None:
            value = settings[source]
            target[dest] = json.dumps(value) if source == "input" and not isinstance(value, str) else value
    props["Targets"] = [target]
    rule_name = settings.get("name") or f"{function_name}-rule-{index}"
    out.add(naming.event_bridge_rule(str(rule_name)), "AWS::Events::Rule", props)


def _schedule(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "rate")
    rate = settings.get("rate")
    rates = rate if isinstance(rate, list) else [rate]
    for n, expression in enumerate(rates):
        target: dict[str, Any] = {"Arn": arn_of(fn), "Id": f"{key}Schedule"}
        if settings.get("input") is not None:
            value = settings["input"]
            target["Input"] = value if isinstance(value, str) else json.dumps(value)
        out.add(naming.schedule_rule(key, index + n), "AWS::Events::Rule",
                {"ScheduleExpression": expression, "State": "ENABLED", "Targets": [target]})


def _cloudwatch_event(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at)
    out.add(naming.cloudwatch_event_rule(key, index), "AWS::Events::Rule", {
        "EventPattern": settings.get("event") or {}, "State": "ENABLED",
        "Targets": [{"Arn": arn_of(fn), "Id": f"{key}CloudWatchEvent"}]})


def _alb(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at)
    out.add(naming.alb_target_group(key, index), "AWS::ElasticLoadBalancingV2::TargetGroup", {
        "TargetType": "lambda", "Targets": [{"Id": arn_of(fn)}]},
        {"flowgate": f"listener {json.dumps(settings.get('listenerArn'))}"})


def _cognito(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at)
    pool, trigger = settings.get("pool"), settings.get("trigger")
    if not isinstance(pool, str) or not isinstance(trigger, str):
        raise GateInputError("cognitoUserPool event needs a pool and a trigger", at)
    res = out.add(naming.cognito_pool(pool), "AWS::Cognito::UserPool", {"UserPoolName": pool})
    res["Properties"].setdefault("LambdaConfig", {})[trigger] = arn_of(fn)


def _iot(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "sql")
    out.add(naming.iot_rule(key, index), "AWS::IoT::TopicRule", {"TopicRulePayload": {
        "Sql": settings.get("sql", ""), "RuleDisabled": not settings.get("enabled", True),
        "Actions": [{"Lambda": {"FunctionArn": arn_of(fn)}}]}})


def _cloudwatch_log(out: Compiled, key: str, fn: str, spec: Any, index: int, at: str, _name: str) -> None:
    settings = _mapping(spec, at, "logGroup")
    out.add(naming.log_subscription(key, index), "AWS::Logs::SubscriptionFilter", {
        "DestinationArn": arn_of(fn), "FilterPattern": settings.get("filter", ""),
        "LogGroupName": settings.get("logGroup", "")})


_COMPILERS = {
    "http": _http, "httpApi": _http_api, "websocket": _websocket, "s3": _s3, "sqs": _sqs, "stream": _stream,
    "sns": _sns, "eventBridge": _event_bridge, "schedule": _schedule, "cloudwatchEvent": _cloudwatch_event,
    "alb": _alb, "cognitoUserPool": _cognito, "iot": _iot, "cloudwatchLog": _cloudwatch_log,
}
