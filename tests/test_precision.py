"""Precision of sinks and sanitizers (issue 16, items 7 and 8), end to end with the real Pysa:
list-form process calls without a shell, literal allow-lists of values (guard and conditional), and
the models that were missing (exception text, urllib3, httpx, Step Functions tasks by name)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, by_source_function, flows

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
    media = by_source_function(precision, "MediaFunction")
    assert len(unsafe) == 4
    assert {f.sink.line for f in media} == unsafe
    assert {f.sink_callable for f in media} == {"subprocess.run"}  # never the copy's helper
    assert all(f.rule.name == "code-injection" and f.blocking for f in media)


def test_models_for_exception_text_http_clients_and_tasks_by_name(precision):
    models = {f for f in flows(precision) if f[1] in ("ModelsFunction", "ErrorsFunction")}
    assert models == {
        ("ssrf", "ModelsFunction", (), "ModelsFunction", "urllib3.poolmanager.PoolManager.request", "models.py", 18),
        ("ssrf", "ModelsFunction", (), "ModelsFunction", "urllib3.request", "models.py", 19),
        ("ssrf", "ModelsFunction", (), "ModelsFunction", "httpx.get", "models.py", 20),
        ("ssrf", "ModelsFunction", (), "ModelsFunction", "httpx.Client.post", "models.py", 22),
        ("information-leakage", "ErrorsFunction", (), "ErrorsFunction", "HTTP response", "models.py", 33),
        ("information-leakage", "ModelsFunction", (), "ModelsFunction", "HTTP response", "models.py", 25),
        # a task naming its function by FunctionName, and one through DefinitionSubstitutions
        ("code-injection", "ModelsFunction", (("stepfunctions", "Pipeline"),), "NotifierFunction", "os.system",
         "tasks.py", 7),
        ("code-injection", "ModelsFunction", (("stepfunctions", "Pipeline"),), "ArchiverFunction", "os.system",
         "tasks.py", 11),
    }
    leaks = [f for f in precision.findings if f.rule.name == "information-leakage"]
    # repr(error) of the except-bound name is; str(int(...)) of the request is not (a model of
    # BaseException.__repr__ made it so, through object's override graph)
    assert sorted((f.sink.line, f.source.message) for f in leaks) == [
        (25, "exception text (repr)"), (33, "exception text (traceback.format_tb)")]


def test_explain_lists_the_allow_lists(precision):
    text = "\n".join(explain_lines(precision, APP))
    assert "size against 'in SIZES (2 literal value(s))': trusted, sanitizes" in text
    assert "mode against 'in a literal (2 literal value(s))': trusted, sanitizes" in text
