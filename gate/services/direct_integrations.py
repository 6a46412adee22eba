"""Resources the internet writes to without a function in between: API Gateway service integrations
(a REST API method or OpenAPI operation of ``type: aws``, an HTTP API integration with an
``IntegrationSubtype``, CDK ``AwsIntegration``) put the client's request into a queue, stream,
table, state machine or bus; SES receipt rules deliver internet mail to a bucket, a topic or a
function. The consumers of such a resource get attacker-controlled events, exactly as if the
resource's policy admitted everyone.

The integrated resource is found by reference (``Ref``/``GetAtt``/``Sub`` in the integration's URI,
request parameters or templates) or by its name written in them. When an integration names no
resource of its service that the gate can find, every resource of that service in the stack is
treated as written from outside: the gate cannot tell which, so none is left out of scope.
"""

from __future__ import annotations

import re
from typing import Any

from gate.common.intrinsics import references, render
from gate.model.types import EntryPoint, Resource
from gate.services.base import ServiceContext
from gate.services.registry import SERVICES, resources_named

# service names in integration URIs (arn:aws:apigateway:REGION:SERVICE:action/...) and subtypes
# (SQS-SendMessage) -> the registry's service
_URI_SERVICES = {"sqs": "sqs", "kinesis": "kinesis", "dynamodb": "dynamodb", "states": "stepfunctions",
                 "events": "events", "sns": "sns", "s3": "s3"}
_SUBTYPE_SERVICES = {"sqs": "sqs", "kinesis": "kinesis", "stepfunctions": "stepfunctions", "eventbridge": "events"}
_URI = re.compile(r"arn:[^:]*:apigateway:[^:]*:([a-z0-9-]+):")


def direct_writes(ctx: ServiceContext) -> tuple[dict[str, str], list[EntryPoint]]:
    """(resource key -> why outsiders write to it, functions SES invokes with internet mail)."""
    external: dict[str, str] = {}
    entries: list[EntryPoint] = []
    for res in ctx.resources.values():
        if res.type == "AWS::ApiGateway::Method":
            integration = res.properties.get("Integration")
            if isinstance(integration, dict) and str(integration.get("Type", "")).upper() == "AWS":
                _integrated(ctx, integration, _uri_service(integration.get("Uri")), res.logical_id, external)
        elif res.type in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
            for integration in _openapi_integrations(res.properties.get("Body")):
                _integrated(ctx, integration, _uri_service(integration.get("uri")), res.logical_id, external)
        elif res.type == "AWS::ApiGatewayV2::Integration":
            subtype = res.properties.get("IntegrationSubtype")
            if isinstance(subtype, str) and "-" in subtype:
                service = _SUBTYPE_SERVICES.get(subtype.split("-", 1)[0].lower())
                _integrated(ctx, res.properties, service, res.logical_id, external)
        elif res.type == "AWS::SES::ReceiptRule":
            _receipt_rule(ctx, res, external, entries)
    return external, entries


def _uri_service(uri: Any) -> str | None:
    text = re.sub(r"\$\{[^}]*\}", "x", render(uri) or "")  # ${AWS::Region} has colons of its own
    match = _URI.search(text)
    return _URI_SERVICES.get(match.group(1)) if match else None


def _openapi_integrations(body: Any) -> list[dict[str, Any]]:
    paths = body.get("paths") if isinstance(body, dict) else None
    out = []
    for operations in (paths.values() if isinstance(paths, dict) else []):
        for operation in (operations.values() if isinstance(operations, dict) else []):
            integration = operation.get("x-amazon-apigateway-integration") if isinstance(operation, dict) else None
            if isinstance(integration, dict) and str(integration.get("type", "")).lower() == "aws":
                out.append(integration)
    return out


def _integrated(ctx: ServiceContext, integration: dict[str, Any], service: str | None, via: str,
                external: dict[str, str]) -> None:
    """Mark the resources an integration of ``service`` writes to."""
    svc = SERVICES.get(service or "")
    if svc is None:
        return
    kinds = svc.resource_types
    named = [ctx.resources[logical] for logical, _attr in references(integration)
             if logical in ctx.resources and ctx.resources[logical].type in kinds]
    if not named:
        texts = [t for t in (render(v) for v in _strings(integration)) if t]
        named = [r for r in ctx.resources.values() if r.type in kinds
                 and any(n and n in t for n in r.physical_names for t in texts)]
    how = "names it" if named else "names none the gate can find, so every one may be it"
    for res in named or [r for r in ctx.resources.values() if r.type in kinds]:
        external.setdefault(res.key, f"API Gateway service integration {via} writes client requests to it "
                                     f"(the integration {how})")


def _strings(value: Any, depth: int = 0) -> list[Any]:
    if depth > 12:
        return []
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("Fn::") or set(value) == {"Ref"}:
            return [value]
        return [s for v in value.values() for s in _strings(v, depth + 1)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, depth + 1)]
    return [value] if isinstance(value, str) else []


def _receipt_rule(ctx: ServiceContext, res: Resource, external: dict[str, str], entries: list[EntryPoint]) -> None:
    rule = res.properties.get("Rule") if isinstance(res.properties.get("Rule"), dict) else {}
    why = f"SES receipt rule {res.logical_id} delivers internet mail to it"
    for action in rule.get("Actions") or []:
        if not isinstance(action, dict):
            continue
        s3 = action.get("S3Action") if isinstance(action.get("S3Action"), dict) else None
        sns = action.get("SNSAction") if isinstance(action.get("SNSAction"), dict) else None
        lam = action.get("LambdaAction") if isinstance(action.get("LambdaAction"), dict) else None
        for value, kinds in ((s3 and s3.get("BucketName"), SERVICES["s3"].resource_types),
                             (sns and sns.get("TopicArn"), SERVICES["sns"].resource_types)):
            if value is None:
                continue
            text = render(value)
            found = ctx.resources_of(value, kinds) or (
                resources_named([r for r in ctx.resources.values() if r.type in kinds], text) if text else [])
            for target in found:
                external.setdefault(target.key, why)
        if lam is not None:
            for fn in ctx.functions_of(lam.get("FunctionArn")):
                entries.append(EntryPoint("ExternalResource", ctx.functions[fn].key, res.logical_id))
