"""A deployable SAM app of any size for the report tests: pipelines of four functions across S3, SQS
and DynamoDB streams (HTTP → S3 → SQS → table → stream → shell), each granted the writes it makes,
plus plain HTTP handlers ``F1``..``Fn``. Some pipelines end in an unquoted shell command (a flow),
the first and the last among them; the rest quote it. Function names are long on purpose
(``Shipments11StreamArchiverFunction``): the graph must not cut them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from scale import _HEAD, _S3, _SQS, _STREAM  # noqa: E402
from scale import _PLAIN as _PLAIN_HANDLER  # noqa: E402

DOMAINS = ["Orders", "Invoices", "Shipments", "Payments", "Refunds", "Customers", "Catalog", "Reviews"]

_INGEST = '''\
import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    order = json.loads(event["body"])
    key = f"incoming/{order.get('name', 'unnamed')}"
    s3.put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(order))
    return {"statusCode": 202, "body": json.dumps({"key": key})}
'''
# The template head and the S3, SQS, stream and plain handlers are the scale benchmark's
# (benchmarks/scale.py): one
# realistic set of handlers for both; this app differs in its names and in which pipelines flow.
_TRANSFORM, _PERSIST, _ARCHIVE, _PLAIN = _S3, _SQS, _STREAM, _PLAIN_HANDLER


def flow_groups(groups: int) -> set[int]:
    return {0, groups - 1} | {g for g in range(groups) if g % 5 == 0}


def generate(n: int, app: Path) -> dict[str, list[str]]:
    """Write an app of ``n`` functions; returns the names of each flow's functions, by pipeline."""
    resources: list[str] = []
    flows: dict[str, list[str]] = {}

    def fn(name: str, body: str, props: str) -> None:
        (app / "src" / name).mkdir(parents=True)
        (app / "src" / name / "app.py").write_text(body)
        resources.append(f"  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                         f"      CodeUri: src/{name}/\n{props}")

    groups = (n - n // 5) // 4  # a fifth plain handlers, F1..Fk
    rest = n - 4 * groups
    for g in range(groups):
        p = f"{DOMAINS[g % len(DOMAINS)]}{g}"
        names = [f"{p}IngestFunction", f"{p}TransformFunction", f"{p}PersistFunction", f"{p}StreamArchiverFunction"]
        resources.append(f"  {p}Bucket: {{Type: AWS::S3::Bucket}}\n  {p}Queue: {{Type: AWS::SQS::Queue}}\n"
                         f"  {p}Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
                         "      BillingMode: PAY_PER_REQUEST\n"
                         "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n"
                         "      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n"
                         "      StreamSpecification: {StreamViewType: NEW_IMAGE}\n")
        fn(names[0], _INGEST, f"      Environment: {{Variables: {{BUCKET: !Ref {p}Bucket}}}}\n"
                              f"      Policies: [{{S3WritePolicy: {{BucketName: !Ref {p}Bucket}}}}]\n"
                              f"      Events: {{Api: {{Type: HttpApi, Properties: {{Path: /{p.lower()}, "
                              "Method: post}}}\n")
        send = f"{{SQSSendMessagePolicy: {{QueueName: !GetAtt {p}Queue.QueueName}}}}"
        fn(names[1], _TRANSFORM, f"      Environment: {{Variables: {{QUEUE: !Ref {p}Queue}}}}\n"
                                 f"      Policies: [{send}]\n"
                                 f"      Events: {{S3: {{Type: S3, Properties: {{Bucket: !Ref {p}Bucket, "
                                 "Events: \"s3:ObjectCreated:*\"}}}\n")
        fn(names[2], _PERSIST, f"      Environment: {{Variables: {{TABLE: !Ref {p}Table}}}}\n"
                               f"      Policies: [{{DynamoDBCrudPolicy: {{TableName: !Ref {p}Table}}}}]\n"
                               f"      Events: {{Q: {{Type: SQS, Properties: {{Queue: !GetAtt {p}Queue.Arn}}}}}}\n")
        flowing = g in flow_groups(groups)
        fn(names[3], _ARCHIVE.replace("{quote}", "key" if flowing else "shlex.quote(key)"),
           f"      Events: {{S: {{Type: DynamoDB, Properties: {{Stream: !GetAtt {p}Table.StreamArn, "
           "StartingPosition: LATEST}}}\n")
        if flowing:
            flows[p] = names
    for i in range(1, rest + 1):
        fn(f"F{i}", _PLAIN, f"      Events: {{Api: {{Type: HttpApi, Properties: {{Path: /f{i}, Method: get}}}}}}\n")
    (app / "template.yaml").write_text(_HEAD + "".join(resources))
    return flows
