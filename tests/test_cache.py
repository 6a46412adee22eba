"""The Pysa result cache: a warm re-scan of an unchanged app does not start Pysa and gives the same
answer; any edit to the code runs Pysa again; the cache can be listed and cleared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import one_function_app

from gate.cli import main as cli
from gate.pysa.driver import run_pysa


def _app(root: Path) -> Path:
    return one_function_app(root, "import os\n\n\ndef handler(event, context):\n"
                                  "    os.system('echo ' + event['body'])\n")


def _scan(capsys, app: Path, cache: Path, out: Path) -> tuple[int, dict]:
    code = cli.main(["scan", str(app), "--cache-dir", str(cache), "--format", "json", "--output", str(out)])
    capsys.readouterr()
    return code, json.loads(out.read_text())


def test_warm_scan_skips_pysa_and_edits_invalidate(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FLOWGATE_NO_CACHE")
    app, cache = _app(tmp_path / "app"), tmp_path / "cache"
    calls: list[Path] = []

    def counting(app_, workdir, timeout=None):
        calls.append(workdir)
        return run_pysa(app_, workdir, timeout)

    monkeypatch.setattr("gate.scan.run_pysa", counting)
    code, cold = _scan(capsys, app, cache, tmp_path / "cold.json")
    assert code == 1 and len(calls) == 1 and len(cold["findings"]) == 1
    # the loaded template; Pysa's results for the whole copy, its one component and the shared callables
    assert len(list(cache.glob("*/*.json.gz"))) == 4

    code, warm = _scan(capsys, app, cache, tmp_path / "warm.json")
    assert code == 1 and len(calls) == 1  # Pysa did not run
    assert warm["findings"] == cold["findings"]

    # Moving the app elsewhere changes no content: still a hit.
    moved = tmp_path / "elsewhere"
    app.rename(moved)
    code, _ = _scan(capsys, moved, cache, tmp_path / "moved.json")
    assert code == 1 and len(calls) == 1

    source = moved / "src" / "app.py"
    source.write_text("# a comment moves every line\n" + source.read_text())
    code, edited = _scan(capsys, moved, cache, tmp_path / "edited.json")
    assert code == 1 and len(calls) == 2  # the edit ran Pysa again
    assert edited["findings"][0]["sink"]["line"] == cold["findings"][0]["sink"]["line"] + 1

    # A different policy is a different analysis, too.
    (moved / "flowgate.yml").write_text("version: 1\nrules:\n  - {name: audit, severity: low, sources: [HttpApi], "
                                        "sinks: [code-execution]}\n")
    code, _ = _scan(capsys, moved, cache, tmp_path / "policy.json")
    assert len(calls) == 3

    # 2 templates (moved once); the whole copy's and the component's results 3 times each (cold, edited,
    # new policy); the shared callables' twice (the new policy changed the models and taint.config)
    entries = len(list(cache.glob("*/*.json.gz")))
    assert entries == 10
    assert cli.main(["cache", "info", "--cache-dir", str(cache)]) == 0
    assert f"{entries} entr(ies)" in capsys.readouterr().out
    assert cli.main(["cache", "clear", "--cache-dir", str(cache)]) == 0
    assert f"removed {entries}" in capsys.readouterr().out
    assert list(cache.glob("*/*.json.gz")) == []


@pytest.mark.parametrize("flag", [["--no-cache"], []])
def test_cache_can_be_turned_off(tmp_path, capsys, monkeypatch, flag):
    # With --no-cache (or FLOWGATE_NO_CACHE, as in the rest of the suite) nothing is written.
    if flag:
        monkeypatch.delenv("FLOWGATE_NO_CACHE")
    monkeypatch.setattr("gate.scan.run_pysa", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stop here")))
    cache = tmp_path / "cache"
    cli.main(["scan", str(_app(tmp_path / "app")), "--cache-dir", str(cache), *flag])
    capsys.readouterr()
    assert not cache.exists()


_PARTS_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, Handler: app.handler}
Resources:
  Reports: {Type: AWS::S3::Bucket}
  Jobs: {Type: AWS::SQS::Queue}
  Ingest:  # HTTP body stored as an object's content ...
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ingest/
      Environment: {Variables: {REPORTS: !Ref Reports}}
      Policies: [{S3CrudPolicy: {BucketName: !Ref Reports}}]
      Events: {Api: {Type: HttpApi, Properties: {Path: /ingest, Method: post}}}
  Runner:  # ... which this function (nothing triggers it) reads into a shell
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: runner/
      Environment: {Variables: {REPORTS: !Ref Reports}}
      Policies: [{S3ReadPolicy: {BucketName: !Ref Reports}}]
  Enqueue:  # HTTP -> SQS -> Worker
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: enqueue/
      Environment: {Variables: {JOBS: !Ref Jobs}}
      Policies: [{SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}}]
      Events: {Api: {Type: HttpApi, Properties: {Path: /jobs, Method: post}}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Events: {Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}}
  Echo:  # on its own, until an edit makes it send to Jobs too
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Environment: {Variables: {JOBS: !Ref Jobs}}
      Policies: [{SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}}]
      Events: {Api: {Type: HttpApi, Properties: {Path: /echo, Method: post}}}
"""
_PARTS_CODE = {
    "ingest": "import json\nimport os\n\nimport boto3\n\ns3 = boto3.client('s3')\n\n\ndef handler(event, context):\n"
              "    report = json.loads(event['body'])\n"
              "    s3.put_object(Bucket=os.environ['REPORTS'], Key='reports/latest.json', Body=json.dumps(report))\n",
    "runner": "import json\nimport os\n\nimport boto3\n\ns3 = boto3.client('s3')\n\n\ndef handler(event, context):\n"
              "    obj = s3.get_object(Bucket=os.environ['REPORTS'], Key='reports/latest.json')\n"
              "    report = json.loads(obj['Body'].read())\n    os.system(report['cmd'])\n",
    "enqueue": "import os\n\nimport boto3\n\nsqs = boto3.client('sqs')\n\n\ndef handler(event, context):\n"
               "    sqs.send_message(QueueUrl=os.environ['JOBS'], MessageBody=event['body'])\n",
    "worker": "def handler(event, context):\n    for record in event['Records']:\n        eval(record['body'])\n",
    "echo": "import os\n\n\ndef handler(event, context):\n    os.system('echo ' + event['body'])\n",
}


