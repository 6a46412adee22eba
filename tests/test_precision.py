"""Precision of sinks and sanitizers (issue 16, item 7), end to end with the real Pysa: list-form
process calls without a shell, and literal allow-lists of values (guard and conditional)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from gate.report.text import explain_lines
from gate.scan import scan

pytestmark = pytest.mark.e2e

APP = FIXTURES / "precision"


@pytest.fixture(scope="module")
def precision():
    return scan(APP)


def test_only_the_unsafe_process_calls_are_flows(precision):
    lines = (APP / "src" / "media.py").read_text().splitlines()
    unsafe = {i + 1 for i, line in enumerate(lines) if line.rstrip().endswith(tuple(
        f"# unsafe{rest}" for rest in (": the program itself comes from the request", ": a shell runs it as code",
                                       ": shell=True", ": not the checked value")))}
    assert len(unsafe) == 4
    assert {f.sink.line for f in precision.findings} == unsafe
    assert {f.sink_callable for f in precision.findings} == {"subprocess.run"}  # never the copy's helper
    assert all(f.rule.name == "code-injection" and f.blocking for f in precision.findings)


def test_explain_lists_the_allow_lists(precision):
    text = "\n".join(explain_lines(precision, APP))
    assert "size against 'in SIZES (2 literal value(s))': trusted, sanitizes" in text
    assert "mode against 'in a literal (2 literal value(s))': trusted, sanitizes" in text
