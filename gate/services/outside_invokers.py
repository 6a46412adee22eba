"""Functions that code the gate does not analyse may invoke: their events are nobody's to vouch for.

* A Lambda permission (``AWS::Lambda::Permission``) that lets anyone (``*``) or another account
  invoke a function, with no ``SourceArn``/``SourceAccount``/``PrincipalOrgID`` pinning it, makes the
  function invocable from outside the app.
* A function whose code is not analysed (another runtime, a container image, inline code) that names
  a Python function in its environment passes it events built from whatever it received.

Either makes the Python function an untrusted entry (``ExternalResource``): where the gate cannot tell
what reaches a function, the function is in scope, not out.
"""

from __future__ import annotations

from typing import Any

from gate.common.intrinsics import literal, render
from gate.model.types import EntryPoint
from gate.services.base import ServiceContext

_PINNED = ("SourceArn", "SourceAccount", "PrincipalOrgID")


def outside_invocations(ctx: ServiceContext) -> list[EntryPoint]:
    out: dict[str, EntryPoint] = {}
    for res in ctx.resources.values():
        if res.type != "AWS::Lambda::Permission":
            continue
        action = literal(res.properties.get("Action")) or ""
        if action not in ("lambda:InvokeFunction", "lambda:*", "lambda:InvokeAsync"):
            continue
        if res.properties.get("InvokedViaFunctionUrl") or res.properties.get("FunctionUrlAuthType"):
            continue  # the function URL's own permission: the URL is an entry point already
        outsider = _outsider(res.properties.get("Principal"))
        if outsider is None or any(res.properties.get(k) is not None for k in _PINNED):
            continue
        for fn in ctx.functions_of(res.properties.get("FunctionName")):
            key = ctx.functions[fn].key
            out.setdefault(key, EntryPoint("ExternalResource", key,
                                           f"Lambda permission {res.logical_id} lets {outsider} invoke it"))
    for logical, caller in ctx.functions.items():
        if caller.code_dir is not None and caller.runtime.startswith("python3"):
            continue  # analysed: its invocations are hops the plan follows
        for name, binding in caller.env.items():
            for target in ctx.functions_of(binding.raw):
                if target == logical or not ctx.functions[target].runtime.startswith("python3"):
                    continue
                key = ctx.functions[target].key
                out.setdefault(key, EntryPoint("ExternalResource", key,
                                               f"{logical} (code not analysed) names it in {name}"))
    return list(out.values())


def _outsider(principal: Any) -> str | None:
    """``anyone`` or ``account N`` when the principal is not a service of AWS or this account."""
    text = literal(principal)
    if text is None:
        rendered = render(principal) or ""
        if not rendered or "AWS::AccountId" in rendered:
            return None  # this account (or nothing readable)
        return f"the principal {rendered}"
    if text == "*":
        return "anyone"
    if text.endswith(".amazonaws.com") or text.endswith(".amazonaws.com.cn"):
        return None  # a service principal: its triggers are modelled (S3, SNS, EventBridge, API Gateway, ...)
    return f"account {text}"
