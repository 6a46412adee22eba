"""Amazon S3: bucket notifications to Lambda, object writes, and the S3 event shape."""

from __future__ import annotations

from typing import Any

from gate.common.event_patterns import rule_pattern
from gate.model.types import Resource, Trigger
from gate.pyast.resolve import call_argument, resolve_str
from gate.pyast.types import UNKNOWN
from gate.services.base import CallFacts, ContentSpec, SdkHelper, Service, ServiceContext, SubResource, WriteApi

_BUCKET = ("AWS::S3::Bucket",)
_PUT = "s3:PutObject"
_UPLOAD = ("Filename", "Bucket", "Key", "ExtraArgs", "Callback", "Config")
_UPLOAD_FILEOBJ = ("Fileobj", "Bucket", "Key", "ExtraArgs", "Callback", "Config")
_GET = "s3:GetObject"
_TRANSFER = ("ExtraArgs", "Callback", "Config")

# Object content: what one function stores as an object's body, another reads back.
CONTENT = ContentSpec(
    reads=(  # calls whose result (or the file they download) carries the object's content
        WriteApi("s3", "client", "get_object", (), "", target="Bucket", key="Key", action=_GET),
        WriteApi("s3", "client", "download_file", ("Bucket", "Key", "Filename", *_TRANSFER), "", target="Bucket",
                 key="Key", action=_GET),
        WriteApi("s3", "Bucket", "download_file", ("Key", "Filename", *_TRANSFER), "", key="Key", action=_GET),
        WriteApi("s3", "Object", "get", (), "", key_from_receiver=True, action=_GET),
        WriteApi("s3", "Object", "download_file", ("Filename", *_TRANSFER), "", key_from_receiver=True,
                 action=_GET),
    ),
    # the parameter holding the stored content; upload_file stores the file at ``Filename``
    store_params={"put_object": "Body", "put": "Body", "upload_fileobj": "Fileobj", "upload_file": "Filename"},
    upload_url_methods=("generate_presigned_post", "generate_presigned_url"),  # a put URL only (call_facts)
    event_resource_path="['bucket']['name']",
    noun="bucket",
)


