"""Build the ``AppModel`` from loaded stacks: pure function of the CloudFormation it is given."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gate.common.intrinsics import literal, references, render
from gate.inputs.local_artifacts import inside
from gate.inputs.types import Stack
from gate.model.declared import declared_suppressions
from gate.model.iam import function_permissions, policies_by_role
from gate.model.types import AppModel, EntryPoint, EnvBinding, Function, Resource, Trigger, passed_in
from gate.policy.types import Suppression
from gate.pyast.zipped import has_directory, is_archive
from gate.services.base import ServiceContext, branches
from gate.services.direct_integrations import direct_writes
from gate.services.entry_points import entry_points
from gate.services.outside_invokers import outside_invocations
from gate.services.registry import SERVICES, service_for_resource_type
from gate.services.resource_policies import external_resources

_FUNCTION = "AWS::Lambda::Function"
_ALIASES = ("AWS::Lambda::Alias", "AWS::Lambda::Version")
CDK_INTERNAL = "CDK-internal function (aws-cdk-lib's own handler code)"
# Construct-path segments of the Python functions aws-cdk-lib adds itself (S3 notifications,
# BucketDeployment, log retention), for assemblies synthesized without the flowgate plugin.
_CDK_INTERNAL_PATHS = ("BucketNotificationsHandler", "Custom::CDKBucketDeployment", "LogRetention")


def _cdk_internal(construct_path: str | None, code_dir: Path | None) -> bool:
    """aws-cdk-lib's own handlers: their asset sources live in the aws-cdk-lib package (the plugin
    records source directories), or their construct paths say so."""
    if code_dir is not None and "node_modules/aws-cdk-lib/" in code_dir.as_posix():
        return True
    return bool(construct_path) and any(part in construct_path for part in _CDK_INTERNAL_PATHS)


def build_app_model(stacks: list[Stack]) -> AppModel:
    exports = _exports(stacks)
    resources: dict[str, Resource] = {}
    functions: dict[str, Function] = {}
    triggers: list[Trigger] = []
    entries: list[EntryPoint] = []
    external: dict[str, str] = {}
    warnings: list[str] = []
    contexts = []
    stacks_by_name = {s.name: s for s in stacks}
    by_stack: dict[str, dict[str, Resource]] = {}
    for stack in stacks:
        warnings.extend(stack.warnings)
        stack_resources = _resources(stack)
        resources.update({r.key: r for r in stack_resources.values()})
        by_stack[stack.name] = stack_resources
        contexts.append((stack, stack_resources))
    permissions = {}
    declared: list[Suppression] = []
    for stack, stack_resources in contexts:
        stack_functions = {}
        template_resources = stack.template.get("Resources") or {}
        by_role = policies_by_role(template_resources)
        for logical_id, raw in template_resources.items():
            if isinstance(raw, dict) and raw.get("Type") == _FUNCTION:
                fn = _function(stack, logical_id, raw, by_stack, resources, exports, stacks_by_name)
                stack_functions[logical_id] = fn
                functions[fn.key] = fn
                props = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
                metadata = raw.get("Metadata") if isinstance(raw.get("Metadata"), dict) else {}
                declared += declared_suppressions(fn, metadata, stack.template_path)
                permissions[fn.key] = function_permissions(props, template_resources, by_role)
        ctx = ServiceContext(stack, stack_resources, stack_functions, _aliases(stack, stack_functions), exports,
                             by_stack, stacks_by_name)
        for service in SERVICES.values():
            triggers.extend(service.triggers(ctx))
        entries.extend(entry_points(ctx))
        external.update(external_resources(ctx))
        written, invoked = direct_writes(ctx)
        for key, why in written.items():
            external.setdefault(key, why)
        entries.extend(outside_invocations(ctx))
        for logical, why in stack.external.items():
            external.setdefault(f"{stack.name}/{logical}", why)
        entries.extend(invoked)
    # Events from resources outsiders can write to are attacker-controlled.
    for trig in triggers:
        if trig.source in external and not trig.details.get("implicit"):
            entries.append(EntryPoint("ExternalResource", trig.function, trig.source.split("/", 1)[1]))
    construct_paths = {f"{stack.name}/{logical}": path.removesuffix("/Resource")
                       for stack in stacks for logical in (stack.template.get("Resources") or {})
                       if (path := stack.construct_path(logical))}
    return AppModel(stacks, functions, resources, triggers, entries, warnings, permissions, external,
                    construct_paths, declared)


def _resources(stack: Stack) -> dict[str, Resource]:
    out = {}
    for logical_id, raw in (stack.template.get("Resources") or {}).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("Type"), str):
            continue
        props = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
        res = Resource(stack.name, logical_id, raw["Type"], props)
        svc = service_for_resource_type(res.type)
        if svc is not None:
            names, patterns = _deployed_names(stack, svc.physical_names(res))
            res = Resource(stack.name, logical_id, res.type, props, names, patterns)
        out[logical_id] = res
    for svc in SERVICES.values():
        for res in svc.pseudo_resources(stack.name, stack.template.get("Resources") or {}):
            out.setdefault(res.logical_id, res)
    return out


_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_PSEUDO_VALUES = {"AWS::AccountId": "[0-9]{12}", "AWS::Region": "[a-z]{2}(-[a-z]+)+-[0-9]"}


def _deployed_names(stack: Stack, names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A resource's names as deployed: ``${Param}`` replaced by the value a parent stack passes in,
    else by the parameter's default (an added name: what deploys unless overridden), and a pattern
    in which every parameter and ``AWS::`` pseudo parameter may be anything (a "maybe")."""
    params = stack.template.get("Parameters") if isinstance(stack.template.get("Parameters"), dict) else {}
    out, patterns = list(names), []
    for name in names:
        refs = _PLACEHOLDER.findall(name)
        if not refs or not all(r in params or r.startswith("AWS::") for r in refs):
            continue

        def value(match: re.Match[str]) -> str:
            ref = match.group(1)
            passed = literal(stack.parameters[ref][1]) if ref in stack.parameters else None
            default = params.get(ref, {}).get("Default") if isinstance(params.get(ref), dict) else None
            chosen = passed if passed is not None else default
            return str(chosen) if isinstance(chosen, str | int) else match.group(0)

        substituted = _PLACEHOLDER.sub(value, name)
        if substituted != name and substituted not in out:
            out.append(substituted)
        pieces = _PLACEHOLDER.split(name)  # text, ref, text, ref, ..., text
        patterns.append("".join(re.escape(p) if i % 2 == 0 else _PSEUDO_VALUES.get(p, ".+")
                                for i, p in enumerate(pieces)))
    return tuple(out), tuple(patterns)


