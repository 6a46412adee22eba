"""Resources outsiders can write to: their events are attacker-controlled entry points.

Read from resource policies (``AWS::S3::BucketPolicy``, ``AWS::SQS::QueuePolicy``,
``AWS::SNS::TopicPolicy``) and bucket ACLs. A statement admits outsiders when it allows a write
action to ``*``/``{"AWS": "*"}`` or to a literal account (the template's own account only ever
appears as ``${AWS::AccountId}``), unless a condition pins the caller to a source ARN, account or
organisation. AWS service principals (``sns.amazonaws.com``, ...) are the app's own plumbing.
"""

from __future__ import annotations

from typing import Any

from gate.common.intrinsics import references, render
from gate.model.iam import iam_match
from gate.model.types import Resource
from gate.services.base import ServiceContext
from gate.services.registry import resources_named

# policy resource type -> (property listing the protected resources, write actions)
_POLICIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "AWS::S3::BucketPolicy": ("Bucket", ("s3:PutObject",)),
    "AWS::SQS::QueuePolicy": ("Queues", ("sqs:SendMessage",)),
    "AWS::SNS::TopicPolicy": ("Topics", ("sns:Publish",)),
}
_PINNING_CONDITIONS = ("aws:sourcearn", "aws:sourceaccount", "aws:principalaccount", "aws:principalorgid",
                       "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce", "aws:principalarn")


def external_resources(ctx: ServiceContext) -> dict[str, str]:
    """Resource key -> why outsiders can write to it."""
    out: dict[str, str] = {}
    for res in ctx.resources.values():
        if res.type == "AWS::S3::Bucket" and res.properties.get("AccessControl") == "PublicReadWrite":
            out[res.key] = "its ACL is PublicReadWrite"
        spec = _POLICIES.get(res.type)
        if spec is None:
            continue
        prop, actions = spec
        why = _admits_outsiders((res.properties.get("PolicyDocument") or {}), actions)
        if why is None:
            continue
        for target in _protected(ctx, res.properties.get(prop)):
            out.setdefault(target.key, f"{res.logical_id} {why}")
    return out


def _protected(ctx: ServiceContext, value: Any) -> list[Resource]:
    """The resources a policy protects: by ``Ref``/``GetAtt``, or by name or ARN written as text or
    with the same ``Fn::Sub`` as the resource's own name."""
    out = []
    for item in value if isinstance(value, list) else [value]:
        refs = [ctx.resources[logical] for logical, _attr in references(item) if logical in ctx.resources]
        text = render(item) if not refs else None
        out += refs or (resources_named(ctx.resources.values(), text) if text else [])
    return out


def _admits_outsiders(document: dict[str, Any], actions: tuple[str, ...]) -> str | None:
    statements = document.get("Statement") if isinstance(document, dict) else None
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        listed = st.get("Action")
        listed = listed if isinstance(listed, list) else [listed]
        if not any(isinstance(a, str) and iam_match(w.lower(), a.lower()) for a in listed for w in actions):
            continue
        who = _outside_principal(st.get("Principal"))
        if who is None:
            continue
        condition = st.get("Condition") if isinstance(st.get("Condition"), dict) else {}
        keys = {k.lower() for block in condition.values() if isinstance(block, dict) for k in block}
        if keys & set(_PINNING_CONDITIONS):
            continue
        return f"allows {', '.join(a for a in listed if isinstance(a, str))} to {who}"
    return None


def _outside_principal(principal: Any) -> str | None:
    if principal == "*":
        return "anyone (Principal *)"
    if not isinstance(principal, dict):
        return None
    aws = principal.get("AWS")
    for p in aws if isinstance(aws, list) else [aws]:
        text = render(p)
        if text is None:
            continue
        if text == "*":
            return "anyone (Principal AWS *)"
        if "${AWS::AccountId}" not in text and any(ch.isdigit() for ch in text):
            return f"another account ({text})"
    return None
