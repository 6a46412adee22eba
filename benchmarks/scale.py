"""Synthetic SAM apps of 1, 10, 50 and 200 functions: bare Pysa, flowgate cold, warm and after one edit.

Run:  .venv/bin/python benchmarks/scale.py [--sizes 1 10 50 200] [--repeat 3] [--json out.json]

Each app is built from groups of four realistic handlers wired across services —
HTTP → S3 put_object → S3-triggered function → SQS send_message → SQS consumer → DynamoDB put_item →
stream consumer — every function in its own code directory with its own ``app.py``; one group in ten
ends in a shell sink (a flow), the others quote their input. Per size, in one run:

* bare Pysa: ``pyre analyze`` (pyre-check + pyrefly, as users run Pysa) on an uninstrumented copy
  with the same sink/source models and entry-point sources (``benchmarks/run.py``) — the floor;
* engine: the same copy through the two engine steps flowgate drives itself (pyrefly, then
  pyre.bin, without the pyre client's start-up) — the floor flowgate can actually reach;
* flowgate cold: ``flowgate scan`` with an empty cache directory;
* flowgate warm: the same scan again (nothing changed);
* flowgate edit: after a one-line code change (a new module-level statement) in one handler.

Wall time is the median of ``--repeat`` runs; peak RSS is the largest resident set of the process
tree (the scan, Pysa and pyrefly), measured per run in a wrapper process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import time_bare_pysa  # noqa: E402

_HEAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, Handler: app.handler, Timeout: 10}
Resources:
"""

_API = '''\
import json
import os
import uuid

import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET"]


def handler(event, context):
    order = json.loads(event["body"])
    name = order.get("name", "unnamed")
    key = f"incoming/{name}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps({"id": str(uuid.uuid4()), "order": order}))
    return {"statusCode": 202, "body": json.dumps({"key": key})}
'''
_S3 = '''\
import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps({"key": key}))
'''
_SQS = '''\
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    for record in event["Records"]:
        job = json.loads(record["body"])
        table.put_item(Item={"pk": job["key"], "status": "queued"})
'''
_STREAM = '''\
import shlex
import subprocess


def handler(event, context):
    for record in event["Records"]:
        key = record["dynamodb"]["NewImage"]["pk"]["S"]
        subprocess.run("archive " + {quote}, shell=True, check=False)
'''
_PLAIN = '''\
import json


def handler(event, context):
    body = json.loads(event.get("body") or "{}")
    return {"statusCode": 200, "body": json.dumps({"echo": sorted(body)})}
'''


