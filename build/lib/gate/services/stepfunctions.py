"""AWS Step Functions: ``start_execution`` input reaches the state machine's Lambda tasks.

Task states are read from ``Definition`` or ``DefinitionString`` (a JSON string, usually built with
``Fn::Join``/``Fn::Sub``, references resolved through ``DefinitionSubstitutions``). Both task forms
count: a function ARN as ``Resource`` (the state input, narrowed by ``InputPath``/``Parameters``) and
the optimized ``arn:aws:states:::lambda:invoke`` integration (``Parameters.FunctionName`` and
``Payload``). A payload built only from constants carries nothing of the execution input. Each task
is modelled as receiving the execution input; state output passed between states is not followed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gate.common.intrinsics import references, render
from gate.model.types import Resource, Trigger
from gate.services.base import CallFacts, Service, ServiceContext, WriteApi
from gate.services.eventbridge import jsonpath_expression

_MACHINE = ("AWS::StepFunctions::StateMachine",)
_START = ("stateMachineArn", "name", "input", "traceHeader")
_MARKER = re.compile(r"\$\{([^}]+)\}")


class StepFunctions(Service):
    name = "stepfunctions"
    resource_types = _MACHINE
    physical_name_properties = ("StateMachineName",)
    arn_format = "arn:aws:states:{region}:{account}:stateMachine:{name}"
    resource_labels = {"AWS::StepFunctions::StateMachine": "state machine"}
    event_params = ("input",)
    ref_is_arn = True
    writes = (
        WriteApi("stepfunctions", "client", "start_execution", _START, "states:StartExecution",
                 target="stateMachineArn", action="states:StartExecution"),
        WriteApi("stepfunctions", "client", "start_sync_execution", _START, "states:StartExecution",
                 target="stateMachineArn", action="states:StartSyncExecution"),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        found: list[Trigger] = []
        for res in ctx.resources.values():
            if res.type not in _MACHINE:
                continue
            definition = _definition(res.properties)
            if definition is None:
                continue
            subs = res.properties.get("DefinitionSubstitutions") or {}
            for state_name, state in _task_states(definition):
                fn, payload = _task_target(ctx, state, subs)
                if fn is None:
                    continue
                found.append(Trigger("stepfunctions", res.key, ctx.functions[fn].key, ("states:StartExecution",),
                                     details={"State": state_name, "Payload": payload}, via=res.logical_id))
        return found

    def event_expression(self, api, trigger: Trigger, resource: Resource, facts: CallFacts) -> str:
        return _payload_expression(trigger.details.get("Payload"), "json.loads(input)")


def _definition(props: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(props.get("Definition"), dict):
        return props["Definition"]
    text = render(props.get("DefinitionString"))
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _task_states(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every Task state, including those inside Parallel branches and Map iterators."""
    out = []
    for name, state in (definition.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        if state.get("Type") == "Task":
            out.append((name, state))
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                out += _task_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                out += _task_states(state[key])
    return out


def _task_target(ctx: ServiceContext, state: dict[str, Any], subs: dict[str, Any]) -> tuple[str | None, Any]:
    """The invoked function and the payload template it receives (``{"$": path}`` = a slice of the input)."""
    resource = state.get("Resource")
    params = state.get("Parameters")
    input_path = state.get("InputPath", "$")
    if isinstance(resource, str) and resource.startswith("arn:aws:states:::lambda:invoke"):
        if not isinstance(params, dict):
            return None, None
        fn = _function(ctx, params.get("FunctionName"), subs)
        if "Payload.$" in params:
            return fn, {"$": params["Payload.$"]}
        if "Payload" in params:
            return fn, params["Payload"]
        return fn, {"$": input_path}
    fn = _function(ctx, resource, subs)
    if isinstance(params, dict):
        return fn, params
    return fn, {"$": input_path}


def _function(ctx: ServiceContext, value: Any, subs: dict[str, Any]) -> str | None:
    if isinstance(value, dict):
        return ctx.function_of(value)
    if not isinstance(value, str):
        return None
    for name in _MARKER.findall(value):
        target = subs.get(name) if name in subs else {"Fn::GetAtt": name.split(".", 1)} if "." in name \
            else {"Ref": name}
        if isinstance(target, str):  # a substitution that is the function's name or ARN as text
            fn = _by_name(ctx, target)
            if fn:
                return fn
        for logical, _attr in references(target):
            fn = ctx.function_of({"Ref": logical})
            if fn:
                return fn
    return _by_name(ctx, value)


def _by_name(ctx: ServiceContext, text: str) -> str | None:
    """A function named by its ARN, or by its plain ``FunctionName`` (a task may name it either way)."""
    found = ctx.function_of(text)
    if found:
        return found
    return next((logical for logical, fn in ctx.functions.items() if fn.physical_name and text == fn.physical_name),
                None)


def _payload_expression(template: Any, input_expr: str) -> str:
    """Python for a Step Functions payload template: ``"k.$": "$.path"`` reads the input, the rest is constant."""
    if isinstance(template, dict) and set(template) == {"$"}:
        path = template["$"]
        return jsonpath_expression(input_expr, path) if isinstance(path, str) and path.startswith("$") \
            and not path.startswith("$$") else "{}"
    if isinstance(template, dict):
        items = []
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                reads_input = value.startswith("$") and not value.startswith("$$")
                # Intrinsic functions (States.Format(...)) may embed the input anywhere: keep it whole.
                expr = jsonpath_expression(input_expr, value) if reads_input else (
                    input_expr if value.startswith("States.") else "''")
                items.append(f"{key[:-2]!r}: {expr}")
            else:
                items.append(f"{key!r}: {_payload_expression(value, input_expr)}")
        return "{" + ", ".join(items) + "}"
    if isinstance(template, list):
        return "[" + ", ".join(_payload_expression(v, input_expr) for v in template) + "]"
    return repr(template) if isinstance(template, str | int | float | bool) or template is None else "None"


SERVICE = StepFunctions()
