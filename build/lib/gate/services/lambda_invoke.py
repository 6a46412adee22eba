"""AWS Lambda as a target: ``lambda.invoke`` / ``invoke_async`` call another function directly.

Every function of the app can be invoked by name or ARN, so each has an implicit trigger on itself;
reports show only those some write actually reaches. The invoked function's event is the payload.
"""

from __future__ import annotations

from gate.model.types import Resource, Trigger
from gate.services.base import CallFacts, Service, ServiceContext, WriteApi

_INVOKE = ("FunctionName", "InvocationType", "LogType", "ClientContext", "Payload", "Qualifier")


class Lambda(Service):
    name = "lambda"
    resource_types = ("AWS::Lambda::Function",)
    physical_name_properties = ("FunctionName",)
    arn_format = "arn:aws:lambda:{region}:{account}:function:{name}"
    event_params = ("Payload", "InvokeArgs")
    writes = (
        WriteApi("lambda", "client", "invoke", _INVOKE, "lambda:Invoke", target="FunctionName",
                 action="lambda:InvokeFunction"),
        WriteApi("lambda", "client", "invoke_async", ("FunctionName", "InvokeArgs"), "lambda:Invoke",
                 target="FunctionName", action="lambda:InvokeFunction"),
    )

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        return [Trigger("lambda", fn.key, fn.key, ("lambda:Invoke",), details={"implicit": True}, via=logical)
                for logical, fn in ctx.functions.items()]

    def name_matches(self, resource: Resource, literal: str) -> bool:
        """A function name, a partial ARN (``name:alias``) or a full function ARN, with or without qualifier."""
        for n in resource.physical_names:
            if literal == n or literal.startswith(f"{n}:") or literal.endswith(f":function:{n}") \
                    or f":function:{n}:" in literal:
                return True
        return False

    def event_expression(self, api, trigger: Trigger, resource: Resource, facts: CallFacts) -> str:
        return "json.loads(InvokeArgs)" if api.method == "invoke_async" else "json.loads(Payload)"


SERVICE = Lambda()
