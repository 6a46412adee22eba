"""S3 object events delivered through EventBridge (issue 16 item 3), end to end with the real Pysa: a
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
