"""Property: whatever the template's structure, `flowgate scan` answers with an exit code and a
message — never a traceback, never an internal error. Pysa is replaced by an empty result here (the
generated apps have no Python code, so it would not run anyway); everything before and after it is real."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.cli import main as cli
from gate.pysa.driver import PysaResult

TYPES = ["AWS::Lambda::Function", "AWS::Serverless::Function", "AWS::S3::Bucket", "AWS::SQS::Queue",
         "AWS::SNS::Topic", "AWS::DynamoDB::Table", "AWS::Lambda::EventSourceMapping", "AWS::SNS::Subscription",
         "AWS::Events::Rule", "AWS::Events::EventBus", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::S3::BucketPolicy",
         "AWS::SQS::QueuePolicy", "AWS::Serverless::Application", "AWS::CloudFormation::Stack",
         "AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine", "AWS::Kinesis::Stream",
         "AWS::Lambda::Permission", "AWS::Lambda::Url", "AWS::ApiGateway::Method", "AWS::ApiGatewayV2::Integration",
         "AWS::Serverless::Api", "Custom::S3BucketNotifications", "AWS::Lambda::Alias"]
PROPS = ["Runtime", "Handler", "CodeUri", "Code", "Role", "Environment", "Variables", "Events", "FunctionName",
         "Policies", "NotificationConfiguration", "LambdaConfigurations", "EventSourceArn", "TopicArn", "Endpoint",
         "Protocol", "EventPattern", "Targets", "PolicyDocument", "Statement", "Bucket", "Queues", "Location",
         "TemplateURL", "Definition", "DefinitionString", "DefinitionSubstitutions", "StreamSpecification",
         "FilterCriteria", "FilterPolicy", "Body", "PackageType", "InlineCode", "Roles", "ManagedPolicyArns",
         "Type", "Properties", "Queue", "Stream", "Filter", "S3Key", "Rules", "Name", "Value", "Arn", "Pattern",
         "ZipFile", "Parameters", "BucketName", "QueueName", "Integration", "IntegrationUri", "Uri"]
def txt(size: int) -> st.SearchStrategy[str]:
    """Printable text: control characters are rejected by the YAML/JSON decoder before anything else."""
    return st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=size)


NAMES = ["A", "B", "Fn", "Q", "Bucket", "Topic", "Role", "AWS::Region", "AWS::NoValue", "Missing"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), txt(6),
                    st.sampled_from(["python3.12", "app.handler", "src/", "*", "nodejs20.x", "s3:ObjectCreated:*",
                                     "Allow", "sqs:SendMessage", "arn:aws:s3:::b", "${Fn.Arn}", "Image"]))


def _intrinsic(inner: st.SearchStrategy) -> st.SearchStrategy:
    name = st.one_of(st.sampled_from(NAMES), txt(4))
    return st.one_of(
        st.builds(lambda n: {"Ref": n}, name),
        st.builds(lambda n, a: {"Fn::GetAtt": [n, a]}, name, st.sampled_from(["Arn", "StreamArn", "QueueName", ""])),
        st.builds(lambda n: {"Fn::GetAtt": n}, st.one_of(name, inner)),
        st.builds(lambda t: {"Fn::Sub": t}, st.one_of(txt(12), st.lists(inner, max_size=2))),
        st.builds(lambda xs: {"Fn::Join": ["", xs]}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"Fn::Join": x}, inner),
        st.builds(lambda x, y: {"Fn::If": ["C", x, y]}, inner, inner),
        st.builds(lambda k, x: {k: x}, st.sampled_from(["Fn::ImportValue", "Fn::Select", "Fn::Split", "Fn::Frob",
                                                        "Fn::FindInMap", "Fn::Base64", "Condition"]), inner),
    )


values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.sampled_from(PROPS), txt(5)), inner, max_size=4),
    _intrinsic(inner)), max_leaves=16)
objects = st.dictionaries(st.one_of(st.sampled_from(PROPS), txt(5)), values, max_size=6)
# Mostly well-formed skeletons (so the fuzzing reaches the model, plan and reports), sometimes not.
resource = st.one_of(
    st.fixed_dictionaries({"Type": st.sampled_from(TYPES)},
                          optional={"Properties": st.dictionaries(st.sampled_from(PROPS), values, max_size=7),
                                    "Metadata": objects, "Condition": txt(3)}),
    st.fixed_dictionaries({"Type": txt(8)}, optional={"Properties": objects}),
    values)
templates = st.fixed_dictionaries(
    {"Resources": st.dictionaries(st.one_of(st.sampled_from(NAMES[:6]), st.from_regex(
        r"[A-Za-z][A-Za-z0-9]{0,6}", fullmatch=True)), resource, min_size=1, max_size=7)},
    optional={"Transform": st.one_of(st.just("AWS::Serverless-2016-10-31"), values),
              "Globals": objects, "Parameters": objects, "Conditions": objects, "Outputs": objects,
              "AWSTemplateFormatVersion": st.just("2010-09-09")})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(template=templates)
def test_no_template_structure_crashes_the_gate(template, capsys, monkeypatch):
    monkeypatch.setattr("gate.scan.run_pysa", lambda app, workdir: PysaResult([], {}, 0.0))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "template.json").write_text(json.dumps(template), encoding="utf-8")
        code = cli.main(["scan", tmp, "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in captured.out + captured.err
    assert "internal error" not in captured.err, (template, captured.err)
    if code == 2:
        assert captured.err.startswith("flowgate: "), captured.err
