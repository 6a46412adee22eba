"""Untrusted entries without a function in between (issue 16, item 3, in part), end to end with the
real Pysa: API Gateway service integrations (REST OpenAPI ``type: aws`` and an HTTP API
``IntegrationSubtype``) and SES receipt rules make their targets' events attacker-controlled."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, flows

from gate.scan import scan

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def direct():
    return scan(FIXTURES / "direct")


def test_every_direct_write_is_an_untrusted_entry(direct):
    assert flows(direct) == {
        ("code-injection", "OrdersConsumer", (), "OrdersConsumer", "os.system", "consumers.py", 8),
        ("code-injection", "EventsConsumer", (), "EventsConsumer", "subprocess.run", "consumers.py", 13),
        ("code-injection", "MailStoredFunction", (), "MailStoredFunction", "os.system", "mail.py", 6),
        ("code-injection", "MailHookFunction", (), "MailHookFunction", "os.system", "mail.py", 11),
    }
    assert all(direct.model.entry_kinds(f.source_function) == ["ExternalResource"] for f in direct.findings)


def test_why_each_resource_is_written_from_outside(direct):
    why = {key.split("/")[1]: text for key, text in direct.model.external.items()}
    assert set(why) == {"OrdersQueue", "EventsQueue", "MailBucket"}  # not InternalQueue
    assert why["OrdersQueue"].startswith("API Gateway service integration OrdersApi")
    assert why["EventsQueue"].startswith("API Gateway service integration EventsIntegration")
    assert why["MailBucket"] == "SES receipt rule MailRule delivers internet mail to it"
    assert not [f for f in direct.findings if f.sink_function.endswith("/InternalConsumer")]
