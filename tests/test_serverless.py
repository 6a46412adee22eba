"""Serverless Framework services end to end with the real Pysa (issue 19): one service with every
event kind and variable form the gate reads (``tests/fixtures/sls_events``), analysed once."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import FIXTURES, flows

from gate.policy.load import default_policy
from gate.policy.types import Suppression
from gate.report.registry import FORMATS
from gate.scan import scan
from gate.verdict.triage import triage

pytestmark = pytest.mark.e2e

APP = FIXTURES / "sls_events"


@pytest.fixture(scope="module")
def events():
    return scan(APP)


def test_every_event_kind_gates_its_flow(events):
    assert flows(events) == {
        ("code-injection", "CreateOrderLambdaFunction", (("s3", "S3BucketSlseventsdevuploads"),),
         "MakeThumbnailLambdaFunction", "os.system", "orders.py", 17),
        ("code-injection", "EnqueueJobLambdaFunction", (("sqs", "JobsQueue"),), "RunJobLambdaFunction",
         "subprocess.run", "jobs.py", 16),
        ("code-injection", "PublishAuditLambdaFunction", (("sns", "SNSTopicAudit"),), "AuditSinkLambdaFunction",
         "eval", "audit.py", 15),
        ("code-injection", "SaveProfileLambdaFunction", (("dynamodb", "ProfilesTable"),),
         "ProfileStreamLambdaFunction", "os.popen", "profiles.py", 16),
        ("insecure-deserialization", "AlbHandlerLambdaFunction", (("kinesis", "EventsStream"),),
         "KinesisConsumerLambdaFunction", "_pickle.loads", "streams.py", 17),
        ("ssrf", "CognitoTriggerLambdaFunction", (("events", "AppDashbusEventBridgeEventBus"),),
         "BusConsumerLambdaFunction", "requests.api.get", "signup.py", 17),
        ("code-injection", "IotHandlerLambdaFunction", (), "IotHandlerLambdaFunction", "subprocess.call",
         "devices.py", 6),
        ("code-injection", "LogHandlerLambdaFunction", (), "LogHandlerLambdaFunction", "os.system", "devices.py", 10),
        ("code-injection", "LegacyImportLambdaFunction", (), "LegacyImportLambdaFunction", "os.system",
         "devices.py", 18),
        ("code-injection", "KafkaConsumerLambdaFunction", (), "KafkaConsumerLambdaFunction", "os.system",
         "devices.py", 23),
        ("code-injection", "StepWorkerLambdaFunction", (), "StepWorkerLambdaFunction", "os.system", "devices.py", 27),
    }
    assert all(f.blocking for f in events.findings)


def test_entry_kinds_come_from_the_events(events):
    kinds = {fn.key.split("/")[1]: events.model.entry_kinds(fn.key) for fn in events.model.functions.values()}
    assert kinds["CreateOrderLambdaFunction"] == ["Api"]
    assert kinds["EnqueueJobLambdaFunction"] == ["HttpApi"]
    assert kinds["PublishAuditLambdaFunction"] == ["FunctionUrl"]
    assert kinds["SaveProfileLambdaFunction"] == ["WebSocket"]
    assert kinds["AlbHandlerLambdaFunction"] == ["ALB"]
    assert kinds["CognitoTriggerLambdaFunction"] == ["Cognito"]
    assert kinds["IotHandlerLambdaFunction"] == ["IoT"]
    assert kinds["LogHandlerLambdaFunction"] == ["CloudWatchLogs"]
    for external in ("LegacyImportLambdaFunction", "KafkaConsumerLambdaFunction", "StepWorkerLambdaFunction"):
        assert kinds[external] == ["ExternalResource"], external
    # triggered only by the app's own resources or a schedule: not entries
    for internal in ("MakeThumbnailLambdaFunction", "RunJobLambdaFunction", "AuditSinkLambdaFunction",
                     "ProfileStreamLambdaFunction", "KinesisConsumerLambdaFunction", "BusConsumerLambdaFunction",
                     "NightlyLambdaFunction"):
        assert kinds[internal] == [], internal
    why = {key.split("/")[1]: text for key, text in events.model.external.items()}
    assert "exists outside this service" in why["S3BucketLegacydropzone"]


def test_the_schedule_is_trusted_and_the_denied_role_is_pruned(events):
    assert not [f for f in events.findings if "Nightly" in (f.source_function or "")]
    # deniedEnqueue runs the same handler as enqueueJob, but its own role (iam-roles-per-function
    # plugin) may not send to the queue: it is not named as an entry of the queue flow
    assert not [f for f in events.findings if "DeniedEnqueue" in (f.source_function or "")]
    write = next(w for w in events.plan.writes if w.api.method == "send_message")
    assert any("pruned when run as DeniedEnqueueLambdaFunction" in d for d in write.decisions)


def test_reports_name_the_framework_function_keys(events):
    text = FORMATS["text"].render(events, APP, False, False)
    assert "Api → createOrder → s3:S3BucketSlseventsdevuploads → makeThumbnail → os.system" in text
    assert "[kafkaConsumer]" in text
    doc = json.loads(FORMATS["json"].render(events, APP, False, False))
    assert {f["source_name"] for f in doc["findings"]} >= {"createOrder", "kafkaConsumer", "albHandler"}
    assert {f["sink_name"] for f in doc["findings"]} >= {"makeThumbnail", "runJob"}
    # baselines hold across checkouts: fingerprints name the function keys, never the folder
    assert {events.model.stable_name(f.sink_function) for f in events.findings} >= {"makeThumbnail", "runJob"}


def test_suppressions_name_function_keys(events):
    policy = dataclasses.replace(default_policy(), suppressions=(
        Suppression("code-injection", "jobs run trusted commands only", function="runJob"),))
    findings = [dataclasses.replace(f, notes=list(f.notes)) for f in events.findings]
    triage(findings, events.model, policy)
    suppressed = {f.sink_function.split("/")[1] for f in findings if f.suppressed_by is not None}
    assert suppressed == {"RunJobLambdaFunction"}


def test_deploy_time_values_are_unknown_not_guessed(events):
    stack = events.model.stacks[0]
    params = stack.template["Parameters"]
    assert [p["Description"] for p in params.values()] == [
        "${ssm:/sls-events/secret-name} (known only when the service is deployed)"]
    env = events.model.functions["sls-events/StepWorkerLambdaFunction"].env["SECRET_NAME"]
    assert env.resource is None and env.literal is None
