"""Amazon EventBridge: rules on the default or a custom bus, ``put_events``, and the event shape.

A rule's ``EventPattern`` is evaluated against what is statically known of the entry (its
``Source``, ``DetailType`` and ``Detail``). Rules without ``EventBusName`` live on the account's
default bus, which has no resource in the template: the gate adds one, named ``default``.
"""

from __future__ import annotations

import ast
from typing import Any

from gate.common.aws import ACCOUNT, REGION
from gate.common.event_patterns import UNKNOWN_VALUE, JsonText, match_any, rule_pattern
from gate.common.intrinsics import literal
from gate.model.types import Resource, Trigger
from gate.pyast.resolve import call_argument, definition, resolve_str, static_value
from gate.pyast.types import UNKNOWN, const
from gate.services.base import CallFacts, Service, ServiceContext, WriteApi

_BUS = ("AWS::Events::EventBus",)
DEFAULT_BUS = "default"


class EventBridge(Service):
    name = "events"
    resource_types = _BUS
    physical_name_properties = ("Name",)
    arn_format = "arn:aws:events:{region}:{account}:event-bus/{name}"
    resource_labels = {"AWS::Events::EventBus": "event bus"}
    event_params = ("Entries",)
    writes = (
        WriteApi("events", "client", "put_events", ("Entries", "EndpointId"), "events:PutEvents",
                 target="Entries", action="events:PutEvents"),
    )

    def pseudo_resources(self, stack: str, template_resources: dict[str, Any]) -> list[Resource]:
        """The default bus, when a rule of this stack listens on it."""
        for raw in template_resources.values():
            if isinstance(raw, dict) and raw.get("Type") == "AWS::Events::Rule":
                bus = (raw.get("Properties") or {}).get("EventBusName")
                if bus is None or literal(bus) == DEFAULT_BUS:
                    return [Resource(stack, DEFAULT_BUS, _BUS[0], {"Name": DEFAULT_BUS}, (DEFAULT_BUS,))]
        return []

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        found: list[Trigger] = []
        for res in ctx.resources.values():
            if res.type != "AWS::Events::Rule":
                continue
            props = res.properties
            pattern = rule_pattern(props)
            if pattern is None:
                continue  # schedules fire on time, not on put_events; a disabled rule matches nothing
            bus = self._bus(ctx, props.get("EventBusName"))
            if bus is None:
                continue
            for target in props.get("Targets") or []:
                if not isinstance(target, dict):
                    continue
                details: dict[str, Any] = {"EventPattern": pattern}
                for key in ("Input", "InputPath", "InputTransformer"):
                    if key in target:
                        details[key] = target[key]
                for fn in ctx.functions_of(target.get("Arn")):
                    found.append(Trigger("events", bus.key, ctx.functions[fn].key, ("events:PutEvents",),
                                         details=details, via=res.logical_id))
        return found

    def _bus(self, ctx: ServiceContext, value: Any) -> Resource | None:
        if value is None:
            return ctx.resources.get(DEFAULT_BUS)
        ref = ctx.resource_of(value, _BUS)
        if ref is not None:
            return ref
        name = literal(value)
        if name is not None:
            name = name.rsplit("/", 1)[-1]
            for res in ctx.resources.values():
                if res.type in _BUS and name in res.physical_names:
                    return res
        return None

    def call_facts(self, api, call, scope, handle):
        """The bus is ``Entries[0]["EventBusName"]`` (the default bus when absent)."""
        target = UNKNOWN
        argument = call_argument(call, api.params, "Entries")
        entries, where = definition(argument, scope) if argument is not None else (None, scope)
        if isinstance(entries, ast.List) and entries.elts:
            first, where = definition(entries.elts[0], where)  # Entries=[entry], entry built first
            if isinstance(first, ast.Dict):
                fields = {k.value: v for k, v in zip(first.keys, first.values, strict=True)
                          if isinstance(k, ast.Constant)}
                target = (resolve_str(fields["EventBusName"], where) if "EventBusName" in fields
                          else const(DEFAULT_BUS))
        return CallFacts(target, None, self.known_values(api, call, scope))

    def known_values(self, api, call, scope):
        entries = static_value(call_argument(call, api.params, "Entries"), scope)
        first = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else None
        if first is None:
            return {}
        detail = first.get("Detail", UNKNOWN_VALUE)
        return {"version": "0", "id": UNKNOWN_VALUE, "account": UNKNOWN_VALUE, "region": UNKNOWN_VALUE,
                "time": UNKNOWN_VALUE, "resources": first.get("Resources", []),
                "source": first.get("Source", UNKNOWN_VALUE), "detail-type": first.get("DetailType", UNKNOWN_VALUE),
                "detail": detail.value if isinstance(detail, JsonText) else UNKNOWN_VALUE}

    def filter_verdict(self, api: WriteApi, trigger: Trigger, facts: CallFacts) -> tuple[str, str]:
        return match_any([trigger.details.get("EventPattern")], facts.values or UNKNOWN_VALUE, "EventPattern")

    def name_matches(self, resource: Resource, literal_name: str) -> bool:
        return any(literal_name in (n, self.arn(n)) or literal_name.endswith(f":event-bus/{n}")
                   for n in resource.physical_names)

    def event_expression(self, api, trigger: Trigger, resource: Resource, facts: CallFacts) -> str:
        event = ('{"version": "0", "id": "flowgate", "source": Entries[0]["Source"], '
                 '"detail-type": Entries[0]["DetailType"], '
                 f'"account": {ACCOUNT!r}, "region": {REGION!r}, "time": "", "resources": [], '
                 '"detail": json.loads(Entries[0]["Detail"])}')
        if "Input" in trigger.details:
            return "{}"  # a constant input replaces the event: nothing of the writer reaches the target
        path = trigger.details.get("InputPath")
        return jsonpath_expression(event, path) if isinstance(path, str) else event


def jsonpath_expression(base: str, path: str) -> str:
    """``$.detail.order`` -> ``(base)["detail"]["order"]``; anything beyond plain paths keeps the whole value."""
    import re

    if not path.startswith("$"):
        return base
    expr = f"({base})"
    for name, index in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", path[1:]):
        expr += f"[{name!r}]" if name else f"[{index}]"
    return expr


SERVICE = EventBridge()
