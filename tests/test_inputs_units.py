"""The inputs stage's pure functions on small inputs (fast lane): what CloudFormation would reject,
AWS::LanguageExtensions, local artifacts and the project boundary, zip archives as code roots."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest

from gate.common.errors import GateInputError
from gate.inputs.language_extensions import apply_language_extensions
from gate.inputs.local_artifacts import Artifacts, inline_includes, project_root
from gate.inputs.validate import validate_template
from gate.plan.code_roots import is_code_location, python_files
from gate.pyast.index import read_source


def _template(tmp_path: Path, resources: dict, **extra) -> tuple[dict, Path]:
    path = tmp_path / "template.yaml"
    lines = ["Resources:"] + [f"  {name}:" for name in resources]
    path.write_text("\n".join(lines) + "\n")
    return {"Resources": resources, **extra}, path


@pytest.mark.parametrize(("resource", "message"), [
    ({"Type": "AWS::SQS::Queu"}, "unknown resource type 'AWS::SQS::Queu' (did you mean 'AWS::SQS::Queue'?)"),
    ({"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "pyhton3.12"}},
     "unknown Lambda runtime 'pyhton3.12' (did you mean 'python3.12'?)"),
    ({"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}},
     "AWS::Lambda::Function is missing required property Role"),
    ({"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Joyn": ["", ["a"]]}}},
     "unknown intrinsic function 'Fn::Joyn' (did you mean 'Fn::Join'?)"),
])
def test_what_cloudformation_would_reject_is_located(tmp_path, resource, message):
    template, path = _template(tmp_path, {"First": {"Type": "AWS::SNS::Topic"}, "Second": resource})
    with pytest.raises(GateInputError) as err:
        validate_template(template, path)
    assert err.value.where == f"{path}:3" and f"resource Second: {message}" in err.value.message


@pytest.mark.parametrize("resource", [
    {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.7"}},  # deprecated, real
    {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": {"Ref": "Runtime"}}},  # decided at deploy
    {"Type": "MyOrg::Billing::Meter"},  # a private registry type
    {"Type": "Custom::Seeder", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}}},
    {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}, "Role": "arn"},
     "Metadata": {"x": {"Fn::Whatever": 1}}},  # Metadata is free-form
])
def test_what_cloudformation_accepts_passes(tmp_path, resource):
    template, path = _template(tmp_path, {"R": resource})
    validate_template(template, path)


def test_foreach_length_and_to_json_string(tmp_path):
    template = {
        "Transform": ["AWS::LanguageExtensions"],
        "Parameters": {"Kinds": {"Type": "CommaDelimitedList", "Default": "pdf, png"}},
        "Resources": {
            "Fn::ForEach::Queues": ["Kind", {"Ref": "Kinds"}, {
                "${Kind}Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": {"Fn::If": ["C", "Retain", "Delete"]},
                                 "Properties": {"QueueName": {"Fn::Sub": "jobs-${Kind}"},
                                                "Tags": [{"Key": "kind", "Value": {"Ref": "Kind"}}]}}}],
            "Fn": {"Type": "AWS::SQS::Queue", "Properties": {"Count": {"Fn::Length": [1, 2, 3]},
                                                              "Json": {"Fn::ToJsonString": {"a": [1]}},
                                                              "Kept": {"Fn::ToJsonString": {"a": {"Ref": "X"}}}}},
        },
    }
    out = apply_language_extensions(template, tmp_path / "t.yaml")["Resources"]
    assert set(out) == {"pdfQueue", "pngQueue", "Fn"}
    assert out["pngQueue"]["Properties"] == {"QueueName": {"Fn::Sub": "jobs-png"},
                                             "Tags": [{"Key": "kind", "Value": "png"}]}
    assert "DeletionPolicy" not in out["pdfQueue"]
    assert out["Fn"]["Properties"]["Count"] == 3 and out["Fn"]["Properties"]["Json"] == '{"a":[1]}'
    assert out["Fn"]["Properties"]["Kept"] == {"Fn::ToJsonString": {"a": {"Ref": "X"}}}


def test_foreach_over_an_unknowable_collection_is_an_error(tmp_path):
    template = {"Parameters": {"Kinds": {"Type": "CommaDelimitedList"}},
                "Resources": {"Fn::ForEach::Q": ["K", {"Ref": "Kinds"}, {"${K}": {"Type": "AWS::SQS::Queue"}}]}}
    with pytest.raises(GateInputError, match="has no default"):
        apply_language_extensions(template, tmp_path / "t.yaml")


def test_includes_nest_relative_to_the_including_file(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "body.yaml").write_text(textwrap.dedent("""
        paths:
          /x: {"Fn::Transform": {Name: AWS::Include, Parameters: {Location: ./path.json}}}
    """))
    (tmp_path / "api" / "path.json").write_text('{"post": {"operationId": "run"}}')
    artifacts = Artifacts(tmp_path)
    value = {"Body": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "api/body.yaml"}}},
             "Remote": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k.yaml"}}}}
    out = inline_includes(value, tmp_path, artifacts, "template.yaml")
    assert out["Body"] == {"paths": {"/x": {"post": {"operationId": "run"}}}}
    assert out["Remote"] == value["Remote"]  # not local: left for CloudFormation
    assert set(artifacts.read) == {str(tmp_path / "api" / "body.yaml"), str(tmp_path / "api" / "path.json")}
    assert artifacts.unchanged()
    (tmp_path / "api" / "path.json").write_text('{"post": {}}')
    assert not artifacts.unchanged()


def test_local_paths_may_not_leave_the_project(tmp_path):
    project = tmp_path / "project"
    (project / "infra").mkdir(parents=True)
    (tmp_path / "secret.yaml").write_text("a: 1\n")
    artifacts = Artifacts(project_root(project / "infra" / "template.yaml"))
    with pytest.raises(GateInputError, match="outside the project directory"):
        artifacts.resolve("../secret.yaml", project / "infra", "template.yaml", "Location")
    (project / ".git").mkdir()  # in a repository, the repository is the project
    assert project_root(project / "infra" / "template.yaml") == project
    assert project_root(project / ".aws-sam" / "build" / "template.yaml") == project


def test_zip_archives_are_code_roots_read_in_place(tmp_path):
    archive = tmp_path / "index.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("app.py", "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1"))
        zf.writestr("pkg/util.py", "X = 1\r\n")
        zf.writestr("../escape.py", "evil = True\n")
        zf.writestr("requests/api.py", "def get(u): ...\n")
        zf.writestr("requests-2.31.0.dist-info/top_level.txt", "requests\n")
        zf.writestr("node_modules/x.py", "")
    assert is_code_location(archive) and not is_code_location(tmp_path / "missing.zip")
    files, vendored = python_files(archive)
    assert files == [archive / "app.py", archive / "pkg" / "util.py"] and vendored == ["requests"]
    assert read_source(archive / "app.py") == "# -*- coding: latin-1 -*-\nNAME = 'café'\n"
    assert read_source(archive / "pkg" / "util.py") == "X = 1\n"
    with pytest.raises(GateInputError, match="cannot read Python source"):
        read_source(archive / "nope.py")
    assert list(tmp_path.iterdir()) == [archive]  # nothing was extracted
