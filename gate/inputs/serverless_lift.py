"""The ``serverless-lift`` plugin's ``constructs``: a queue and its worker, a storage bucket.

Lift is how many Serverless Framework services declare an SQS worker: ``constructs: {jobs: {type:
queue, worker: {handler: ...}}}`` deploys a queue and a function ``jobsWorker`` it triggers, and
``${construct:jobs.queueUrl}`` names the queue elsewhere. Without this the worker would be a
function nobody sees. Lift grants every function of the service permission to send to its queues
and to read and write its storage buckets; so does this module. Other construct types are reported
as not modelled, and their ``${construct:...}`` values are unknown.
"""

from __future__ import annotations

from typing import Any

from gate.inputs import serverless_naming as naming

_QUEUE, _STORAGE = "queue", "storage"


def constructs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = config.get("constructs")
    return {str(k): v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}


def queue_id(construct: str) -> str:
    return f"{naming.alphanumeric(construct)}Queue"


def bucket_id(construct: str) -> str:
    return f"{naming.alphanumeric(construct)}Bucket"


def construct_value(config: dict[str, Any], address: str) -> Any:
    """``${construct:ID.PROPERTY}`` as CloudFormation, or ``None`` when it is not modelled."""
    construct, _, prop = address.partition(".")
    spec = constructs(config).get(construct)
    kind = spec.get("type") if spec else None
    if kind == _QUEUE:
        return {"queueUrl": {"Ref": queue_id(construct)}, "queueArn": {"Fn::GetAtt": [queue_id(construct), "Arn"]},
                "queueName": {"Fn::GetAtt": [queue_id(construct), "QueueName"]}}.get(prop)
    if kind == _STORAGE:
        return {"bucketName": {"Ref": bucket_id(construct)},
                "bucketArn": {"Fn::GetAtt": [bucket_id(construct), "Arn"]}}.get(prop)
    return None


def lift_functions(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The queue workers, as functions of the service (key ``<id>Worker``) triggered by their queue."""
    out = {}
    for construct, spec in constructs(config).items():
        worker = spec.get("worker")
        if spec.get("type") == _QUEUE and isinstance(worker, dict):
            events = [{"sqs": {"arn": {"Fn::GetAtt": [queue_id(construct), "Arn"]},
                               "batchSize": spec.get("batchSize", 1)}}]
            out[f"{construct}Worker"] = {**worker, "events": [*(worker.get("events") or []), *events]}
    return out


def lift_resources(config: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(resources, statements every function's role gets, warnings for constructs not modelled)."""
    resources: dict[str, Any] = {}
    statements: list[dict[str, Any]] = []
    warnings: list[str] = []
    for construct, spec in constructs(config).items():
        kind = spec.get("type")
        if kind == _QUEUE:
            resources[queue_id(construct)] = {"Type": "AWS::SQS::Queue", "Properties": {}}
            statements.append({"Effect": "Allow", "Action": ["sqs:SendMessage"],
                               "Resource": [{"Fn::GetAtt": [queue_id(construct), "Arn"]}]})
        elif kind == _STORAGE:
            resources[bucket_id(construct)] = {"Type": "AWS::S3::Bucket", "Properties": {}}
            arn = {"Fn::GetAtt": [bucket_id(construct), "Arn"]}
            statements.append({"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject",
                                                             "s3:ListBucket"],
                               "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}]})
        else:
            warnings.append(f"constructs.{construct}: serverless-lift construct type {kind!r} is not modelled; "
                            "its resources are not analysed and its ${construct:...} values are unknown")
    return resources, statements, warnings
