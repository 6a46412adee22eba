"""Engine coverage and precision (real Pysa, one run): every service hop, filter, IAM decision,
externally writable resource and sanitizer in tests/fixtures/hops, each with a negative twin."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, by_sink_function, by_source_function, flows

from gate.common.event_patterns import MAYBE, NO, UNKNOWN_VALUE, YES, JsonText, match, match_any
from gate.model.iam import Target, evaluate, function_permissions
from gate.pyast.regex_guards import allow_list_verdict
from gate.report.text import explain_lines

CI = "code-injection"

EXPECTED = {
    # Kinesis put_record -> stream consumer (base64 data)
    (CI, "KinesisWriter", (("kinesis", "OrdersStream"),), "StreamConsumer", "os.system", "consumers.py", 13),
    # EventBridge: custom bus rule with prefix match; default bus with a detail pattern
    (CI, "BusWriter", (("events", "OrdersBus"),), "OrderRuleConsumer", "subprocess.run", "consumers.py", 17),
    (CI, "BusWriter", (("events", "default"),), "DefaultBusConsumer", "os.system", "consumers.py", 25),
    # lambda.invoke by env Ref, invoke_async by literal function name
    (CI, "InvokeWriter", (("lambda", "Worker"),), "Worker", "os.system", "consumers.py", 29),
    (CI, "InvokeWriter", (("lambda", "NamedWorker"),), "NamedWorker", "os.popen", "consumers.py", 33),
    # Step Functions: lambda:invoke with Payload.$ and a legacy Resource task
    (CI, "SfnWriter", (("stepfunctions", "OrderMachine"),), "StepOrder", "os.system", "consumers.py", 41),
    (CI, "SfnWriter", (("stepfunctions", "OrderMachine"),), "StepLegacy", "eval", "consumers.py", 45),
    # SNS -> SQS -> Lambda fan-out; SNS FilterPolicy hit; SQS FilterCriteria hit
    (CI, "SnsWriter", (("sns", "FanoutTopic"),), "FanoutConsumer", "os.system", "consumers.py", 55),
    (CI, "SnsWriter", (("sns", "FilteredTopic"),), "SnsFilteredConsumer", "os.system", "consumers.py", 60),
    (CI, "SnsMaybeWriter", (("sns", "FilteredTopic"),), "SnsFilteredConsumer", "os.system", "consumers.py", 60),
    (CI, "JobsWriter", (("sqs", "JobsQueue"),), "JobsConsumer", "os.system", "consumers.py", 65),
    # DynamoDB batch_write_item and Table.batch_writer()
    (CI, "BatchWriter", (("dynamodb", "BatchTable"),), "BatchTableConsumer", "os.system", "consumers.py", 70),
    (CI, "BatchWriter", (("dynamodb", "WriterTable"),), "WriterTableConsumer", "subprocess.call", "consumers.py", 75),
    # S3 copy_object fires ObjectCreated:Copy
    (CI, "CopyWriter", (("s3", "CopyBucket"),), "CopyConsumer", "os.system", "consumers.py", 79),
    # IAM: only the writer whose role allows sqs:SendMessage
    (CI, "IamAllowedWriter", (("sqs", "IamQueue"),), "IamConsumer", "os.system", "consumers.py", 88),
    # three hops: HTTP -> EventBridge -> Lambda -> Kinesis -> Lambda -> sink
    (CI, "BusWriter", (("events", "OrdersBus"), ("kinesis", "ChainStream")), "ChainSink",
     "subprocess.check_output", "consumers.py", 98),
    # externally writable: public bucket policy, cross-account queue policy
    (CI, "PublicConsumer", (), "PublicConsumer", "os.system", "consumers.py", 102),
    (CI, "PartnerConsumer", (), "PartnerConsumer", "subprocess.run", "consumers.py", 111),
    # a presigned upload (POST) URL whose key derives from the request
    (CI, "UrlWriter", (("s3", "UploadsBucket"),), "UploadsConsumer", "os.system", "consumers.py", 120),
    # sanitizers' twins that do not clean
    ("path-traversal", "Sanitizers", (), "Sanitizers", "open", "sanitizers.py", 14),
    (CI, "Sanitizers", (), "Sanitizers", "os.system", "sanitizers.py", 38),
    (CI, "Sanitizers", (), "Sanitizers", "os.system", "sanitizers.py", 45),
    (CI, "Sanitizers", (), "Sanitizers", "os.system", "sanitizers.py", 52),
}


def test_every_hop_and_no_other_flow(hops):
    assert flows(hops) == EXPECTED
    assert hops.warnings == []


@pytest.mark.parametrize("negative", [
    "BillingRuleConsumer",  # EventPattern source app.billing: no put_events sends it
    "IdleWorker",           # never invoked
    "StepStatic",           # its task payload is a constant
    "PutOnlyConsumer",      # copy_object fires ObjectCreated:Copy, not :Put
    "PinnedConsumer",       # bucket policy admits a service principal and a SourceAccount-pinned '*'
    "OwnConsumer",          # queue policy admits only the template's own account
    "DownloadsConsumer",    # a presigned get_object URL writes nothing
])
def test_negative_twins_have_no_flow(hops, negative):
    assert by_sink_function(hops, negative) == []


@pytest.mark.parametrize("writer", ["SnsMissWriter", "JobsMissWriter"])
def test_filtered_writers_have_no_flow(hops, writer):
    assert by_source_function(hops, writer) == []


@pytest.mark.parametrize("writer", ["IamMissingWriter", "IamDeniedWriter"])
def test_writers_their_role_denies_have_latent_flows_only(hops, writer):
    found = by_source_function(hops, writer)
    assert found and all(f.latent.startswith("latent: would reach ") and not f.blocking for f in found)
    assert all(f"{writer}'s role were allowed sqs:SendMessage" in f.latent for f in found)


def test_unknown_filter_values_keep_the_edge_at_low_confidence(hops):
    [maybe] = by_source_function(hops, "SnsMaybeWriter")
    assert maybe.confidence == "low" and "may match (values not known statically)" in maybe.notes[0]
    sure = [f for f in by_source_function(hops, "SnsWriter") if f.sink_function.endswith("SnsFilteredConsumer")]
    assert [f.confidence for f in sure] == ["high"]


def test_kinesis_put_records_to_a_stream_without_consumer_has_no_edge(hops):
    [quiet] = [w for w in hops.plan.writes if w.api.method == "put_records"]
    assert quiet.edges == []


def test_externally_writable_resources(hops):
    assert set(hops.model.external) == {"hops/PublicBucket", "hops/PartnerQueue"}
    assert "anyone" in hops.model.external["hops/PublicBucket"]
    assert "111122223333" in hops.model.external["hops/PartnerQueue"]
    external = {(e.function, e.via) for e in hops.model.entry_points if e.kind == "ExternalResource"}
    assert external == {("hops/PublicConsumer", "PublicBucket"), ("hops/PartnerConsumer", "PartnerQueue")}


def test_explain_shows_graph_targets_and_every_pruning_decision(hops):
    text = "\n".join(explain_lines(hops, FIXTURES / "hops"))
    for expected in [
        "events:OrdersBus -> OrderRuleConsumer (events:PutEvents EventPattern=",
        "sns:FanoutTopic -> FanoutConsumer (sns:Publish) via FanoutSubscription -> FanoutQueue",
        "stepfunctions:OrderMachine -> StepOrder (states:StartExecution State=\"Order\")",
        "ExternalResource (PublicBucket) -> PublicConsumer",
        "PublicBucket: PublicBucketPolicy allows s3:PutObject to anyone (Principal *)",
        "OrdersBus -> BillingRuleConsumer: pruned, EventPattern {\"source\":[\"app.billing\"]} cannot match",
        "FilteredTopic -> SnsFilteredConsumer: pruned, FilterPolicy {\"kind\":[\"order\"]} cannot match",
        "JobsQueue -> JobsConsumer: pruned, FilterCriteria {\"body\":{\"type\":[\"job\"]}} cannot match",
        "PutOnlyBucket -> PutOnlyConsumer: s3:ObjectCreated:Copy is not one of ['s3:ObjectCreated:Put']; no edge",
        "IAM: IamQueue pruned when run as IamMissingWriter: no statement of the function's role allows "
        "sqs:SendMessage on IamQueue",
        "IAM: IamQueue pruned when run as IamDeniedWriter: explicitly denied by IamDeniedWriterRole",
        "s3.generate_presigned_post target env UPLOADS, key 'in/' + unknown",
        "src/sanitizers.py:23 name against '[A-Za-z0-9_-]{1,64}': trusted, sanitizes",
        "src/sanitizers.py:29 name against '[a-z0-9-]{1,40}': trusted, sanitizes",
        "src/sanitizers.py:43 name against '.+': not trusted",
    ]:
        assert expected in text, expected
    assert "generate_presigned_url" not in text  # a download URL is not a write


# --- units: filter language, IAM evaluation, regex allow-lists ------------------------------------


@pytest.mark.parametrize(("pattern", "event", "verdict"), [
    ({"source": ["app.orders"]}, {"source": "app.orders"}, YES),
    ({"source": ["app.orders"]}, {"source": "app.billing"}, NO),
    ({"source": ["app.orders"]}, {"source": UNKNOWN_VALUE}, MAYBE),
    ({"detail-type": [{"prefix": "Order"}]}, {"detail-type": "OrderPlaced"}, YES),
    ({"detail": {"kind": [{"anything-but": ["login"]}]}}, {"detail": {"kind": "login"}}, NO),
    ({"detail": {"kind": [{"exists": False}]}}, {"detail": {}}, YES),
    ({"body": {"type": ["job"]}}, {"body": JsonText({"type": "job"})}, YES),
    ({"body": {"type": ["job"]}}, {"body": JsonText({"type": "log"})}, NO),
    ({"n": [{"numeric": [">", 1]}]}, {"n": 5}, MAYBE),  # numeric matching is not decided statically
])
def test_filter_language(pattern, event, verdict):
    assert match(pattern, event) == verdict


def test_several_patterns_pass_when_one_matches():
    assert match_any([{"a": ["x"]}, {"a": ["y"]}], {"a": "y"}, "FilterCriteria")[0] == YES
    assert match_any([], {"a": "y"}, "FilterCriteria")[0] == YES


def _role(*statements):
    return {
        "Q": {"Type": "AWS::SQS::Queue"}, "Other": {"Type": "AWS::SQS::Queue"},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": list(statements)}}]}},
    }


_QUEUE = Target("Q", "q", "arn:aws:sqs:us-east-1:123456789012:q", ref_is_arn=False)


@pytest.mark.parametrize(("statements", "verdict"), [
    ([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Q", "Arn"]}}], "allow"),
    ([{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}], "allow"),
    ([{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}], "deny"),
    ([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Other", "Arn"]}}], "deny"),
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"},
      {"Effect": "Deny", "Action": "sqs:Send*", "Resource": "*"}], "deny"),
    ([{"Effect": "Allow", "NotAction": "sqs:DeleteQueue", "Resource": "*"}], "allow"),
    ([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::ImportValue": "x"}}], "unknown"),
    ([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Ref": "QueueArnParameter"}}], "unknown"),
    # IAM wildcards are only * and ?: "[" is literal (fnmatch would read a character class).
    ([{"Effect": "Allow", "Action": "sqs:Send?essage", "Resource": "arn:aws:sqs:us-east-1:123456789012:?"}], "allow"),
    ([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:[pq]"}],
     "deny"),
])
def test_iam_evaluation(statements, verdict):
    template = _role(*statements)
    perms = function_permissions(template["Fn"]["Properties"], template)
    assert evaluate(perms, "sqs:SendMessage", _QUEUE, _QUEUE.arn)[0] == verdict


def test_iam_role_outside_the_template_is_unknown_not_denied():
    perms = function_permissions({"Role": "arn:aws:iam::123456789012:role/shared"}, {})
    assert evaluate(perms, "sqs:SendMessage", _QUEUE, _QUEUE.arn)[0] == "unknown"


@pytest.mark.parametrize(("pattern", "trusted"), [
    (r"[A-Za-z0-9_-]{1,64}", True),
    (r"\d+", True),
    (r"(?:GET|POST)", True),
    (r".+", False),
    (r"[^;]+", False),
    (r"[a-z ]+", False),
    (r"[a-z./]+", False),
    (r"\w+", True),
    (r"\S+", False),
])
def test_regex_allow_lists(pattern, trusted):
    assert allow_list_verdict(pattern)[0] is trusted


def test_fixture_sources_are_untouched():
    # The scan instruments a copy: the fixture has no generated files next to it.
    assert not any(p.name.startswith("flowgate") or p.suffix == ".pyre" for p in Path(FIXTURES / "hops").rglob("*"))


def test_iam_cdk_grant_policy_attached_to_the_role():
    # What bucket.grant_put(fn) synthesizes: an AWS::IAM::Policy naming the function's role.
    template = {
        "Bucket": {"Type": "AWS::S3::Bucket"}, "Other": {"Type": "AWS::S3::Bucket"},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["FnServiceRole", "Arn"]}}},
        "FnServiceRole": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                               ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}]}},
        "FnServiceRoleDefaultPolicy": {"Type": "AWS::IAM::Policy", "Properties": {
            "Roles": [{"Ref": "FnServiceRole"}],
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectLegalHold",
                                                                            "s3:Abort*"],
                                              "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]},
                                                           {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]},
                                                                              "/*"]]}]}]}}},
    }
    perms = function_permissions(template["Fn"]["Properties"], template)
    bucket_arn = "arn:aws:s3:::<Bucket>"
    put = Target("Bucket", "<Bucket>", bucket_arn + "/uploads/a.png", ref_is_arn=False)
    other = Target("Other", "<Other>", "arn:aws:s3:::<Other>/a.png", ref_is_arn=False)
    assert evaluate(perms, "s3:PutObject", put, bucket_arn)[0] == "allow"
    assert evaluate(perms, "s3:PutObject", other, "arn:aws:s3:::<Other>")[0] == "deny"
    assert evaluate(perms, "s3:GetObject", put, bucket_arn)[0] == "deny"
