"""The bundled samples, end to end with the real Pysa: the vulnerable app blocks, its twin passes."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SAMPLES, flows, tree_digest


def test_vulnerable_sample_has_every_cross_service_flow(vulnerable):
    got = flows(vulnerable)
    expected = {
        ("code-injection", "OrdersApiFunction", (("s3", "UploadBucket"),), "ThumbnailFunction", "subprocess.run",
         "app.py", 7),
        ("sql-injection", "OrdersApiFunction", (("sqs", "ReportQueue"),), "ReportFunction",
         "sqlite3.Cursor.execute", "app.py", 12),
        ("ssrf", "OrdersApiFunction", (("dynamodb", "OrdersTable"),), "NotifyFunction", "urllib.request.urlopen",
         "app.py", 10),
        ("code-injection", "OrdersApiFunction", (("sns", "AuditTopic"),), "AuditFunction", "os.system", "app.py", 8),
        ("insecure-deserialization", "OrdersApiFunction", (), "OrdersApiFunction", "_pickle.loads", "app.py", 39),
        ("information-leakage", "OrdersApiFunction", (), "OrdersApiFunction", "HTTP response", "app.py", 42),
        # two hops through services beyond the basic four: EventBridge rule -> Lambda -> Kinesis -> Lambda
        ("ssrf", "OrdersApiFunction", (("events", "OrderEventsBus"), ("kinesis", "ShipmentStream")),
         "LabelFunction", "urllib.request.urlopen", "app.py", 12),
    }
    assert got == expected


def test_vulnerable_sample_traces_and_severity(vulnerable):
    s3_flow = next(f for f in vulnerable.findings if f.hops and f.hops[0].service == "s3")
    kinds = [s.kind for s in s3_flow.steps]
    assert kinds == ["source", "call", "write", "trigger", "call", "sink"]
    # Every step points at the user's own files, never at the instrumented copy.
    assert all(s.file and SAMPLES in s.file.parents for s in s3_flow.steps)
    assert s3_flow.steps[2].file.name == "app.py" and s3_flow.steps[2].line == 23  # the put_object call
    assert s3_flow.confidence == "high" and s3_flow.hops[0].confidence == "resolved"
    assert s3_flow.severity == "critical" and s3_flow.blocking
    leak = next(f for f in vulnerable.findings if f.rule.category == "information-leakage")
    assert leak.severity == "medium" and not leak.blocking
    assert len(vulnerable.blocking) == 6


def test_safe_twin_exercises_the_same_plumbing_without_flows(vulnerable, safe):
    assert safe.findings == []
    def edges(r):
        return sorted((w.api.label, tuple(sorted((e.trigger.source.split("/")[1], e.trigger.function.split("/")[1],
                                                  e.confidence) for e in w.edges))) for w in r.plan.writes)

    # Same six SDK writes, each resolved to the same trigger edge as in the vulnerable app.
    assert [e for e in edges(safe) if e[1]] == [e for e in edges(vulnerable) if e[1]]
    assert len([w for w in safe.plan.writes if w.edges]) == 6




def _flowgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate", *args], capture_output=True, text=True, check=False)


def test_cli_sarif_exit_codes_and_untouched_tree(tmp_path):
    from sarif_pydantic import Sarif

    before = tree_digest(SAMPLES)
    out = tmp_path / "results.sarif"
    proc = _flowgate("scan", str(SAMPLES / "sam-vulnerable"), "--format", "sarif", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(out.read_text())
    Sarif.model_validate(doc)  # SARIF 2.1.0 object model
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    assert len(results) == 7
    s3 = next(r for r in results if any(h["service"] == "s3" for h in r["properties"]["hops"]))
    assert s3["level"] == "error"
    assert s3["properties"]["sourceFunction"] == "OrdersApiFunction"
    assert s3["properties"]["sinkFunction"] == "ThumbnailFunction"
    assert s3["properties"]["category"] == "code-injection"
    assert s3["properties"]["hops"][0] == {"service": "s3", "resource": "UploadBucket", "api": "s3.put_object",
                                            "from": "OrdersApiFunction", "to": "ThumbnailFunction",
                                            "confidence": "resolved"}
    loc = s3["locations"][0]["physicalLocation"]
    # relative to the repository root (the checkout's git top level), as code scanning resolves them
    assert loc["artifactLocation"] == {"uri": "samples/sam-vulnerable/src/thumbnail/app.py", "uriBaseId": "SRCROOT"}
    assert loc["region"]["startLine"] == 7
    steps = s3["codeFlows"][0]["threadFlows"][0]["locations"]
    first = steps[0]["location"]["physicalLocation"]["artifactLocation"]["uri"]
    assert first == "samples/sam-vulnerable/src/orders/app.py"
    assert steps[-1]["location"]["physicalLocation"]["region"]["startLine"] == 7
    leak = next(r for r in results if r["ruleId"] == "FG-INFORMATION-LEAKAGE")
    assert leak["level"] == "warning"
    assert tree_digest(SAMPLES) == before  # the user's tree is never written


def test_cli_safe_text_and_json(tmp_path):
    proc = _flowgate("scan", str(SAMPLES / "sam-safe"))
    assert proc.returncode == 0, proc.stderr
    assert "0 flow(s), 0 blocking" in proc.stdout
    out = tmp_path / "r.json"
    proc = _flowgate("scan", str(SAMPLES / "sam-vulnerable"), "--format", "json", "--output", str(out))
    assert proc.returncode == 1
    doc = json.loads(out.read_text())
    assert doc["summary"] == {"flows": 7, "blocking": 6, "suppressed": 0, "baselined": 0, "functions_analysed": 7,
                              "sdk_writes": 6}
    chains = sorted(f["chain"] for f in doc["findings"])
    assert ("HttpApi → OrdersApiFunction → s3:UploadBucket → ThumbnailFunction → subprocess.run at "
            "src/thumbnail/app.py:7") in chains


def test_cli_text_report_names_each_hop():
    proc = _flowgate("scan", str(SAMPLES / "sam-vulnerable"), "--explain")
    assert proc.returncode == 1
    assert "HttpApi → OrdersApiFunction → sqs:ReportQueue → ReportFunction → sqlite3.Cursor.execute at " \
           "src/reports/app.py:12" in proc.stdout
    assert "Trigger graph:" in proc.stdout and "s3:UploadBucket -> ThumbnailFunction" in proc.stdout
    assert "edge -> UploadBucket -> ThumbnailFunction [resolved" in proc.stdout


# --- the Serverless Framework samples (issue 19) --------------------------------------------------

def test_sls_vulnerable_sample_blocks_on_both_chains(sls_vulnerable):
    assert flows(sls_vulnerable) == {
        ("code-injection", "SubmitOrderLambdaFunction",
         (("sqs", "OrdersQueue"), ("s3", "S3BucketInvoicesdevdocuments")),
         "RenderInvoiceLambdaFunction", "subprocess.run", "invoices.py", 9),
        ("ssrf", "SubmitOrderLambdaFunction", (("sqs", "OrdersQueue"), ("dynamodb", "OrdersTable")),
         "NotifyCustomerLambdaFunction", "urllib.request.urlopen", "notify.py", 9),
    }
    assert all(f.blocking and f.confidence == "high" for f in sls_vulnerable.findings)
    assert sls_vulnerable.model.display_name(sls_vulnerable.findings[0].source_function) == "submitOrder"
    # the schedule-triggered report shells out too, but nothing untrusted starts it
    nightly = sls_vulnerable.model.functions["invoices/NightlyReportLambdaFunction"]
    assert sls_vulnerable.model.entry_kinds(nightly.key) == []


def test_sls_safe_twin_has_the_same_edges_and_no_flow(sls_vulnerable, sls_safe):
    assert sls_safe.findings == []

    def edges(result):
        return sorted((w.file.name, w.line, tuple(e.trigger.function.split("/")[1] for e in w.edges))
                      for w in result.plan.writes)

    assert edges(sls_safe) == edges(sls_vulnerable)
    assert len([w for w in sls_safe.plan.writes if w.edges]) == 3


def test_sls_sample_gates_from_the_command_line():
    proc = _flowgate("scan", str(SAMPLES / "sls-vulnerable"), "-q")
    assert proc.returncode == 1, proc.stderr
    assert "Api → submitOrder → sqs:OrdersQueue → processOrder" in proc.stdout
    proc = _flowgate("scan", str(SAMPLES / "sls-safe"), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # --stage prod: the stage is in the bucket's name; config/prod.yml does not exist, so the region
    # and the report's schedule are unknown (warnings), never an error and never a guess
    proc = _flowgate("scan", str(SAMPLES / "sls-vulnerable"), "--stage", "prod", "--param", "unused=1")
    assert proc.returncode == 1, proc.stderr
    assert "s3:S3BucketInvoicesproddocuments → renderInvoice" in proc.stdout
    assert proc.stdout.count("file(./config/prod.yml) does not exist here") == 1