def _aliases(stack: Stack, functions: dict[str, Function]) -> dict[str, str]:
    out = {}
    for logical_id, raw in (stack.template.get("Resources") or {}).items():
        if isinstance(raw, dict) and raw.get("Type") in _ALIASES:
            for ref, _attr in references((raw.get("Properties") or {}).get("FunctionName")):
                if ref in functions:
                    out[logical_id] = ref
    return out


def _exports(stacks: list[Stack]) -> dict[str, tuple[str, Any]]:
    """Export name -> (stack name, exported value), for ``Fn::ImportValue`` across CDK stacks."""
    out = {}
    for stack in stacks:
        for output in (stack.template.get("Outputs") or {}).values():
            if not isinstance(output, dict):
                continue
            name = literal((output.get("Export") or {}).get("Name"))
            if name:
                out[name] = (stack.name, output.get("Value"))
    return out


def _function(stack: Stack, logical_id: str, raw: dict[str, Any], by_stack: dict[str, dict[str, Resource]],
              all_resources: dict[str, Resource], exports: dict[str, tuple[str, Any]],
              stacks: dict[str, Stack]) -> Function:
    props = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
    metadata = raw.get("Metadata") if isinstance(raw.get("Metadata"), dict) else {}
    runtime = literal(props.get("Runtime")) or ""
    handler = literal(props.get("Handler")) or ""
    construct_path = stack.construct_path(logical_id)
    env_vars = ((props.get("Environment") or {}).get("Variables") or {}) if isinstance(
        props.get("Environment"), dict) else {}
    env = {name: _env_binding(stack, name, value, by_stack, all_resources, exports, stacks)
           for name, value in env_vars.items()} if isinstance(env_vars, dict) else {}
    code_dir, reason = _code_location(stack, logical_id, props, metadata)
    # A problem (the result is incomplete) when the function may be Python and its code cannot be
    # analysed; a plain skip when it is another runtime or CDK's own plumbing.
    problem = reason is not None
    if props.get("PackageType") == "Image":
        reason, problem = "container image function (PackageType: Image): its code is not analysed", True
    elif not runtime.startswith("python3"):
        reason, problem = f"runtime {runtime or 'unknown'} is not Python", False
    elif _cdk_internal(construct_path, code_dir):
        reason, problem = CDK_INTERNAL, False
    elif not handler:
        reason, problem = "no Handler", True
    handler_file = handler_function = None
    if handler and "." in handler:
        module, _, handler_function = handler.rpartition(".")
        handler_file = module.replace(".", "/") + ".py" if "/" not in module else module + ".py"
    elif reason is None:
        reason, problem = f"handler {handler!r} is not of the form module.function", True
    layer_dirs, unseen = _layers(stack, props.get("Layers"))
    return Function(stack.name, logical_id, runtime, handler, code_dir, handler_file, handler_function, env,
                    construct_path, reason, literal(props.get("FunctionName")), problem, layer_dirs, unseen)