class S3(Service):
    name = "s3"
    resource_types = _BUCKET
    physical_name_properties = ("BucketName",)
    arn_format = "arn:aws:s3:::{name}"
    resource_labels = {"AWS::S3::Bucket": "bucket"}
    content = CONTENT
    event_params = ("Bucket", "Key", "Body", "Filename", "Fileobj", "CopySource")
    sdk_helpers = {  # (a listing's keys are chosen by whoever uploaded the objects)
        ("client", "list_objects"): SdkHelper("s3_list_objects", source=True),
        ("client", "list_objects_v2"): SdkHelper("s3_list_objects", source=True),
        ("BucketObjects", "all"): SdkHelper("s3_list_objects", source=True),
        ("BucketObjects", "filter"): SdkHelper("s3_list_objects", source=True),
    }
    sub_resources = (
        SubResource("Bucket", ("name",), target="name", parent="resource"),
        SubResource("Object", ("bucket_name", "key"), target="bucket_name", parent="resource", key="key"),
        SubResource("Object", ("key",), target=None, parent="Bucket", key="key"),
        # ``bucket.objects.all()`` / ``.filter(Prefix=...)``: a listing (a source, see sdk_helpers)
        SubResource("BucketObjects", (), target=None, parent="Bucket", via="objects", attribute=True),
    )
    writes = (
        WriteApi("s3", "client", "put_object", (), "s3:ObjectCreated:Put", target="Bucket", key="Key",
                 action=_PUT),
        WriteApi("s3", "client", "copy_object", (), "s3:ObjectCreated:Copy", target="Bucket", key="Key",
                 action=_PUT),
        WriteApi("s3", "client", "upload_file", _UPLOAD, "s3:ObjectCreated:Put", target="Bucket", key="Key",
                 action=_PUT),
        WriteApi("s3", "client", "upload_fileobj", _UPLOAD_FILEOBJ, "s3:ObjectCreated:Put",
                 target="Bucket", key="Key", action=_PUT),
        WriteApi("s3", "Bucket", "put_object", (), "s3:ObjectCreated:Put", key="Key", action=_PUT),
        WriteApi("s3", "Bucket", "upload_file", ("Filename", "Key", "ExtraArgs", "Callback", "Config"),
                 "s3:ObjectCreated:Put", key="Key", action=_PUT),
        WriteApi("s3", "Bucket", "upload_fileobj", ("Fileobj", "Key", "ExtraArgs", "Callback", "Config"),
                 "s3:ObjectCreated:Put", key="Key", action=_PUT),
        WriteApi("s3", "Object", "put", (), "s3:ObjectCreated:Put", key_from_receiver=True, action=_PUT),
        WriteApi("s3", "Object", "upload_file", ("Filename", "ExtraArgs", "Callback", "Config"),
                 "s3:ObjectCreated:Put", key_from_receiver=True, action=_PUT),
        WriteApi("s3", "Object", "upload_fileobj", ("Fileobj", "ExtraArgs", "Callback", "Config"),
                 "s3:ObjectCreated:Put", key_from_receiver=True, action=_PUT),
        # Upload URLs handed to clients: whoever holds one creates the object (signed with this role).
        WriteApi("s3", "client", "generate_presigned_post", ("Bucket", "Key", "Fields", "Conditions", "ExpiresIn"),
                 "s3:ObjectCreated:Post", target="Bucket", key="Key", action=_PUT),
        WriteApi("s3", "client", "generate_presigned_url", ("ClientMethod", "Params", "ExpiresIn", "HttpMethod"),
                 "s3:ObjectCreated:Put", target="Params", key="Params", action=_PUT),
    )

    def call_facts(self, api, call, scope, handle):
        """A presigned URL is a write only for ``put_object``; its bucket and key are in ``Params``."""
        if api.method != "generate_presigned_url":
            return super().call_facts(api, call, scope, handle)
        import ast


        method = resolve_str(call_argument(call, api.params, "ClientMethod"), scope).exact()
        if method is not None and method != "put_object":
            return None  # a download (get_object) URL writes nothing
        params = call_argument(call, api.params, "Params")
        fields = {k.value: v for k, v in zip(params.keys, params.values, strict=True)
                  if isinstance(k, ast.Constant)} if isinstance(params, ast.Dict) else {}
        target = resolve_str(fields["Bucket"], scope) if "Bucket" in fields else UNKNOWN
        key = resolve_str(fields["Key"], scope) if "Key" in fields else UNKNOWN
        return CallFacts(target, key)

    def iam_resource_arn(self, resource_arn, key):
        """Object calls are checked on ``bucketArn/key``; a partly known key on its known prefix."""
        exact = key.exact() if key else None
        prefix = None if exact is not None else (key.prefix() if key else "")
        return f"{resource_arn}/{exact if exact is not None else prefix + '*'}", prefix

    def name_matches(self, resource: Resource, literal: str) -> bool:
        return any(literal in (n, f"arn:aws:s3:::{n}") for n in resource.physical_names)

    def triggers(self, ctx: ServiceContext) -> list[Trigger]:
        found: list[Trigger] = []
        for res in ctx.resources.values():
            if res.type == "AWS::S3::Bucket":
                config = res.properties.get("NotificationConfiguration") or {}
                for entry in _as_list(config.get("LambdaConfigurations")):
                    found.extend(self._edge(ctx, res, entry.get("Function"), entry.get("Event"),
                                            ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules"),
                                            via=res.logical_id))
                bridge = config.get("EventBridgeConfiguration") if isinstance(config, dict) else None
                if isinstance(bridge, dict) and bridge.get("EventBridgeEnabled") in (True, "true", "True"):
                    found.extend(_eventbridge_edges(ctx, res))
            elif res.type == "Custom::S3BucketNotifications":  # CDK's add_event_notification
                bucket = ctx.resource_of(res.properties.get("BucketName"), _BUCKET)
                config = res.properties.get("NotificationConfiguration") or {}
                if bucket is not None and isinstance(config, dict) and "EventBridgeConfiguration" in config:
                    found.extend(_eventbridge_edges(ctx, bucket))  # CDK eventBridgeEnabled
                for entry in _as_list(config.get("LambdaFunctionConfigurations")):
                    if bucket is None:
                        continue
                    events = entry.get("Events") or []
                    rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules")
                    found.extend(self._edge(ctx, bucket, entry.get("LambdaFunctionArn"), events, rules,
                                            via=res.logical_id))
        return found

    def _edge(self, ctx: ServiceContext, bucket: Resource, function_ref: Any, events: Any, rules: Any,
              via: str) -> list[Trigger]:
        fns = ctx.functions_of(function_ref)
        if not fns:
            return []
        prefix = suffix = None
        for rule in _as_list(rules):
            name = str(rule.get("Name", "")).lower()
            value = rule.get("Value")
            if isinstance(value, str):
                if name == "prefix":
                    prefix = value
                elif name == "suffix":
                    suffix = value
        event_list = tuple(e for e in (events if isinstance(events, list) else [events]) if isinstance(e, str))
        return [Trigger("s3", bucket.key, ctx.functions[fn].key, event_list, prefix, suffix, via=via) for fn in fns]

    def event_fires(self, api: WriteApi, trigger: Trigger) -> bool:
        return any(_event_covers(pattern, api.event) for pattern in trigger.events)

    def filter_verdict(self, api: WriteApi, trigger: Trigger, facts: CallFacts) -> tuple[str, str]:
        """Does the object key satisfy the notification's prefix/suffix rules?"""
        if trigger.prefix is None and trigger.suffix is None:
            return "yes", "no key filter"
        key = facts.key
        if key is None:
            return "maybe", "key unknown"
        exact = key.exact()
        verdicts = []
        if trigger.prefix is not None:
            verdicts.append(_affix_verdict("prefix", trigger.prefix, exact if exact is not None else key.prefix(),
                                           exact is not None))
        if trigger.suffix is not None:
            verdicts.append(_affix_verdict("suffix", trigger.suffix, exact if exact is not None else key.suffix(),
                                           exact is not None))
        for wanted in ("no", "maybe"):
            for verdict, note in verdicts:
                if verdict == wanted:
                    return verdict, note
        return "yes", "; ".join(note for _v, note in verdicts)

    def event_expression(self, api, trigger, resource, facts):
        key = "_recv.key" if api.key_from_receiver else ('Params["Key"]' if api.key == "Params" else "Key")
        name = resource.physical_names[0] if resource.physical_names else resource.logical_id
        event_name = api.event.removeprefix("s3:")
        if trigger.details.get("eventbridge_rule"):  # delivered by EventBridge: its event shape
            detail_type = "Object Deleted" if "Removed" in api.event else "Object Created"
            return ('{"version": "0", "source": "aws.s3", '
                    f'"detail-type": {detail_type!r}, "resources": [{"arn:aws:s3:::" + name!r}], '
                    f'"detail": {{"bucket": {{"name": {name!r}}}, "object": {{"key": {key}, "size": 0}}, '
                    f'"reason": {event_name.split(":")[-1]!r}}}}}')
        return (
            '{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", '
            f'"eventName": {event_name!r}, '
            f'"s3": {{"bucket": {{"name": {name!r}, "arn": {"arn:aws:s3:::" + name!r}}}, '
            f'"object": {{"key": {key}, "size": 0}}}}}}]}}'
        )


