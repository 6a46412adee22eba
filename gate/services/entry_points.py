"""Untrusted entry points: API Gateway REST, HTTP and WebSocket APIs, Lambda function URLs,
Application Load Balancer target groups, Cognito user pool triggers, AppSync Lambda data sources,
IoT topic rules and CloudWatch Logs subscription filters (log lines carry what functions log,
request data included).

SAM ``Api``/``HttpApi`` function events arrive as ``Stack.api_events`` (see ``gate.load``).

Integrations are found by reference rather than by path: any function referenced from an API's
OpenAPI body, a ``Method`` integration URI or a V2 ``Integration`` is reachable from the internet.
"""

from __future__ import annotations

from typing import Any

from gate.common.intrinsics import references
from gate.model.types import EntryPoint
from gate.services.base import ServiceContext

_KINDS = {
    "AWS::ApiGateway::RestApi": "Api",
    "AWS::ApiGateway::Method": "Api",
    "AWS::ApiGatewayV2::Api": "HttpApi",
    "AWS::ApiGatewayV2::Integration": "HttpApi",
    "AWS::Lambda::Url": "FunctionUrl",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "ALB",
    "AWS::Cognito::UserPool": "Cognito",
    "AWS::AppSync::DataSource": "AppSync",
    "AWS::IoT::TopicRule": "IoT",
    "AWS::Logs::SubscriptionFilter": "CloudWatchLogs",
}


def entry_points(ctx: ServiceContext) -> list[EntryPoint]:
    found: dict[tuple[str, str], EntryPoint] = {}
    for res in ctx.resources.values():
        kind = _KINDS.get(res.type)
        if kind is None:
            continue
        if kind == "FunctionUrl":
            fn = ctx.function_of(res.properties.get("TargetFunctionArn"))
            targets = [fn] if fn else []
        elif (kind == "ALB" and str(res.properties.get("TargetType", "")).lower() != "lambda"
              or kind == "AppSync" and res.properties.get("Type") != "AWS_LAMBDA"):
            continue
        else:
            targets = _referenced_functions(ctx, res.properties)
        if kind == "HttpApi" and _websocket(ctx, res.properties):
            kind = "WebSocket"
        for fn in targets:
            key = ctx.functions[fn].key
            found.setdefault((kind, key), EntryPoint(kind, key, res.logical_id))
    for fn, kind, api in ctx.stack.api_events:  # SAM API events (gate.load takes them out)
        if fn in ctx.functions:
            key = ctx.functions[fn].key
            found.setdefault((kind, key), EntryPoint(kind, key, api))
    return list(found.values())


def _websocket(ctx: ServiceContext, props: dict[str, Any]) -> bool:
    """A V2 API (or an integration of one) whose protocol is WEBSOCKET."""
    if str(props.get("ProtocolType", "")).upper() == "WEBSOCKET":
        return True
    for logical, _attr in references(props.get("ApiId")):
        api = ctx.resources.get(logical)
        if api is not None and str(api.properties.get("ProtocolType", "")).upper() == "WEBSOCKET":
            return True
    return False


def _referenced_functions(ctx: ServiceContext, value: Any) -> list[str]:
    out = []
    for logical, _attr in references(value):
        fn = logical if logical in ctx.functions else ctx.function_aliases.get(logical)
        if fn and fn not in out:
            out.append(fn)
    return out
