"""Writes whose record is built before the call (issue 16, item 0), end to end with the real Pysa:
each hop carries the taint of a value assigned first, and only of the fields that hold request data."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, flows

from gate.scan import scan

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built():
    return scan(FIXTURES / "built_values")


def test_every_hop_carries_a_value_built_first(built):
    assert flows(built) == {
        ("code-injection", "ApiFunction", (("dynamodb", "Orders"),), "OrdersConsumer", "os.system", "app.py", 7),
        ("code-injection", "ApiFunction", (("dynamodb", "Shipments"),), "ShipmentsConsumer", "os.system", "app.py", 6),
        ("code-injection", "ApiFunction", (("dynamodb", "Ledger"),), "LedgerConsumer", "subprocess.call", "app.py", 7),
        ("code-injection", "ApiFunction", (("sqs", "Jobs"),), "JobsConsumer", "os.system", "app.py", 8),
        ("ssrf", "ApiFunction", (("sns", "Alerts"),), "AlertsConsumer", "requests.api.get", "app.py", 8),
        ("path-traversal", "ApiFunction", (("events", "Bus"),), "BusConsumer", "open", "app.py", 2),
        ("sql-injection", "ApiFunction", (("kinesis", "Clicks"),), "ClicksConsumer", "sqlite3.Connection.execute",
         "app.py", 11),
        ("code-injection", "ApiFunction", (("s3", "Uploads"),), "UploadsConsumer", "subprocess.run", "app.py", 6),
    }


def test_fields_without_request_data_stay_clean(built):
    # OrdersConsumer line 8 reads "qty" (a constant), LedgerConsumer line 8 reads "source" (a constant)
    assert not [f for f in built.findings if f.sink.line == 8 and f.sink_function.endswith(("/OrdersConsumer",
                                                                                           "/LedgerConsumer"))]
    assert all(f.confidence == "high" for f in built.findings)
