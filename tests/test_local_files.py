"""A function's local files written and read back (issue 16 item 6), end to end with the real Pysa:
what the request writes to /tmp and reads back through a helper reaches the stream consumer; a
read of another literal path does not; ``open`` of a client-chosen path is path traversal at the
user's own line (never in generated code), and ``os.path.basename`` sanitizes it."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, flows

from gate.scan import scan

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local():
    return scan(FIXTURES / "local_files")


def test_what_a_function_writes_to_a_file_and_reads_back_is_followed(local):
    assert flows(local) == {
        ("code-injection", "ImportFunction", (("local-file", "ImportFunction"), ("dynamodb", "JobsTable")),
         "RunnerFunction", "os.system", "runner.py", 6),
        ("path-traversal", "ImportFunction", (), "ImportFunction", "open", "importer.py", 20),
    }
    flow = next(f for f in local.findings if f.rule.name == "code-injection")
    assert flow.confidence == "high" and flow.hops[0].note == "same file written and read"
    messages = [s.message for s in flow.steps]
    assert "writes a local file (opened at line 16)" in messages
    assert any(m.startswith("ImportFunction reads back a local file it writes (path '/tmp/import.csv')")
               for m in messages)


def test_no_step_points_into_generated_code(local):
    for f in local.findings:
        assert all(s.file is not None and (FIXTURES / "local_files") in s.file.parents for s in f.steps), f.steps


def test_a_read_of_another_literal_file_is_not_joined(local):
    assert not [f for f in local.findings if "Report" in (f.source_function or "")]
    reads = [s for s in local.plan.content.sites if s.api.service == "file" and s.module.path.name == "reporter.py"]
    assert reads == []  # '/tmp/last-request.txt' is written, '/tmp/report-template.txt' read: no join
