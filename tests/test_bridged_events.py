"""Writes that reach consumers through a second service (issue 16 item 3), end to end with the real Pysa: a
bucket with ``EventBridgeConfiguration`` feeds the default bus's rules with ``source: aws.s3``; the
handler gets the EventBridge event shape (``detail.object.key``); a rule for another key prefix and a
rule for a bucket without EventBridge delivery are not reached."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, flows

from gate.scan import scan

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bridged():
    return scan(FIXTURES / "s3_eventbridge")


def test_s3_events_through_eventbridge_reach_the_rules_target(bridged):
    assert flows(bridged) == {
        ("code-injection", "UploadFunction", (("s3", "Inbox"),), "ProcessFunction", "os.system", "app.py", 15)}
    triggers = {(t.source.split("/")[1], t.function.split("/")[1], t.events, t.prefix, t.via)
                for t in bridged.model.triggers if t.service == "s3"}
    assert triggers == {("Inbox", "ProcessFunction", ("s3:ObjectCreated:*",), "incoming/", "ProcessFunctionCreated"),
                        ("Inbox", "ArchiveFunction", ("s3:*",), "archive/", "ArchiveFunctionArchived")}
    (flow,) = bridged.findings
    assert flow.steps[2].message == ("ProcessFunction triggered by s3:Inbox through EventBridge rule "
                                     "ProcessFunctionCreated")
    decisions = [d for w in bridged.plan.writes for d in w.decisions]
    assert "Inbox -> ArchiveFunction: pruned, key prefix 'incoming/' cannot match prefix 'archive/'" in decisions


def test_a_tables_kinesis_streaming_destination_feeds_the_streams_consumers():
    """A table with ``KinesisStreamSpecification`` puts every change into the stream, as a Kinesis
    record whose data is the change in JSON; the consumer of another stream is not reached."""
    result = scan(FIXTURES / "ddb_kinesis")
    assert flows(result) == {
        ("code-injection", "ApiFunction", (("dynamodb", "Orders"),), "ChangesFunction", "os.system", "app.py", 18)}
    (trigger,) = [t for t in result.model.triggers if t.service == "dynamodb"]
    assert trigger.function.endswith("/ChangesFunction") and trigger.details["KinesisDestination"] == "Changes"