_DETAIL_TYPES = {"Object Created": "s3:ObjectCreated:*", "Object Deleted": "s3:ObjectRemoved:*",
                 "Object Restore Completed": "s3:ObjectRestore:Completed"}


def _eventbridge_edges(ctx: ServiceContext, bucket: Resource) -> list[Trigger]:
    """A bucket with ``EventBridgeConfiguration`` sends its object events to the default bus as
    ``source: aws.s3``; each rule there whose pattern accepts them (source, detail-type,
    ``detail.bucket.name``, a ``detail.object.key`` prefix/suffix) starts its target functions."""
    found: list[Trigger] = []
    names = set(bucket.physical_names)
    for rule in ctx.resources.values():
        if rule.type != "AWS::Events::Rule":
            continue
        bus = rule.properties.get("EventBusName")
        if bus not in (None, "default"):
            continue
        pattern = rule_pattern(rule.properties)  # None for a DISABLED rule
        if pattern is None or not _accepts(pattern.get("source"), "aws.s3"):
            continue
        detail = pattern.get("detail") if isinstance(pattern.get("detail"), dict) else {}
        wanted = (detail.get("bucket") or {}).get("name") if isinstance(detail.get("bucket"), dict) else None
        if wanted is not None and not _names_bucket(ctx, wanted, bucket, names):
            continue
        types = pattern.get("detail-type")
        events = tuple(_DETAIL_TYPES[t] for t in (types if isinstance(types, list) else [types])
                       if isinstance(t, str) and t in _DETAIL_TYPES) if types is not None else ("s3:*",)
        key_rules = (detail.get("object") or {}).get("key") if isinstance(detail.get("object"), dict) else None
        prefix = suffix = None
        for entry in key_rules if isinstance(key_rules, list) else []:
            if isinstance(entry, dict):
                prefix = entry.get("prefix", prefix) if isinstance(entry.get("prefix"), str) else prefix
                suffix = entry.get("suffix", suffix) if isinstance(entry.get("suffix"), str) else suffix
        for target in _as_list(rule.properties.get("Targets")):
            for fn in ctx.functions_of(target.get("Arn") if isinstance(target, dict) else None):
                found.append(Trigger("s3", bucket.key, ctx.functions[fn].key, events, prefix, suffix,
                                     details={"eventbridge_rule": rule.logical_id}, via=rule.logical_id))
    return found


