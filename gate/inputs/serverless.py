"""Serverless Framework services (``serverless.yml``) as the CloudFormation the Framework deploys.

The Framework compiles a service to one CloudFormation stack; so does this module, offline and
without Node.js, and the rest of the pipeline reads the result as it reads a SAM or CDK stack:

* variables are resolved first (``gate.inputs.serverless_vars``), as the Framework does;
* every function becomes an ``AWS::Lambda::Function`` named ``<Key>LambdaFunction`` with the
  provider's defaults (runtime, environment, role) and its own overrides; its code is the service
  directory (or its ``module`` directory, or a local ``package.artifact``), and reports name it by
  its key in ``functions`` (``Stack.construct_paths``);
* the role is ``IamRoleLambdaExecution`` with ``provider.iam.role.statements`` (or the older
  ``iamRoleStatements``) and managed policies, unless the provider or the function names another
  role (an ARN, or a resource of ``resources``); with the ``serverless-iam-roles-per-function``
  plugin a function's own ``iamRoleStatements`` get a role of their own;
* events compile as the Framework compiles them (``gate.inputs.serverless_events``);
* ``resources.Resources``/``Outputs``/``Conditions`` are merged over the generated resources the
  way the Framework merges them (deep, so a ``resources`` entry may extend a generated bucket);
* the ``serverless-lift`` plugin's queue and storage constructs (``gate.inputs.serverless_lift``);
* the ``serverless-step-functions`` plugin's state machines become ``AWS::StepFunctions::StateMachine``
  with function keys in ``Fn::GetAtt``/``Ref`` turned into the functions' logical IDs, and their
  ``http`` events into API Gateway ``StartExecution`` integrations.

When ``.serverless/cloudformation-template-update-stack.json`` (``serverless package``) is newer
than ``serverless.yml`` it is read instead, with function code from the packaged zips beside it; a
warning says which was read.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError
from gate.inputs import serverless_naming as naming
from gate.inputs.local_artifacts import Artifacts, inside, project_root
from gate.inputs.serverless_events import Compiled, arn_of, compile_events
from gate.inputs.serverless_lift import lift_functions, lift_resources
from gate.inputs.serverless_vars import Options, Resolver, Unknown
from gate.inputs.types import Stack
from gate.inputs.validate import validate_template

SERVERLESS_NAMES = ("serverless.yml", "serverless.yaml")
PACKAGED_TEMPLATE = Path(".serverless") / "cloudformation-template-update-stack.json"
_DEFAULT_RUNTIME = "nodejs18.x"  # the Framework's default: a function without a runtime is not Python
_ROLES_PER_FUNCTION = "serverless-iam-roles-per-function"
_STEP_FUNCTIONS = "serverless-step-functions"


def load_serverless(path: Path, options: Options | None = None) -> list[Stack]:
    """A ``serverless.yml`` as one stack (or the packaged template, when it is newer)."""
    path = path.resolve()
    project = project_root(path)
    packaged = path.parent / PACKAGED_TEMPLATE
    artifacts = Artifacts(project)
    raw = artifacts.document(path, str(path))
    if not isinstance(raw, dict):
        raise GateInputError("serverless configuration is not a mapping", str(path))
    if packaged.is_file() and packaged.stat().st_mtime > path.stat().st_mtime:
        return [_packaged_stack(path, packaged, raw, project)]
    resolver = Resolver(raw, path, artifacts, options or Options())
    config = resolver.resolved()
    provider = config.get("provider")
    if not isinstance(provider, dict):
        raise GateInputError("no provider section", f"{path}: provider")
    if provider.get("name") != "aws":
        raise GateInputError(f"provider {provider.get('name')!r} is not aws; only AWS services are analysed",
                             f"{path}: provider.name")
    service = _service_name(config, path)
    compiler = _Service(config, path, project, service, resolver.stage(), resolver.region())
    compiler.compile()
    template = compiler.template()
    validate_template(template, path)
    return [Stack(service, template, path, path.parent, compiler.code_dirs, layer_dirs=compiler.layer_dirs,
                  project=project, origin="serverless",
                  warnings=list(dict.fromkeys([*resolver.warnings, *compiler.out.warnings])),
                  api_events=compiler.out.api_events,
                  construct_paths=compiler.names, external=compiler.out.external)]


def _service_name(config: dict[str, Any], path: Path) -> str:
    service = config.get("service")
    if isinstance(service, dict):
        service = service.get("name")
    if not isinstance(service, str) or not service:
        raise GateInputError("no service name", f"{path}: service")
    return service


class _Service:
    """One resolved service configuration, compiled."""

    def __init__(self, config: dict[str, Any], path: Path, project: Path, service: str, stage: str,
                 region: str) -> None:
        self.config, self.path, self.project = config, path, project
        self.service, self.stage, self.region = service, stage, region
        self.provider: dict[str, Any] = config.get("provider") or {}
        self.plugins = _plugins(config.get("plugins"))
        self.out = Compiled()
        self.code_dirs: dict[str, Path] = {}
        self.layer_dirs: dict[str, Path] = {}
        self.names: dict[str, str] = {}
        self.unknowns: dict[str, str] = {}
        self.lift: dict[str, Any] = {}

    def at(self, where: str) -> str:
        return f"{self.path}: {where}"

    def compile(self) -> None:
        self._layers()
        functions = self.config.get("functions") or {}
        if isinstance(functions, list):  # the older list-of-mappings form
            merged: dict[str, Any] = {}
            for entry in functions:
                if isinstance(entry, dict):
                    merged.update(entry)
            functions = merged
        if not isinstance(functions, dict):
            raise GateInputError("functions is not a mapping", self.at("functions"))
        self.lift, lift_statements, lift_warnings = lift_resources(self.config)
        self.out.warnings.extend(f"{self.at(w)}" for w in lift_warnings)
        functions = {**functions, **lift_functions(self.config)}
        role = self._provider_role(lift_statements)
        for key, spec in functions.items():
            self._function(str(key), spec, role)
        self._step_functions(functions)

    # -- IAM --------------------------------------------------------------------------------------
    def _provider_role(self, granted: list[dict[str, Any]]) -> Any:
        iam = self.provider.get("iam") if isinstance(self.provider.get("iam"), dict) else {}
        role = iam.get("role", self.provider.get("role"))
        if isinstance(role, (str, dict)) and not (isinstance(role, dict) and ("statements" in role
                                                                            or "managedPolicies" in role)):
            return _role_reference(role)
        settings = role if isinstance(role, dict) else {}
        statements = settings.get("statements", self.provider.get("iamRoleStatements")) or []
        managed = settings.get("managedPolicies", self.provider.get("iamManagedPolicies")) or []
        if isinstance(statements, list):
            statements = [*statements, *granted]  # what serverless-lift grants every function
        self._role(naming.ROLE, statements, managed, "provider.iam.role.statements")
        return arn_of(naming.ROLE)

    def _role(self, logical: str, statements: Any, managed: Any, where: str) -> None:
        if not isinstance(statements, list):
            raise GateInputError("role statements are not a list", self.at(where))
        props: dict[str, Any] = {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]},
                "Action": ["sts:AssumeRole"]}]},
            "Policies": [{"PolicyName": f"{self.service}-{self.stage}-lambda",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}
        if isinstance(managed, list) and managed:
            props["ManagedPolicyArns"] = managed
        self.out.add(logical, "AWS::IAM::Role", props)

    # -- functions --------------------------------------------------------------------------------
    def _function(self, key: str, spec: Any, provider_role: Any) -> None:
        where = f"functions.{key}"
        if not isinstance(spec, dict):
            raise GateInputError("a function is a mapping", self.at(where))
        logical = naming.function(key)
        self.names[logical] = key
        name = spec.get("name") or f"{self.service}-{self.stage}-{key}"
        props: dict[str, Any] = {"FunctionName": name, "Role": self._function_role(key, spec, provider_role)}
        if spec.get("image") is not None:
            props["PackageType"] = "Image"
            props["Code"] = {"ImageUri": spec["image"] if isinstance(spec["image"], str) else "(image)"}
        else:
            props["Code"] = {"S3Bucket": {"Ref": naming.DEPLOYMENT_BUCKET},
                             "S3Key": f"serverless/{self.service}/{self.stage}/{key}.zip"}
            handler = spec.get("handler")
            if not isinstance(handler, str) or not handler:
                raise GateInputError("function has no handler", self.at(f"{where}.handler"))
            props["Handler"] = handler
            if handler == "wsgi_handler.handler" and "serverless-wsgi" in self.plugins:
                wsgi = (self.config.get("custom") or {}).get("wsgi") or {}
                app = wsgi.get("app") if isinstance(wsgi, dict) else None
                self.out.warnings.append(
                    f"{self.at(where)}: the serverless-wsgi plugin writes wsgi_handler.py when it packages the "
                    f"service; the WSGI application it serves ({app or 'custom.wsgi.app'}) is not analysed as an "
                    "entry (WSGI request data is not modelled)")
            props["Runtime"] = spec.get("runtime") or self.provider.get("runtime") or _DEFAULT_RUNTIME
            self.code_dirs[logical] = self._code_dir(key, spec, where)
        environment = {**_mapping_or_empty(self.provider.get("environment")),
                       **_mapping_or_empty(spec.get("environment"))}
        for source in (self.provider.get("environment"), spec.get("environment")):
            if source is not None and not isinstance(source, dict):
                self.out.warnings.append(f"{self.at(where)}: environment {_shown(source)} is not a mapping the "
                                         "gate can read; those variables are unknown")
        if environment:
            props["Environment"] = {"Variables": environment}
        layers = spec.get("layers", self.provider.get("layers"))
        if isinstance(layers, list):
            props["Layers"] = layers
        self.out.add(logical, "AWS::Lambda::Function", props)
        url = spec.get("url", spec.get("functionUrl"))
        if url:
            auth = url.get("authorizer") if isinstance(url, dict) else None
            self.out.add(naming.function_url(key), "AWS::Lambda::Url", {
                "AuthType": "AWS_IAM" if auth == "aws_iam" else "NONE", "TargetFunctionArn": arn_of(logical)})
        compile_events(self.out, key, spec.get("events"), str(name), self.at(where))

    def _function_role(self, key: str, spec: dict[str, Any], provider_role: Any) -> Any:
        if spec.get("role") is not None:
            return _role_reference(spec["role"])
        own = spec.get("iamRoleStatements")
        if own is not None:
            if _ROLES_PER_FUNCTION not in self.plugins:
                self.out.warnings.append(f"{self.at(f'functions.{key}.iamRoleStatements')}: ignored, as the "
                                         f"Framework ignores it without the {_ROLES_PER_FUNCTION} plugin")
                return provider_role
            settings = (self.config.get("custom") or {}).get(_ROLES_PER_FUNCTION) or {}
            inherit = spec.get("iamRoleStatementsInherit", settings.get("defaultInherit", False))
            statements = list(own) if isinstance(own, list) else own
            if inherit and isinstance(statements, list):
                iam = self.provider.get("iam") if isinstance(self.provider.get("iam"), dict) else {}
                role = iam.get("role") if isinstance(iam.get("role"), dict) else {}
                statements += role.get("statements", self.provider.get("iamRoleStatements")) or []
            logical = naming.per_function_role(key)
            self._role(logical, statements, [], f"functions.{key}.iamRoleStatements")
            return arn_of(logical)
        return provider_role

    def _code_dir(self, key: str, spec: dict[str, Any], where: str) -> Path:
        service_dir = self.path.parent
        package = spec.get("package") if isinstance(spec.get("package"), dict) else {}
        provider_package = self.config.get("package") if isinstance(self.config.get("package"), dict) else {}
        artifact = package.get("artifact") or provider_package.get("artifact")
        if isinstance(artifact, str) and not artifact.startswith(("s3://", "https://", "http://")):
            return self._local(artifact, f"{where}.package.artifact")
        module = spec.get("module")
        if isinstance(module, str) and module not in ("", "."):
            return self._local(module, f"{where}.module")
        return service_dir

    def _local(self, value: str, where: str) -> Path:
        path = (self.path.parent / value).resolve()
        if not inside(self.project, path):
            raise GateInputError(f"{value!r} is outside the project directory {self.project}; it is not read",
                                 self.at(where))
        if not path.exists():
            raise GateInputError(f"{value!r} not found ({path})", self.at(where))
        return path

    def _layers(self) -> None:
        layers = self.config.get("layers")
        for key, spec in (layers.items() if isinstance(layers, dict) else []):
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                logical = naming.layer(str(key))
                self.layer_dirs[logical] = self._local(spec["path"], f"layers.{key}.path")
                self.out.add(logical, "AWS::Lambda::LayerVersion", {
                    "LayerName": spec.get("name", key), "Content": {"S3Bucket": {"Ref": naming.DEPLOYMENT_BUCKET},
                                                                    "S3Key": f"{key}.zip"}})

    # -- Step Functions (serverless-step-functions plugin) ---------------------------------------
    def _step_functions(self, functions: dict[str, Any]) -> None:
        machines = (self.config.get("stepFunctions") or {}).get("stateMachines") if isinstance(
            self.config.get("stepFunctions"), dict) else None
        if not isinstance(machines, dict):
            return
        if _STEP_FUNCTIONS not in self.plugins:
            self.out.warnings.append(f"{self.at('stepFunctions')}: read although the {_STEP_FUNCTIONS} plugin is "
                                     "not listed in plugins")
        logical_ids = {str(k): naming.function(str(k)) for k in functions}
        for key, spec in machines.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("definition"), dict):
                raise GateInputError("a state machine needs a definition",
                                     self.at(f"stepFunctions.stateMachines.{key}"))
            custom = spec.get("id") or spec.get("name")
            logical = naming.state_machine(str(key), custom if isinstance(custom, str) else None)
            definition = _local_functions(spec["definition"], logical_ids)
            props: dict[str, Any] = {"Definition": definition}
            if spec.get("name"):
                props["StateMachineName"] = spec["name"]
            self.out.add(logical, "AWS::StepFunctions::StateMachine", props)
            self.names[logical] = str(key)
            for i, event in enumerate(spec.get("events") or []):
                if isinstance(event, dict) and isinstance(event.get("http"), dict):
                    self._start_execution(logical, event["http"], i)

    def _start_execution(self, machine: str, http: dict[str, Any], index: int) -> None:
        self.out.add(naming.REST_API, "AWS::ApiGateway::RestApi", {"Name": "api"})
        method = str(http.get("method", "post")).upper()
        template = {"Fn::Join": ["", ['{"input": "$util.escapeJavaScript($input.json(\'$\'))", "stateMachineArn": "',
                                      {"Ref": machine}, '"}']]}
        self.out.add(naming.rest_method(str(http.get("path", f"/{machine}")), method), "AWS::ApiGateway::Method", {
            "HttpMethod": method, "RestApiId": {"Ref": naming.REST_API},
            "ResourceId": {"Fn::GetAtt": [naming.REST_API, "RootResourceId"]}, "AuthorizationType": "NONE",
            "Integration": {"Type": "AWS", "IntegrationHttpMethod": "POST",
                            "Uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/"
                                               "StartExecution"},
                            "RequestTemplates": {"application/json": template}}})

    # -- the template -----------------------------------------------------------------------------
    def template(self) -> dict[str, Any]:
        resources = self.out.resources
        for logical, res in self.lift.items():
            resources.setdefault(logical, res)
        extra = self.config.get("resources")
        sections: dict[str, dict[str, Any]] = {"Outputs": {}, "Conditions": {}, "Parameters": {}, "Mappings": {}}
        for part in extra if isinstance(extra, list) else [extra] if extra is not None else []:
            if not isinstance(part, dict):
                raise GateInputError("resources is not a mapping", self.at("resources"))
            own = part.get("Resources") or {}
            if not isinstance(own, dict):
                raise GateInputError("resources.Resources is not a mapping", self.at("resources.Resources"))
            for logical, res in own.items():
                if logical in resources and isinstance(res, dict):
                    resources[logical] = _merged(resources[logical], res)
                else:
                    resources[logical] = res
            for section in sections:
                if isinstance(part.get(section), dict):
                    sections[section].update(part[section])
        resources.setdefault(naming.DEPLOYMENT_BUCKET, {"Type": "AWS::S3::Bucket", "Properties": {}})
        tpl: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
        tpl.update({k: v for k, v in sections.items() if v})
        tpl = self._without_unknowns(tpl)
        if self.unknowns:
            tpl.setdefault("Parameters", {}).update({
                name: {"Type": "String", "Description": f"{text} (known only when the service is deployed)"}
                for name, text in self.unknowns.items()})
        return tpl

    def _without_unknowns(self, value: Any) -> Any:
        """Every ``Unknown`` value as a parameter without a default: "could be anything" downstream."""
        if isinstance(value, Unknown):
            name = next((n for n, t in self.unknowns.items() if t == value.text), None)
            if name is None:
                name = f"FlowgateUnknown{len(self.unknowns) + 1}"
                self.unknowns[name] = value.text
            return {"Ref": name}
        if isinstance(value, dict):
            return {k: self._without_unknowns(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._without_unknowns(v) for v in value]
        return value


def _plugins(value: Any) -> set[str]:
    if isinstance(value, dict):  # the older {modules: [...]} form
        value = value.get("modules")
    return {p for p in value if isinstance(p, str)} if isinstance(value, list) else set()


def _role_reference(role: Any) -> Any:
    """A role named by ARN stays an ARN; a name is a resource of ``resources``: its ``Arn``."""
    if isinstance(role, str) and not role.startswith("arn:"):
        return arn_of(role)
    return role


def _mapping_or_empty(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _shown(value: Any) -> str:
    return value.text if isinstance(value, Unknown) else json.dumps(value, default=str)[:80]


def _merged(base: Any, extra: Any) -> Any:
    """The Framework's merge of ``resources`` over generated resources: deep, lists by position."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for k, v in extra.items():
            out[k] = _merged(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(extra, list):
        return [_merged(base[i], v) if i < len(base) else v for i, v in enumerate(extra)] + base[len(extra):]
    return copy.deepcopy(extra)


def _local_functions(value: Any, logical_ids: dict[str, str]) -> Any:
    """The plugin's translation: ``Fn::GetAtt: [hello, Arn]`` / ``Ref: hello`` of a function key."""
    if isinstance(value, dict):
        if set(value) == {"Fn::GetAtt"} and isinstance(value["Fn::GetAtt"], list) and value["Fn::GetAtt"]:
            target = value["Fn::GetAtt"][0]
            if target in logical_ids:
                return {"Fn::GetAtt": [logical_ids[target], *value["Fn::GetAtt"][1:]]}
        if set(value) == {"Ref"} and value["Ref"] in logical_ids:
            return {"Ref": logical_ids[value["Ref"]]}
        return {k: _local_functions(v, logical_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_local_functions(v, logical_ids) for v in value]
    return value


def _packaged_stack(path: Path, packaged: Path, raw: dict[str, Any], project: Path) -> Stack:
    """``serverless package`` output: the compiled template, code from the zips it uploads."""
    from gate.inputs.templates import decode_assembly_template

    template = decode_assembly_template(packaged)
    validate_template(template, packaged)
    functions = raw.get("functions") if isinstance(raw.get("functions"), dict) else {}
    names = {naming.function(str(k)): str(k) for k in functions}
    code_dirs: dict[str, Path] = {}
    for logical, res in (template.get("Resources") or {}).items():
        code = ((res.get("Properties") or {}).get("Code") if isinstance(res, dict) else None) or {}
        key = code.get("S3Key") if isinstance(code, dict) else None
        if isinstance(key, str):
            zipped = packaged.parent / key.rsplit("/", 1)[-1]
            if zipped.is_file():
                code_dirs[logical] = zipped
    service = raw.get("service")
    name = service.get("name") if isinstance(service, dict) else service
    return Stack(str(name or path.parent.name), template, packaged, packaged.parent, code_dirs, project=project,
                 origin="serverless", construct_paths=names,
                 warnings=[f"read {packaged} (serverless package output, newer than {path.name}) instead of "
                           f"{path.name}"])
