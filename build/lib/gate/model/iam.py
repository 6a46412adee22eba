"""IAM as the gate needs it: may this function's role perform this write on this resource?

A write the role does not allow fails at runtime, so it triggers nothing; pruning such edges is
both more precise and what the research prototype showed matters most for precision. Statements
come from the function's role (inline ``Policies``, ``AWS::IAM::Policy``/``ManagedPolicy`` resources
attached to it — CDK ``grant*`` and SAM policy templates land here — and AWS managed policies from a
small table). Evaluation follows IAM: an explicit Deny wins, then an Allow, else implicit deny.
Whatever cannot be read (a role outside the template, an unknown managed policy, a resource
expression we cannot render) makes the answer ``unknown``, which keeps the edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gate.common.aws import ACCOUNT, REGION
from gate.common.intrinsics import literal, references, render
from gate.model.iam_data import MANAGED_POLICIES, MANAGED_POLICIES_EXCEPT


@dataclass(frozen=True)
class Statement:
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str | None, ...]  # rendered (``${Logical.Attr}`` markers); None = unreadable
    not_resource: bool
    conditional: bool
    origin: str


@dataclass
class Permissions:
    role: str | None  # logical ID of the role, when it is in the template
    statements: list[Statement] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # why the statement set may be incomplete


def policies_by_role(template_resources: dict[str, Any]) -> dict[str, list[str]]:
    """Role logical ID -> the ``AWS::IAM::Policy``/``ManagedPolicy`` resources naming it in ``Roles``
    (computed once per template: a thousand functions must not rescan it a thousand times)."""
    out: dict[str, list[str]] = {}
    for logical, raw in template_resources.items():
        if isinstance(raw, dict) and raw.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for ref, _attr in references((raw.get("Properties") or {}).get("Roles")):
                out.setdefault(ref, []).append(logical)
    return out


def function_permissions(fn_props: dict[str, Any], template_resources: dict[str, Any],
                         by_role: dict[str, list[str]] | None = None) -> Permissions:
    role_value = fn_props.get("Role")
    role = next((logical for logical, _attr in references(role_value)
                 if (template_resources.get(logical) or {}).get("Type") == "AWS::IAM::Role"), None)
    if role is None:
        shown = literal(role_value) or "an expression"
        return Permissions(None, [], [f"role {shown} is not defined in the template"])
    perms = Permissions(role)
    role_props = (template_resources[role].get("Properties") or {})
    for i, policy in enumerate(role_props.get("Policies") or []):
        if isinstance(policy, dict):
            name = literal(policy.get("PolicyName")) or f"#{i}"
            perms.statements += _statements(policy.get("PolicyDocument"), f"{role} inline policy {name}",
                                            template_resources)
    for arn in role_props.get("ManagedPolicyArns") or []:
        _managed(arn, template_resources, perms)
    by_role = policies_by_role(template_resources) if by_role is None else by_role
    for logical in dict.fromkeys(by_role.get(role, [])):
        props = (template_resources[logical].get("Properties") or {})
        attached = any(ref == logical for a in role_props.get("ManagedPolicyArns") or []
                       for ref, _attr in references(a))
        if not attached:
            perms.statements += _statements(props.get("PolicyDocument"), f"{logical}", template_resources)
    return perms


def _managed(arn: Any, template_resources: dict[str, Any], perms: Permissions) -> None:
    for logical, _attr in references(arn):
        raw = template_resources.get(logical) or {}
        if raw.get("Type") == "AWS::IAM::ManagedPolicy":
            perms.statements += _statements((raw.get("Properties") or {}).get("PolicyDocument"), logical,
                                            template_resources)
            return
    text = render(arn) or ""
    name = text.rsplit("/", 1)[-1]
    if ":iam::aws:policy/" in text and name in MANAGED_POLICIES:
        perms.statements.append(Statement("Allow", MANAGED_POLICIES[name], False, ("*",), False, False,
                                          f"AWS managed policy {name}"))
    elif ":iam::aws:policy/" in text and name in MANAGED_POLICIES_EXCEPT:
        perms.statements.append(Statement("Allow", MANAGED_POLICIES_EXCEPT[name], True, ("*",), False, False,
                                          f"AWS managed policy {name}"))
    else:
        perms.unknown.append(f"managed policy {text or arn!r} is not known to the gate")


def _statements(document: Any, origin: str, template_resources: dict[str, Any]) -> list[Statement]:
    if not isinstance(document, dict):
        return []
    raw = document.get("Statement")
    out = []
    for st in raw if isinstance(raw, list) else [raw]:
        if not isinstance(st, dict):
            continue
        not_action = "NotAction" in st
        actions = st.get("NotAction" if not_action else "Action")
        not_resource = "NotResource" in st
        resources = st.get("NotResource" if not_resource else "Resource", "*")
        out.append(Statement(
            "Deny" if str(st.get("Effect", "Allow")) == "Deny" else "Allow",
            tuple(a for a in (literal(x) for x in _as_list(actions)) if a),
            not_action,
            tuple(_readable(render(r), template_resources) for r in _as_list(resources)),
            not_resource,
            bool(st.get("Condition")),
            origin + (f" ({st['Sid']})" if isinstance(st.get("Sid"), str) else ""),
        ))
    return out


def _readable(rendered: str | None, template_resources: dict[str, Any]) -> str | None:
    """A resource pattern naming a parameter (or anything outside the template) is not readable."""
    if rendered is None:
        return None
    for m in _MARKER.finditer(rendered):
        name = m.group(1)
        if name not in _PSEUDO and name.partition(".")[0] not in template_resources:
            return None
    return rendered


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Target:
    """The resource a write acts on, as IAM sees it."""

    logical_id: str
    name: str  # physical name, or ``<LogicalId>`` when CloudFormation generates it
    arn: str  # the ARN the action is checked against (S3 objects: bucket ARN + "/" + key)
    ref_is_arn: bool
    object_prefix: str | None = None  # S3: statements on bucketArn/<anything> may apply


_PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
           "AWS::URLSuffix": "amazonaws.com"}
_MARKER = re.compile(r"\$\{([^}]+)\}")


def with_pseudo_parameters(text: str) -> str:
    """A rendered name with ``${AWS::AccountId}`` and friends in the placeholder account and region
    (what statements rendered the same way are compared in)."""
    return _MARKER.sub(lambda m: _PSEUDO.get(m.group(1), m.group(0)), text)


def _normalise(pattern: str, target: Target, service_arn: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _PSEUDO:
            return _PSEUDO[name]
        logical, _, attr = name.partition(".")
        if logical != target.logical_id:
            return m.group(0)
        if attr in ("", "Ref"):
            return service_arn if target.ref_is_arn else target.name
        if attr == "Arn":
            return service_arn
        if attr == "StreamArn":
            return service_arn + "/stream/*"
        return target.name  # QueueName, TopicName, Name, StateMachineName, ...

    return _MARKER.sub(repl, pattern)


def evaluate(perms: Permissions, action: str, target: Target, service_arn: str) -> tuple[str, str]:
    """``allow`` / ``deny`` / ``unknown`` for ``action`` on ``target``, with the deciding statement."""
    allowed: list[str] = []
    unknown: list[str] = []
    for st in perms.statements:
        if not _action_matches(st, action):
            continue
        hit = _resource_matches(st, target, service_arn)
        if hit is None:
            unknown.append(f"{st.origin}: resource not readable, or in a region or account the app may be deployed to")
            continue
        if not hit:
            continue
        if st.effect == "Deny":
            if st.conditional:
                unknown.append(f"{st.origin}: conditional Deny")
                continue
            return "deny", f"explicitly denied by {st.origin}"
        allowed.append(st.origin + (" (with a condition)" if st.conditional else ""))
    if allowed:
        return "allow", f"allowed by {allowed[0]}"
    if unknown or perms.unknown:
        return "unknown", "; ".join(unknown + perms.unknown)
    return "deny", f"no statement of the function's role allows {action} on {target.logical_id}"


_WILDCARDS: dict[str, re.Pattern[str]] = {}


def iam_match(value: str, pattern: str) -> bool:
    """IAM's wildcard match: ``*`` is any run of characters, ``?`` one character, nothing else is
    special (``fnmatch`` would also read ``[...]`` as a class, and its small cache of compiled
    patterns thrashes at a thousand functions' distinct ARNs)."""
    if "?" not in pattern:
        stars = pattern.count("*")
        if stars == 0:
            return value == pattern
        if stars == 1 and pattern.endswith("*"):  # the common "arn:...:bucket/*" and "sqs:*" forms
            return value.startswith(pattern[:-1])
    compiled = _WILDCARDS.get(pattern)
    if compiled is None:
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        compiled = _WILDCARDS[pattern] = re.compile(body, re.DOTALL)
    return compiled.fullmatch(value) is not None


def _action_matches(st: Statement, action: str) -> bool:
    hit = any(iam_match(action.lower(), a.lower()) for a in st.actions)
    return not hit if st.not_action else hit


def _resource_matches(st: Statement, target: Target, service_arn: str) -> bool | None:
    results: list[bool | None] = []
    for res in st.resources:
        if res is None:
            return None
        pattern = _normalise(res, target, service_arn)
        hit: bool | None = iam_match(target.arn, pattern)
        if not hit and _matches_elsewhere(target.arn, pattern):
            hit = None  # a literal region or account: true if the app is deployed there
        if not hit and target.object_prefix is not None and pattern.startswith(service_arn + "/"):
            # The key is only partly known: a statement on part of the bucket may cover it.
            head = pattern[len(service_arn) + 1:].split("*", 1)[0].split("?", 1)[0]
            hit = head.startswith(target.object_prefix) or target.object_prefix.startswith(head)
        results.append(hit)
    if any(results):
        return not st.not_resource
    if None in results:
        return None
    return st.not_resource


def _matches_elsewhere(arn: str, pattern: str) -> bool:
    """Would ``pattern`` match ``arn`` if the app were deployed in the region and account the pattern
    names? The gate does not know where the template is deployed: it renders ARNs in a placeholder
    region and account, so a literal ``eu-central-1`` or ``111122223333`` decides nothing."""
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    target = arn.split(":", 5)
    if len(target) < 6:
        return False
    moved = ":".join([*parts[:3], target[3] if parts[3] else "", target[4] if parts[4] else "", parts[5]])
    return moved != pattern and iam_match(arn, moved)
