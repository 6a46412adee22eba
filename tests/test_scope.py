"""Scoped analysis (real Pysa, one run): code roots no untrusted input can reach are not analysed,
while every kind of source keeps its root in scope."""

from __future__ import annotations

from pathlib import Path

from conftest import by_sink_function

from gate.plan.scope import OUT_OF_SCOPE
from gate.scan import scan

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, Handler: app.handler}
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      Environment: {Variables: {JOBS: !Ref Jobs}}
      Policies: [{SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}}]
      Events: {Api: {Type: HttpApi, Properties: {Path: /jobs, Method: post}}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}}
  Cron:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: cron/
  Lister:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: lister/
"""
CODE = {
    "api": "import os\nimport boto3\n\n\ndef handler(event, context):\n"
           "    boto3.client('sqs').send_message(QueueUrl=os.environ['JOBS'], MessageBody=event['body'])\n",
    "worker": "import os\n\n\ndef handler(event, context):\n    for r in event['Records']:\n"
              "        os.system(r['body'])\n",
    "cron": "import os\n\n\ndef handler(event, context):\n    os.system('cleanup ' + str(event))\n",
    "lister": "import os\nimport boto3\n\n\ndef handler(event, context):\n"
              "    for o in boto3.client('s3').list_objects_v2(Bucket='b')['Contents']:\n"
              "        os.system('scan ' + o['Key'])\n",
}


def test_unreachable_roots_are_left_out_and_sources_keep_theirs(tmp_path: Path):
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    for name, code in CODE.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(code)
    result = scan(tmp_path)
    analysed = {r.directory.name for r in result.plan.roots}
    assert analysed == {"api", "worker", "lister"}  # cron: nothing untrusted reaches it
    assert result.model.functions[f"{tmp_path.name}/Cron"].skipped_reason == OUT_OF_SCOPE
    assert [f.source_function.rsplit("/", 1)[1] for f in by_sink_function(result, "Worker")] == ["Api"]
    assert len(by_sink_function(result, "Lister")) == 1  # an S3 listing is a source of its own
    assert by_sink_function(result, "Cron") == []
    assert result.incomplete == []


def test_explain_says_why_each_function_is_out_of_scope():
    """Without Pysa: the plan records why nothing untrusted reaches each function it leaves out."""
    import tempfile

    from gate.inputs.detect import load_input
    from gate.model.build import build_app_model
    from gate.plan.build import build_plan
    from gate.plan.scope import scope_plan
    from gate.policy.load import default_policy

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        extra = TEMPLATE.replace("      CodeUri: cron/\n", "      CodeUri: cron/\n"
                                 "      Events: {Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}}\n")
        extra = extra.replace('      Events: {Api: {Type: HttpApi, Properties: {Path: /jobs, Method: post}}}\n', "")
        (root / "template.yaml").write_text(extra)
        for name, code in CODE.items():
            (root / name).mkdir()
            (root / name / "app.py").write_text(code)
        model = build_app_model(load_input(root))
        plan = build_plan(model)
        scoped, dropped = scope_plan(plan.model, plan, default_policy())
        why = {k.split("/")[1]: v for k, v in scoped.out_of_scope.items()}
    assert set(why) == {"Api", "Worker", "Cron"}  # the API event is gone: only the lister is a source
    assert why["Api"] == "no API, URL, event source or invocation in the app starts it"
    assert why["Worker"] == "not an entry point; started only by sqs:Jobs, written by Api (out of scope)"
    assert why["Cron"].startswith("not an entry point; started only by a schedule (rate(1 day)")