def generate(n: int, app: Path) -> None:
    """An app of ``n`` functions (groups of four, the remainder plain HTTP handlers)."""
    resources: list[str] = []

    def fn(i: int, body: str, props: str) -> None:
        (app / "fns" / f"f{i}").mkdir(parents=True)
        (app / "fns" / f"f{i}" / "app.py").write_text(body)
        resources.append(f"  F{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                         f"      CodeUri: fns/f{i}/\n{props}")

    groups, rest = divmod(n, 4)
    for g in range(groups):
        a, b, c, d = (4 * g + k for k in range(4))
        resources.append(f"  Bucket{g}: {{Type: AWS::S3::Bucket}}\n  Queue{g}: {{Type: AWS::SQS::Queue}}\n"
                         f"  Table{g}:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
                         "      BillingMode: PAY_PER_REQUEST\n"
                         "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n"
                         "      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n"
                         "      StreamSpecification: {StreamViewType: NEW_IMAGE}\n")
        fn(a, _API, f"      Environment: {{Variables: {{BUCKET: !Ref Bucket{g}}}}}\n"
                    f"      Policies: [{{S3CrudPolicy: {{BucketName: !Ref Bucket{g}}}}}]\n"
                    f"      Events: {{Api: {{Type: HttpApi, Properties: {{Path: /f{a}, Method: post}}}}}}\n")
        fn(b, _S3, f"      Environment: {{Variables: {{QUEUE: !Ref Queue{g}}}}}\n"
                   f"      Policies: [{{SQSSendMessagePolicy: {{QueueName: !GetAtt Queue{g}.QueueName}}}}]\n"
                   f"      Events: {{S3: {{Type: S3, Properties: {{Bucket: !Ref Bucket{g}, "
                   "Events: \"s3:ObjectCreated:*\"}}}\n")
        fn(c, _SQS, f"      Environment: {{Variables: {{TABLE: !Ref Table{g}}}}}\n"
                    f"      Policies: [{{DynamoDBCrudPolicy: {{TableName: !Ref Table{g}}}}}]\n"
                    f"      Events: {{Q: {{Type: SQS, Properties: {{Queue: !GetAtt Queue{g}.Arn}}}}}}\n")
        quote = "key" if g % 10 == 0 else "shlex.quote(key)"
        fn(d, _STREAM.replace("{quote}", quote),
           f"      Events: {{S: {{Type: DynamoDB, Properties: {{Stream: !GetAtt Table{g}.StreamArn, "
           "StartingPosition: LATEST}}}\n")
    for i in range(4 * groups, 4 * groups + rest):
        fn(i, _PLAIN, f"      Events: {{Api: {{Type: HttpApi, Properties: {{Path: /f{i}, Method: get}}}}}}\n")
    (app / "template.yaml").write_text(_HEAD + "".join(resources))


def _measured(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of the whole process tree, exit code), via a wrapper process."""
    wrapper = ("import resource, subprocess, sys, time, json\n"
               "t = time.monotonic(); p = subprocess.run(sys.argv[1:], capture_output=True)\n"
               "print(json.dumps([time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
               " p.returncode]))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("FLOWGATE_NO_CACHE",)}
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True)
    seconds, rss_kb, code = json.loads(proc.stdout)
    return seconds, rss_kb / 1024, code


def measure(n: int, repeat: int) -> dict[str, float | int]:
    work = Path(tempfile.mkdtemp(prefix=f"flowgate-scale-{n}-"))
    try:
        app = work / "app"
        generate(n, app)
        bare, engine, cold, warm, edit, rss = [], [], [], [], [], []
        flows = -1
        # Interleaved, so that a slow spell of the machine hits the baseline and the gate alike.
        for r in range(repeat):
            bare.append(time_bare_pysa(app))
            engine.append(time_bare_pysa(app, engine=True))
            cache = work / f"cache{r}"
            scan = [sys.executable, "-m", "gate", "scan", str(app), "--cache-dir", str(cache), "--format", "json",
                    "--output", str(work / "out.json")]
            s, m, code = _measured(scan, ROOT)
            assert code in (0, 1), f"scan failed with exit {code}"
            cold.append(s)
            rss.append(m)
            flows = len(json.loads((work / "out.json").read_text())["findings"])
            s, m, _ = _measured(scan, ROOT)
            warm.append(s)
            rss.append(m)
            handler = app / "fns" / f"f{n // 2}" / "app.py"
            # A code change (not a comment): a new module-level statement, so the analysis must rerun.
            handler.write_text(handler.read_text() + f"\nEDITED_AT_{r} = {time.time()!r}\n")
            s, m, _ = _measured(scan, ROOT)
            edit.append(s)
            rss.append(m)
        med = statistics.median
        return {"functions": n, "flows": flows, "bare_pysa_s": round(med(bare), 2),
                "bare_engine_s": round(med(engine), 2),
                "cold_s": round(med(cold), 2), "warm_s": round(med(warm), 2), "edit_s": round(med(edit), 2),
                "cold_over_bare": round(med(cold) / med(bare), 3),
                "cold_over_engine": round(med(cold) / med(engine), 3), "peak_rss_mb": round(max(rss))}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    print(f"{'functions':>9} {'flows':>5} {'bare Pysa':>9} {'engine':>7} {'cold':>7} {'warm':>6} {'edit':>7} "
          f"{'cold/bare':>9} {'cold/engine':>11} {'peak RSS':>9}")
    rows = []
    for n in args.sizes:
        row = measure(n, args.repeat)
        rows.append(row)
        print(f"{row['functions']:>9} {row['flows']:>5} {row['bare_pysa_s']:>8.2f}s {row['bare_engine_s']:>6.2f}s "
              f"{row['cold_s']:>6.2f}s {row['warm_s']:>5.2f}s {row['edit_s']:>6.2f}s {row['cold_over_bare']:>9.3f} "
              f"{row['cold_over_engine']:>11.3f} {row['peak_rss_mb']:>6} MB", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
