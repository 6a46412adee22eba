"""In-code suppressions, cdk-nag style: attached to a construct, applied by ``FlowGateAspect`` to the
Lambda function resources under it, and written into their template ``Metadata`` where the engine
(and a reviewer reading the template) finds them.

Keyed on the construct path (and optionally the handler and the sink), so they survive logical-ID
and asset-hash churn; never on line numbers. A reason is mandatory. A malformed suppression is not
raised at the call site (that would be a Python traceback in the user's app) but reported by the
plugin as a violation naming the construct: the gate fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

METADATA_TYPE = "flowgate:suppressions"


def check_suppression(entry: Any) -> str | None:
    """Why ``entry`` is not a valid suppression, or None: the engine's own rules for declared ones."""
    from gate.model.declared import suppression_problem

    return suppression_problem(dict(entry) if isinstance(entry, Mapping) else entry)


class FlowGateSuppressions:
    """Accept a reviewed risk on a construct: ``[{"rule": ..., "reason": ..., "handler"?, "sink"?,
    "expires"?: "YYYY-MM-DD"}]``. On a ``Function`` (or its ``CfnFunction``) it covers flows that
    start or end in that function; with ``apply_to_children`` (and for stacks) every function below."""

    @staticmethod
    def add_resource_suppressions(construct: Any, suppressions: Sequence[Mapping[str, str]],
                                  apply_to_children: bool = False) -> None:
        entries = [dict(s) if isinstance(s, Mapping) else s for s in suppressions]
        construct.node.add_metadata(METADATA_TYPE, {"apply_to_children": bool(apply_to_children),
                                                    "suppressions": entries})

    @staticmethod
    def add_stack_suppressions(stack: Any, suppressions: Sequence[Mapping[str, str]]) -> None:
        FlowGateSuppressions.add_resource_suppressions(stack, suppressions, apply_to_children=True)

    @staticmethod
    def add_resource_suppressions_by_path(stack: Any, path: str, suppressions: Sequence[Mapping[str, str]],
                                          apply_to_children: bool = False) -> None:
        """``path`` is a full construct path (``"MyStack/Worker"``) below ``stack``."""
        target = None
        for child in stack.node.find_all():
            if child.node.path == path.strip("/"):
                target = child
                break
        if target is None:
            # Recorded on the stack and reported by the plugin: a suppression for a path that does
            # not exist is a mistake the user should hear about, not a silent no-op.
            stack.node.add_metadata(METADATA_TYPE, {"apply_to_children": False, "suppressions": [],
                                                    "error": f"no construct at path {path!r}"})
            return
        FlowGateSuppressions.add_resource_suppressions(target, suppressions, apply_to_children)
