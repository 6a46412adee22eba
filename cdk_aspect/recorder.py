"""The Aspect: what the plugin needs from the construct tree and cannot read from templates.

Plain ``python app.py`` synthesizes templates without ``aws:cdk:path`` or asset metadata, and
``cdk.out`` holds copies of asset directories (bundled ones with vendored dependencies); only the
construct tree knows construct paths, each asset's *source* directory and which template a nested
stack writes. The aspect keeps references to the constructs; logical IDs are resolved after
synthesis, when they can no longer change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
import jsii

from cdk_aspect.suppressions import METADATA_TYPE, check_suppression

LAMBDA_FUNCTION = "AWS::Lambda::Function"
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"  # what Validations.of(c).acknowledge(...) records
ACK_PREFIX = "flowgate::"


@dataclass
class Recorded:
    resources: list[Any] = field(default_factory=list)  # every CfnResource
    functions: list[Any] = field(default_factory=list)  # Lambda function CfnResources
    nested_stacks: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # malformed in-code suppressions


def _acknowledged(node: Any) -> list[dict[str, str]]:
    """``Validations.of(c).acknowledge(Acknowledgment(id="flowgate::code-injection", reason=...))``
    on ``c``: a suppression of that rule (by name or ``FG-`` ID) for every function below ``c``,
    with the reason and where it was given."""
    out = []
    for entry in node.node.metadata:
        if entry.type != ACKNOWLEDGED or not isinstance(entry.data, dict):
            continue
        for rule_id, reason in entry.data.items():
            if not (isinstance(rule_id, str) and rule_id.startswith(ACK_PREFIX)):
                continue
            rule = rule_id[len(ACK_PREFIX):]
            rule = rule[3:].lower() if rule.upper().startswith("FG-") else rule
            text = str(reason or "").strip()
            out.append({"rule": rule, "reason": f"{text} (CDK acknowledgment on {node.node.path})" if text else ""})
    return out


def _suppression_entries(node: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(node.node.path, entry.data) for entry in node.node.metadata
            if entry.type == METADATA_TYPE and isinstance(entry.data, dict)]


@jsii.implements(cdk.IAspect)
class FlowGateAspect:
    """Records constructs for ``FlowGatePlugin`` and applies ``FlowGateSuppressions`` and CDK's own
    acknowledgments of ``flowgate::`` rules."""

    def __init__(self) -> None:
        self.recorded = Recorded()
        self._seen: set[str] = set()

    def visit(self, node: Any) -> None:
        path = node.node.path
        if path in self._seen:  # aspects may visit a node more than once
            return
        self._seen.add(path)
        self._check_suppressions(node)
        if cdk.NestedStack.is_nested_stack(node):
            self.recorded.nested_stacks.append(node)
        if not cdk.CfnResource.is_cfn_resource(node):
            return
        self.recorded.resources.append(node)
        if node.cfn_resource_type == LAMBDA_FUNCTION:
            self.recorded.functions.append(node)
            self._apply_suppressions(node)

    def _check_suppressions(self, node: Any) -> None:
        for ack in _acknowledged(node):
            if not ack["reason"]:
                self.recorded.errors.append(f"{node.node.path}: acknowledgment {ACK_PREFIX}{ack['rule']} has no "
                                            "reason")
        for where, data in _suppression_entries(node):
            if data.get("error"):
                self.recorded.errors.append(f"{where}: {data['error']}")
            for entry in data.get("suppressions") or []:
                problem = check_suppression(entry)
                if problem:
                    self.recorded.errors.append(f"{where}: {problem}")

    def _apply_suppressions(self, cfn: Any) -> None:
        """Suppressions on the resource, on its L2 (the resource is its default child), or on an
        ancestor with ``apply_to_children``, become ``Metadata.flowgate.suppressions``."""
        found: list[dict[str, Any]] = []
        owner = cfn.node.scope
        default_child = owner.node.default_child if owner is not None else None
        owns_cfn = default_child is not None and default_child.node.path == cfn.node.path
        scope: Any = cfn
        while scope is not None:
            direct = scope.node.path == cfn.node.path or (owns_cfn and scope.node.path == owner.node.path)
            for _where, data in _suppression_entries(scope):
                if direct or data.get("apply_to_children"):
                    found += [dict(e) for e in data.get("suppressions") or [] if check_suppression(e) is None]
            found += [a for a in _acknowledged(scope) if check_suppression(a) is None]  # the whole subtree
            scope = scope.node.scope
        if found:
            cfn.add_metadata("flowgate", {"suppressions": found})
