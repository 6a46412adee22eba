"""Bad input: a located one-line reason, exit 2, no traceback; Pysa failures fail closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLES

from gate.cli import main as cli


def _run(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


@pytest.fixture()
def app(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / "sam-vulnerable", tmp_path / "app")
    return tmp_path / "app"


def test_malformed_yaml_is_located(capsys, tmp_path):
    (tmp_path / "template.yaml").write_text("Resources:\n  A: [\n")
    code, err = _run(capsys, "scan", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'template.yaml'}:3:1: template does not parse" in err


def test_duplicate_keys_are_rejected(capsys, tmp_path):
    (tmp_path / "template.yaml").write_text("Resources:\n  A:\n    Type: AWS::S3::Bucket\n  A:\n    Type: X\n")
    code, err = _run(capsys, "scan", str(tmp_path))
    assert code == 2 and f"{tmp_path / 'template.yaml'}:4:3: template does not parse: duplicate key 'A'" in err


def test_missing_template_and_missing_path(capsys, tmp_path):
    code, err = _run(capsys, "scan", str(tmp_path))
    assert code == 2 and "no template found" in err
    code, err = _run(capsys, "scan", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err
    code, err = _run(capsys, "scan", "--template", str(tmp_path / "t.yaml"))
    assert code == 2 and "template file not found" in err


def test_invalid_sam_is_reported(capsys, tmp_path):
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Runtime: python3.12\n      Handler: app.h\n      CodeUri: .\n"
        "      Events:\n        E:\n          Type: S3\n          Properties: {Bucket: not-a-ref, Events: x}\n")
    code, err = _run(capsys, "scan", str(tmp_path))
    assert code == 2 and "SAM translation failed" in err and "template.yaml" in err


@pytest.mark.e2e
def test_broken_functions_are_listed_and_the_rest_is_still_analysed(capsys, app):
    (app / "src" / "audit" / "app.py").rename(app / "src" / "audit" / "other.py")  # handler module missing
    shutil.rmtree(app / "src" / "notify")                                            # code directory missing
    broken = app / "src" / "reports" / "app.py"
    broken.write_text(broken.read_text() + "\ndef broken(:\n")                       # syntax error
    code, err = _run(capsys, "scan", str(app), "--format", "json", "--output", str(app.parent / "r.json"))
    assert code == 1  # the flows of the functions that could be analysed still block
    assert "incomplete: 3 problem(s)" in err
    assert "not analysed: AuditFunction: handler module app.py not found in" in err
    assert "template.yaml (resource AuditFunction)" in err
    assert "not analysed: NotifyFunction: code directory" in err and "does not exist" in err
    assert f"not analysed: ReportFunction: {broken}:15: Python syntax error" in err
    doc = json.loads((app.parent / "r.json").read_text())
    assert doc["complete"] is False and len(doc["not_analysed"]) == 3
    assert doc["summary"]["functions_analysed"] == 4
    sinks = {f["sink_function"] for f in doc["findings"]}
    assert sinks == {"ThumbnailFunction", "LabelFunction", "OrdersApiFunction"}


def test_pysa_missing_binary_fails_closed(capsys, monkeypatch):
    monkeypatch.setattr("gate.pysa.driver.tool_path", lambda name: f"/nonexistent/{name}")
    code, err = _run(capsys, "scan", str(FIXTURES / "cfn"))
    assert code == 2 and "cannot start Pysa" in err and "gate blocks" in err


def test_other_pyre_check_version_fails_closed(capsys, monkeypatch):
    # The engine is driven through pyre-check 0.10.0's internal arguments file: another version blocks.
    monkeypatch.setattr("gate.pysa.driver.metadata.version", lambda dist: "0.9.25")
    code, err = _run(capsys, "scan", str(FIXTURES / "cfn"))
    assert code == 2 and "pyre-check 0.9.25 is installed" in err and "gate blocks" in err


@pytest.mark.e2e
def test_real_pysa_crash_fails_closed(capsys, monkeypatch):
    # A taint configuration Pysa rejects: the real pyre exits non-zero and the gate blocks.
    monkeypatch.setattr("gate.policy.types.Policy.taint_config", lambda self, *extra: "{ not json")
    code, err = _run(capsys, "scan", str(FIXTURES / "cfn"))
    assert code == 2 and "Pysa failed (exit" in err


def test_unexpected_error_is_reported_without_traceback(capsys, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("gate.scan.build_app_model", boom)
    code, err = _run(capsys, "scan", str(FIXTURES / "cfn"))
    assert code == 2 and "internal error: RuntimeError: kaboom" in err


def test_usage_error_exit_code(capsys):
    assert cli.main(["scan", "--format", "xml"]) == 2
    capsys.readouterr()
