"""IAM-pruned flows are never silent (issue 16): a flow through a write the function's role may not
make is analysed and reported as latent — a non-blocking note saying what permission would make it
real — in the text, JSON and SARIF reports; the gate passes."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, flows

from gate.report.registry import FORMATS
from gate.scan import scan

pytestmark = pytest.mark.e2e

APP = FIXTURES / "latent"


@pytest.fixture(scope="module")
def latent():
    return scan(APP)


def test_a_denied_write_makes_a_latent_flow_not_a_blocking_one(latent):
    assert flows(latent) == set()
    assert flows(latent, latent=True) == {
        ("code-injection", "SubmitFunction", (("sqs", "JobsQueue"),), "WorkerFunction", "subprocess.run",
         "worker.py", 6)}
    (f,) = latent.findings
    assert not f.blocking and latent.blocking == []
    assert f.latent == ("latent: would reach subprocess.run if SubmitFunction's role were allowed sqs:SendMessage "
                        "on JobsQueue")
    write = latent.plan.writes[0]
    assert any(d.startswith("IAM: JobsQueue pruned when run as SubmitFunction") for d in write.decisions)
    assert any(d.startswith("latent edge -> JobsQueue -> WorkerFunction") for d in write.decisions)


def test_every_report_says_latent(latent):
    text = FORMATS["text"].render(latent, APP, False, False)
    assert "[latent] Code injection" in text and "note    latent: would reach subprocess.run" in text
    assert "1 latent (a role denies a write on the way)" in text.splitlines()[-1]
    doc = json.loads(FORMATS["json"].render(latent, APP, False, False))
    assert doc["findings"][0]["latent"].startswith("latent: would reach") and not doc["findings"][0]["blocking"]
    sarif = json.loads(FORMATS["sarif"].render(latent, APP, False, False))
    result = sarif["runs"][0]["results"][0]
    assert result["level"] == "note" and result["properties"]["latent"].startswith("latent:")