def test_an_edit_reanalyses_only_its_component(tmp_path, capsys, monkeypatch):
    """Three independent parts (S3 content Ingest -> Runner, SQS Enqueue -> Worker, Echo): an edit runs
    Pysa over the edited part only, and the answer is the whole-app answer (compared with --no-cache)."""
    monkeypatch.delenv("FLOWGATE_NO_CACHE")
    app, cache = tmp_path / "app", tmp_path / "cache"
    app.mkdir()
    (app / "template.yaml").write_text(_PARTS_TEMPLATE)
    for name, code in _PARTS_CODE.items():
        (app / name).mkdir()
        (app / name / "app.py").write_text(code)
    analysed: list[list[str]] = []

    def recording(app_, workdir, timeout=None):
        analysed.append(sorted(p.name.split("_", 2)[2] for p in app_.root.iterdir() if p.name.startswith("fgpkg_")))
        return run_pysa(app_, workdir, timeout)

    monkeypatch.setattr("gate.scan.run_pysa", recording)

    def scan_and_compare(name: str) -> tuple[dict, list[list[str]]]:
        """The cached scan, and which code roots each of its Pysa runs analysed (none: all cached)."""
        analysed.clear()
        code, cached = _scan(capsys, app, cache, tmp_path / f"{name}.json")
        runs = list(analysed)
        full = cli.main(["scan", str(app), "--no-cache", "--format", "json", "--output", str(tmp_path / "full.json")])
        capsys.readouterr()
        assert code == full == 1
        assert cached["findings"] == json.loads((tmp_path / "full.json").read_text())["findings"]
        return cached, runs

    def sinks(doc: dict) -> list[tuple[str, str]]:
        return sorted((f["source_function"], f["sink_function"]) for f in doc["findings"])

    cold, runs = scan_and_compare("cold")
    assert runs == [["echo", "enqueue", "ingest", "runner", "worker"]]
    assert sinks(cold) == [("Echo", "Echo"), ("Enqueue", "Worker"), ("Ingest", "Runner")]

    _, runs = scan_and_compare("warm")
    assert runs == []

    # A code change in the reader of the stored content: its part (writer and reader) runs again.
    runner = app / "runner" / "app.py"
    runner.write_text("RETRIES = 3\n" + runner.read_text())
    edited, runs = scan_and_compare("runner")
    assert runs == [["ingest", "runner"]]
    assert sinks(edited) == sinks(cold)

    # An edit that wires Echo to the queue joins two parts: both run, and the new flow is found.
    echo = app / "echo" / "app.py"
    echo.write_text("import boto3\n\nsqs = boto3.client('sqs')\n" + echo.read_text()
                    + "    sqs.send_message(QueueUrl=os.environ['JOBS'], MessageBody=event['body'])\n")
    joined, runs = scan_and_compare("joined")
    assert runs == [["echo", "enqueue", "worker"]]
    assert sinks(joined) == [("Echo", "Echo"), ("Echo", "Worker"), ("Enqueue", "Worker"), ("Ingest", "Runner")]
