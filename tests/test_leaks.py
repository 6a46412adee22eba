"""Exception text returned to the HTTP caller (issue 16 item 8), end to end with the real Pysa:
``repr(exc)`` and ``traceback.print_exc(file=buf)`` then ``buf.getvalue()`` are exception text;
written only to the log, they are not a flow."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, flows

from gate.scan import scan

pytestmark = pytest.mark.e2e


def test_exception_text_in_every_form_is_a_leak():
    result = scan(FIXTURES / "leaks")
    assert flows(result) == {
        ("information-leakage", "A", (), "A", "HTTP response", "app.py", 10),
        ("information-leakage", "B", (), "B", "HTTP response", "app.py", 19),
    }
    sources = sorted(f.source.message for f in result.findings)
    assert sources == ["exception text (repr)", "exception text (traceback.print_exc)"]
    assert all(f.source.file.name == "app.py" for f in result.findings)