def _layers(stack: Stack, value: Any) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """A function's layers whose code is here (a local SAM ``ContentUri``, the Lambda layout: a
    ``python/`` directory on the import path, else the directory itself) and the others."""
    local: list[Path] = []
    unseen: list[str] = []
    for entry in value if isinstance(value, list) else []:
        refs = [logical for logical, _attr in references(entry)]
        known = next((stack.layer_dirs[r] for r in refs if r in stack.layer_dirs), None)
        if known is not None:
            zipped = is_archive(known)
            has_python = has_directory(known, "python") if zipped else (known / "python").is_dir()
            local.append(known / "python" if has_python else known)
        else:
            unseen.append(literal(entry) or (refs[0] if refs else "(an expression)"))
    return tuple(local), tuple(unseen)


def _code_location(stack: Stack, logical_id: str, props: dict[str, Any], metadata: dict[str, Any]
                   ) -> tuple[Path | None, str | None]:
    if logical_id in stack.code_dirs:
        return _inside_project(stack, logical_id, stack.code_dirs[logical_id])
    asset = literal(metadata.get("aws:asset:path"))
    if asset and metadata.get("aws:asset:property") in (None, "Code"):
        return (stack.base_dir / asset).resolve(), None
    raw_code = props.get("Code")
    if isinstance(raw_code, str) and not raw_code.startswith("s3://"):
        # The `aws cloudformation package` form: a local directory, uploaded at package time.
        return _inside_project(stack, logical_id, (stack.base_dir / raw_code).resolve())
    code = raw_code if isinstance(raw_code, dict) else {}
    if "ZipFile" in code:
        return None, "inline code (Code.ZipFile) is not analysed"
    return None, "code is not available locally (no asset directory or CodeUri)"


def _inside_project(stack: Stack, logical_id: str, code_dir: Path) -> tuple[Path | None, str | None]:
    """A SAM or CloudFormation code location is read only inside the project (CDK code directories
    come from the construct index the plugin wrote, or from the assembly's own asset copies)."""
    project = stack.project
    if stack.origin == "cdk" or project is None or inside(project, code_dir):
        return code_dir, None
    return None, (f"code directory {code_dir} is outside the project directory {project}; it is not read "
                  f"({stack.template_path}, resource {logical_id})")


def _env_binding(stack: Stack, name: str, value: Any, by_stack: dict[str, dict[str, Resource]],
                 all_resources: dict[str, Resource], exports: dict[str, tuple[str, Any]], stacks: dict[str, Stack]
                 ) -> EnvBinding:
    owner, passed = passed_in(stacks, stack, value)
    if owner is not stack:  # a nested stack's parameter: resolved where the parent passes it in
        inner = _env_binding(owner, name, passed, by_stack, all_resources, exports, stacks)
        return EnvBinding(name, value, inner.resource, inner.attribute, inner.literal, inner.alternatives)
    stack_resources = by_stack[stack.name]
    choices = branches(value)
    if len(choices) > 1:  # an Fn::If: every configuration is deployable
        chosen = [_env_binding(stack, name, b, by_stack, all_resources, exports, stacks) for b in choices]
        named = list(dict.fromkeys(k for b in chosen for k in (b.resource, *b.alternatives) if k))
        first = next((b for b in chosen if b.resource), chosen[0])
        return EnvBinding(name, value, named[0] if named else None, first.attribute, first.literal,
                          tuple(named[1:]))
    if isinstance(value, dict) and set(value) == {"Fn::ImportValue"}:
        export = exports.get(literal(value["Fn::ImportValue"]) or "")
        if export:
            other_stack, exported = export
            ref = _service_reference(exported, by_stack.get(other_stack, {}))
            if ref:
                return EnvBinding(name, value, ref[0].key, ref[1], None)
        return EnvBinding(name, value, None, None, None)
    ref = _service_reference(value, stack_resources)
    if ref:
        return EnvBinding(name, value, ref[0].key, ref[1], None)
    text = literal(value)
    params = stack.template.get("Parameters") if isinstance(stack.template.get("Parameters"), dict) else {}
    if text is None and isinstance(value, dict) and (set(value) <= {"Fn::Sub", "Fn::Join"} or (
            set(value) == {"Ref"} and value["Ref"] in params)):
        text = render(value)  # the same expression as a resource's name names that resource
    if text is not None:
        for res in all_resources.values():
            svc = service_for_resource_type(res.type)
            if svc is not None and svc.name_matches(res, text):
                return EnvBinding(name, value, res.key, "physical-name", text)
    if text is not None and "${" in text and text != literal(value):
        text = None  # completed at deploy time (a parameter, the stack name): not a known value
    return EnvBinding(name, value, None, None, text)


def _service_reference(value: Any, resources: dict[str, Resource]) -> tuple[Resource, str] | None:
    """The first referenced resource that a service module owns (buckets, tables, queues, topics)."""
    for logical, attr in references(value):
        res = resources.get(logical)
        if res is not None and service_for_resource_type(res.type) is not None:
            return res, attr
    return None
