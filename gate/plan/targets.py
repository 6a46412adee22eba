"""Which resource an SDK call targets when a given function runs it, and whether that function's
role may perform it (shared by SDK writes and S3 content reads)."""

from __future__ import annotations

import re

from gate.model.iam import Target, evaluate, with_pseudo_parameters
from gate.model.types import AppModel, Function, Resource
from gate.plan.types import ContentSite, WriteSite
from gate.pyast.types import Sym
from gate.services.base import Service


def iam_check(model: AppModel, fn: Function, service: Service, site: WriteSite | ContentSite, res: Resource
              ) -> tuple[str, str]:
    """May ``fn``'s role perform the call on ``res``? (A denied write fails: it triggers nothing.)"""
    perms = model.permissions.get(fn.key)
    if perms is None or not site.api.action:
        return "unknown", "no permissions recorded"
    name = with_pseudo_parameters(res.physical_names[0]) if res.physical_names else f"<{res.logical_id}>"
    service_arn = service.arn(name)
    arn, prefix = service.iam_resource_arn(service_arn, site.key_sym)
    return evaluate(perms, site.api.action, Target(res.logical_id, name, arn, service.ref_is_arn, prefix),
                    service_arn)


def names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _may_name(candidates: list[Resource], text: str) -> list[Resource]:
    """Resources whose deploy-time name (``name_patterns``) ``text`` may be, as a name or an ARN/URL tail."""
    out = []
    for r in candidates:
        for pattern in r.name_patterns:
            if re.fullmatch(pattern, text) or re.search(f"[:/]{pattern}$", text):
                out.append(r)
                break
    return out


def target_resources(fn: Function, service: Service, candidates: list[Resource], sym: Sym
                      ) -> tuple[list[Resource], str]:
    """Which of ``candidates`` (the service's resources) ``sym`` may denote when running as ``fn``, and how."""
    exact = sym.exact()
    if exact is not None:
        hits = [r for r in candidates if service.name_matches(r, exact)]
        if hits:
            return hits, f"resolved (literal name {exact!r})"
        maybe = _may_name(candidates, exact)
        if maybe:
            return maybe, (f"maybe: {exact!r} may be the name of {', '.join(r.logical_id for r in maybe)} "
                           "(a name completed at deploy time by a parameter or the account/region)")
        return [], f"resolved to {exact!r}, which names no {service.name} resource of this app (no trigger)"
    envs = [sym] if sym.kind == "env" else [p for p in sym.parts if p.kind == "env"]
    for env_sym in envs:
        binding = fn.env.get(env_sym.env or "")
        if binding is not None and binding.resource:
            named = {binding.resource, *binding.alternatives}
            hits = [r for r in candidates if r.key in named]
            if hits:
                return hits, f"resolved (env {binding.describe()})"
        if binding is not None and binding.literal is not None:
            hits = [r for r in candidates if service.name_matches(r, binding.literal)]
            if hits:
                return hits, f"resolved (env {binding.name} = {binding.literal!r})"
            maybe = _may_name(candidates, binding.literal)
            if maybe:
                return maybe, (f"maybe: env {binding.name} = {binding.literal!r} may name "
                               f"{', '.join(r.logical_id for r in maybe)} (a name completed at deploy time)")
            return [], f"resolved (env {binding.name} = {binding.literal!r} names no {service.name} resource)"
        if binding is None and sym.kind == "env":
            if env_sym.default is None:
                return [], f"resolved (env {env_sym.env} is not set on {fn.logical_id}: no target there)"
            inner, how = target_resources(fn, service, candidates, env_sym.default)
            return inner, f"env {env_sym.env} not set on {fn.logical_id}; default: {how}"
    return candidates, f"unresolved ({sym.describe()}): any {service.name} resource"