def _accepts(values: Any, value: str) -> bool:
    return values is None or (isinstance(values, list) and value in values) or values == value


def _names_bucket(ctx: ServiceContext, wanted: Any, bucket: Resource, names: set[str]) -> bool:
    for item in wanted if isinstance(wanted, list) else [wanted]:
        if isinstance(item, str) and item in names:
            return True
        if isinstance(item, dict) and bucket in ctx.resources_of(item, _BUCKET):
            return True
        if isinstance(item, dict) and "prefix" in item and any(n.startswith(str(item["prefix"])) for n in names):
            return True
    return False


def _affix_verdict(kind: str, rule: str, known: str, is_exact: bool) -> tuple[str, str]:
    """Compare the statically known start (or end) of a key with a prefix (or suffix) rule."""
    holds, could_grow = (known.startswith, rule.startswith) if kind == "prefix" else (known.endswith, rule.endswith)
    shown = repr(known[:40] if kind == "prefix" else known[-40:])
    if holds(rule):
        return "yes", f"key {kind} {shown} matches {kind} {rule!r}"
    if not is_exact and could_grow(known):
        return "maybe", f"key {kind} {shown} may match {kind} {rule!r}"
    return "no", f"key {kind} {shown} cannot match {kind} {rule!r}"


def _event_covers(pattern: str, event: str) -> bool:
    """``s3:ObjectCreated:*`` covers ``s3:ObjectCreated:Put``; exact names match themselves."""
    if pattern.endswith("*"):
        return event.startswith(pattern[:-1])
    return pattern == event


def _as_list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


SERVICE = S3()
