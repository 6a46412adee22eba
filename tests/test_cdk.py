"""CDK integration end to end: the real CDK CLI (`node_modules/.bin/cdk`, installed by scripts/setup.sh)
and plain `python app.py` synthesize the CDK samples with `FlowGate.enable(app)`; the real Pysa runs
inside the policy-validation plugin. Each app is synthesized once per session (~10 s each)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SAMPLES, tree_digest

from gate.policy.load import find_policy
from gate.scan import scan

CDK = ROOT / "node_modules" / ".bin" / "cdk"
ENV = {
    **os.environ,
    # cdk.json runs `python3 app.py`: the venv's interpreter, which has aws-cdk-lib and flowgate.
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "NO_COLOR": "1",
}


@dataclass
class Synth:
    app: Path
    code: int
    out: str  # stdout + stderr: the CLI and the app print to both
    sources_before: str

    @property
    def report_dir(self) -> Path:
        return self.app / "cdk.out" / "flowgate"

    def report(self) -> dict:
        return json.loads((self.report_dir / "report.json").read_text())

    def flowgate_lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("flowgate:")]


def _run(src: Path, tmp: Path, command: list[str], env: dict[str, str] | None = None) -> Synth:
    app = tmp / src.name
    shutil.copytree(src, app, ignore=shutil.ignore_patterns("cdk.out"))
    before = _digest(app)
    proc = subprocess.run(command, cwd=app, env={**ENV, **(env or {})}, capture_output=True, text=True,
                          check=False, timeout=600)
    return Synth(app, proc.returncode, proc.stdout + proc.stderr, before)


def _cdk_synth(src: Path, tmp: Path) -> Synth:
    return _run(src, tmp, [str(CDK), "synth", "--quiet", "--no-notices"])


def _line(path: Path, text: str) -> int:
    """The line of ``text`` in ``path``, so the assertions do not hard-code line numbers."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _digest(app: Path) -> str:
    """Everything in the project except the cloud assembly the synthesis writes."""
    return " ".join(f"{p.name}:{tree_digest(p) if p.is_dir() else p.read_bytes().hex()}"
                    for p in sorted(app.iterdir()) if p.name != "cdk.out")


def _sources_unchanged(s: Synth) -> bool:
    return _digest(s.app) == s.sources_before


@pytest.fixture(scope="session")
def vulnerable_synth(tmp_path_factory) -> Synth:
    return _cdk_synth(SAMPLES / "cdk-vulnerable", tmp_path_factory.mktemp("cdk-vulnerable"))


@pytest.fixture(scope="session")
def safe_synth(tmp_path_factory) -> Synth:
    return _cdk_synth(SAMPLES / "cdk-safe", tmp_path_factory.mktemp("cdk-safe"))


@pytest.fixture(scope="session")
def features_synth(tmp_path_factory) -> Synth:
    return _cdk_synth(FIXTURES / "cdk_features", tmp_path_factory.mktemp("cdk-features"))


def test_cdk_synth_of_the_vulnerable_sample_is_blocked(vulnerable_synth):
    s = vulnerable_synth
    assert s.code != 0, s.out[-3000:]
    assert "Traceback" not in s.out
    src = s.app / "src" / "orders"
    thumb = _line(src / "thumbnail.py", "subprocess.run")
    sql = _line(src / "reports.py", "cursor.execute")
    ssrf = _line(src / "notify.py", "urlopen")
    # Each flow: rule, severity, source and sink construct paths, hop chain, original sink file:line.
    expected = [
        ("critical", "code-injection", "Api → OrdersStack/OrdersApi → s3:OrdersStack/Uploads → OrdersStack/Thumbnail → "
         f"subprocess.run at src/orders/thumbnail.py:{thumb}"),
        ("high", "sql-injection", "Api → OrdersStack/OrdersApi → sqs:OrdersStack/ReportQueue → OrdersStack/ReportWorker"
         f" → sqlite3.Cursor.execute at src/orders/reports.py:{sql}"),
        # A stream consumer in another stack, wired by a cross-stack reference (Fn::ImportValue).
        ("high", "ssrf", "Api → OrdersStack/OrdersApi → dynamodb:OrdersStack/Orders → NotifyStack/Notifier → "
         f"urllib.request.urlopen at src/orders/notify.py:{ssrf}"),
    ]
    for severity, rule, chain in expected:
        assert f"flowgate: [{severity}] {rule}: " in s.out and chain in s.out, (rule, s.out[-4000:])
    # Each flow is printed in full: source and sink steps with their functions.
    api = _line(src / "api.py", "def handler")
    assert (f"flowgate:   source src/orders/api.py:{api} [OrdersStack/OrdersApi]  untrusted event") in s.out
    assert (f"flowgate:   sink   src/orders/thumbnail.py:{thumb} [OrdersStack/Thumbnail]  reaches subprocess.run"
            in s.out)
    assert "flowgate:   functions: OrdersStack/OrdersApi -> NotifyStack/Notifier" in s.out
    assert "cdk.out/asset." not in s.out  # findings point at the user's sources, not asset copies
    summary = [line for line in s.flowgate_lines() if "BLOCKED" in line]
    assert len(summary) == 1
    assert "3 flow(s), 3 blocking; 4 Python function(s) in 2 stack(s) analysed" in summary[0]
    assert "1 skipped (OrdersStack/Health: runtime nodejs22.x is not Python)" in summary[0]
    assert "BucketNotificationsHandler" not in summary[0]  # CDK's own handler is not news
    assert _sources_unchanged(s)


def test_cdk_reports_are_written_into_the_cloud_assembly(vulnerable_synth):
    from sarif_pydantic import Sarif

    d = vulnerable_synth.report_dir
    report = vulnerable_synth.report()
    assert report["summary"]["blocking"] == 3 and report["complete"] is True
    rules = sorted(f["rule"] for f in report["findings"])
    assert rules == ["code-injection", "sql-injection", "ssrf"]
    sarif = Sarif.model_validate_json((d / "report.sarif").read_text())
    results = sarif.runs[0].results or []
    assert len(results) == 3
    uris = {r.locations[0].physical_location.artifact_location.uri for r in results}
    assert uris == {"src/orders/thumbnail.py", "src/orders/reports.py", "src/orders/notify.py"}
    html = (d / "report.html").read_text()
    assert "OrdersStack/Thumbnail" in html and "<script" in html
    assert "OrdersStack/Thumbnail" in (d / "report.txt").read_text()
    # CDK received the violations: its own validation report names the constructs.
    cdk_report = json.loads((d.parent / "validation-report.json").read_text())
    ours = next(r for r in cdk_report["pluginReports"] if r["pluginName"] == "flowgate")
    assert ours["conclusion"] == "failure"
    paths = {c["constructPath"] for v in ours["violations"] for c in v["violatingConstructs"]}
    assert paths == {"OrdersStack/Thumbnail/Resource", "OrdersStack/ReportWorker/Resource",
                     "NotifyStack/Notifier/Resource"}
    index = json.loads((d / "constructs.json").read_text())
    orders = index["templates"]["OrdersStack.template.json"]
    assert "OrdersStack/Thumbnail/Resource" in orders["construct_paths"].values()
    assert set(map(Path, orders["code_dirs"].values())) == {(vulnerable_synth.app / "src").resolve(),
                                                            (vulnerable_synth.app / "health").resolve()}


def test_plain_python_app_py_is_blocked_without_a_traceback(tmp_path):
    s = _run(SAMPLES / "cdk-vulnerable", tmp_path, [sys.executable, "app.py"])
    assert s.code == 1, s.out[-3000:]
    assert "Traceback" not in s.out and "JavaScriptError" not in s.out
    assert "flowgate: synthesis blocked (exit 1)" in s.out
    # Without `cdk synth` templates carry no construct-path metadata: the aspect supplied them.
    assert "OrdersStack/OrdersApi → s3:OrdersStack/Uploads → OrdersStack/Thumbnail" in s.out
    assert "3 flow(s), 3 blocking" in s.out
    assert "(CWE-89)" in s.out and "(CWE-918)" in s.out
    assert "flowgate:   sink   src/orders/thumbnail.py:" in s.out
    # the assembly is a temporary directory CDK deletes: the reports are in the project instead
    assert "; reports in cdk.out/flowgate/" in s.out
    assert json.loads((s.app / "cdk.out" / "flowgate" / "report.json").read_text())["summary"]["blocking"] == 3


def test_safe_cdk_sample_synthesizes_with_one_summary_line(safe_synth, vulnerable_synth):
    s = safe_synth
    assert s.code == 0, s.out[-3000:]
    lines = s.flowgate_lines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("flowgate: passed: 0 flow(s)")
    assert "4 Python function(s) in 2 stack(s) analysed" in lines[0]
    assert (s.app / "cdk.out" / "OrdersStack.template.json").is_file()
    assert (s.app / "cdk.out" / "NotifyStack.template.json").is_file()
    # Not trivially safe: the same SDK writes were resolved to the same triggered functions.
    assert s.report()["summary"]["sdk_writes"] == vulnerable_synth.report()["summary"]["sdk_writes"] == 3
    assert _sources_unchanged(s)


def test_stage_nested_stack_bundling_and_suppressions(features_synth):
    s = features_synth
    assert s.code != 0, s.out[-3000:]
    worker = _line(s.app / "worker_src" / "worker.py", "eval(")
    # The only blocking flow crosses into a NestedStack (queue passed as a nested-stack parameter).
    blocking = [line for line in s.flowgate_lines() if line.startswith("flowgate: [")]
    assert blocking == [
        "flowgate: [critical] code-injection: Code injection (CWE-78): FunctionUrl → Prod/FeatureStack/Api → "
        "sqs:Prod/FeatureStack/Jobs → Prod/FeatureStack/Workers/Worker → eval at worker_src/worker.py:" + str(worker)]
    assert "1 skipped (Prod/FeatureStack/Frontend: runtime nodejs22.x is not Python)" in s.out
    report = s.report()
    suppressed = {f["sink_function"]: f["suppressed"]["reason"] for f in report["findings"] if f.get("suppressed")}
    assert suppressed == {  # in code (FlowGateSuppressions) and in flowgate.yml (construct path + handler)
        "Reporter08098DAC": "Keys are generated by Api from UUIDs (SEC-42)",
        "AuditorB9A7BEA8": "The audit topic only carries ticket numbers (SEC-7)"}
    reporter = next(f for f in report["findings"] if f["sink_function"] == "Reporter08098DAC")
    # Bundled asset: analysed on its source directory; the vendored package in the bundle is not.
    assert reporter["sink"]["file"] == "bundled_src/report.py"
    assert "vendoredlib" not in json.dumps(report)
    stage = s.app / "cdk.out" / "assembly-Prod"
    template = json.loads((stage / "ProdFeatureStack18E3FB47.template.json").read_text())
    metadata = template["Resources"]["Reporter08098DAC"]["Metadata"]["flowgate"]
    assert metadata == {"suppressions": [{"rule": "code-injection",
                                          "reason": "Keys are generated by Api from UUIDs (SEC-42)"}]}
    assert _sources_unchanged(s)


def test_suppressions_survive_logical_id_and_asset_hash_churn(features_synth, tmp_path):
    """Rename every function's logical ID and every asset directory of the synthesized assembly (what
    a refactoring or a code edit does): the in-code and policy suppressions still apply."""
    out = tmp_path / "cdk.out"
    shutil.copytree(features_synth.app / "cdk.out", out)
    renames = {"Reporter08098DAC": "ReporterRenamed0001", "AuditorB9A7BEA8": "AuditorRenamed0002",
               "Worker11F36D0F": "WorkerRenamed0003"}
    for asset in list(out.glob("asset.*")):
        digest = asset.name.split(".", 1)[1]
        renames[digest] = digest[::-1]
        asset.rename(out / f"asset.{digest[::-1]}")
    for path in [*out.rglob("*.json")]:
        text = path.read_text()
        for old, new in renames.items():
            text = text.replace(old, new)
        path.write_text(text)
    result = scan(out, policy=find_policy(None, features_synth.app))
    by_sink = {f.sink_function.split("/", 1)[1]: f for f in result.findings}
    assert set(by_sink) == {"ReporterRenamed0001", "AuditorRenamed0002", "WorkerRenamed0003"}
    assert by_sink["ReporterRenamed0001"].suppressed_by is not None
    assert by_sink["AuditorRenamed0002"].suppressed_by is not None
    assert by_sink["WorkerRenamed0003"].blocking


def test_flowgate_scan_of_a_cdk_out_uses_the_construct_index(features_synth):
    proc = subprocess.run([sys.executable, "-m", "gate", "scan", "cdk.out", "--explain"], cwd=features_synth.app,
                          env=ENV, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    # flowgate.yml of the CDK project applies, paths are relative to it and name the original sources.
    assert "3 flow(s), 1 blocking, 2 suppressed; 5 Python function(s) analysed" in proc.stdout
    assert "Prod/FeatureStack/Workers/Worker → eval at worker_src/worker.py:" in proc.stdout
    # IAM from real CDK grants: Api may send to Jobs (grant_send_messages) but not to Archive, so the
    # Archive -> Archiver edge is pruned and Archiver's eval is not reported.
    assert re.search(r"IAM: ArchiveDA4CB258 pruned when run as ApiF70053CD: no statement of the function's role "
                     r"allows sqs:SendMessage", proc.stdout)
    assert "edge -> JobsDF1CC2D4 -> Worker11F36D0F [resolved" in proc.stdout
    assert "→ Prod/FeatureStack/Archiver →" not in proc.stdout


def test_cdk_nag_beside_flowgate_keeps_its_report(tmp_path):
    """cdk-nag v3's validation plugin beside flowgate's: with stacks outside a Stage, ``cdk synth``
    prints both plugins' reports and fails (CDK sets the exit code, not flowgate); with every stack in
    a Stage (only flowgate can end the synthesis), flowgate prints cdk-nag's violations too."""
    app = tmp_path / "nagged"
    shutil.copytree(SAMPLES / "cdk-vulnerable", app, ignore=shutil.ignore_patterns("cdk.out"))
    source = (app / "app.py").read_text()
    assert "FlowGate.enable(app)" in source
    nag = "import cdk_nag\ncdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks())\n"
    (app / "app.py").write_text(source.replace("FlowGate.enable(app)", nag + "FlowGate.enable(app)", 1))
    s = _run(app, tmp_path / "run", [str(CDK), "synth", "--quiet", "--no-notices"])
    assert s.code == 1, s.out[-3000:]
    assert "ERROR The S3 Bucket has server access logs disabled. (AwsSolutions)" in s.out
    assert s.out.count("(flowgate)") >= 3 and "Synthesis finished with errors" in s.out
    staged = _run(FIXTURES / "cdk_features", tmp_path / "staged", [str(CDK), "synth", "--quiet", "--no-notices"],
                  {"FLOWGATE_FIXTURE_NAG": "1"})
    assert staged.code == 1, staged.out[-3000:]
    assert "Serverless: [error] Serverless-LambdaDefaultTimeout:" in staged.out
    assert "flowgate: synthesis blocked (exit 1)" in staged.out


def test_cdk_acknowledgments_suppress_flows_below_the_construct(tmp_path):
    """``Validations.of(workers).acknowledge(Acknowledgment(id="flowgate::code-injection", reason=...))``
    (aws-cdk-lib's own API, the one CDK's report suggests) accepts the flow into the nested stack's
    worker, with the reason and where it was given in the reports; nothing else is suppressed."""
    s = _run(FIXTURES / "cdk_features", tmp_path, [sys.executable, "app.py"], {"FLOWGATE_FIXTURE_ACKNOWLEDGE": "1"})
    assert s.code == 0, s.out[-3000:]
    assert "flowgate: passed" in s.out
    report = s.report()
    reasons = {f["sink_function"]: f["suppressed"]["reason"] for f in report["findings"] if f.get("suppressed")}
    assert reasons["Worker11F36D0F"] == ("Jobs come from the signed internal scheduler (SEC-9) "
                                         "(CDK acknowledgment on Prod/FeatureStack/Workers)")
    assert set(reasons) == {"Worker11F36D0F", "Reporter08098DAC", "AuditorB9A7BEA8"}


@pytest.mark.parametrize("env, message", [
    ({"FLOWGATE_FIXTURE_BAD_SUPPRESSION": "1"},
     "invalid flowgate suppression: Prod/FeatureStack/Reporter: a suppression needs a non-empty 'reason'"),
    ({"FLOWGATE_FIXTURE_POLICY": "missing.yml"}, "could not be analysed; the gate blocks: missing.yml"),
    ({"FLOWGATE_FIXTURE_BAD_PATH": "1"},
     "invalid flowgate suppression: Prod/FeatureStack: no construct at path 'Prod/FeatureStack/Reportr'"),
])
def test_cdk_configuration_errors_fail_closed(tmp_path, env, message):
    s = _run(FIXTURES / "cdk_features", tmp_path, [sys.executable, "app.py"], env)
    assert s.code == 1, s.out[-3000:]
    assert message in s.out, s.out[-3000:]
    assert "Traceback" not in s.out
    assert re.search(r"flowgate: \[high\] flowgate-error: ", s.out)


@pytest.mark.parametrize("text, message", [
    ('{"Resources": {"A": {"Type": "AWS::SQS::Queue"}, "A": {"Type": "AWS::SQS::Queue"}}}',
     "template does not parse: duplicate key(s) A"),
    ('{"Resources": {"A": {"Type": "AWS::SQS::Queue"},\n  }', "ShopStack.template.json:2:3: template does not parse"),
    ('{"Resources": {"A": {"Properties": {}}}}', "template structure: Resources/A: 'Type' is a required property"),
])
def test_broken_assembly_templates_are_located_errors(tmp_path, capsys, text, message):
    from gate.cli.main import main

    out = tmp_path / "cdk.out"
    shutil.copytree(FIXTURES / "cdkout", out)
    (out / "ShopStack.template.json").write_text(text)
    assert main(["scan", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _with_metadata(tmp_path: Path, metadata: object) -> Path:
    out = tmp_path / "cdk.out"
    shutil.copytree(FIXTURES / "cdkout", out)
    template = out / "ShopStack.template.json"
    doc = json.loads(template.read_text())
    doc["Resources"]["RenderFn9A1B2C3D"]["Metadata"]["flowgate"] = metadata
    template.write_text(json.dumps(doc))
    return out


def test_suppressions_declared_in_template_metadata(tmp_path):
    """What FlowGateSuppressions writes is honoured by a plain `flowgate scan cdk.out` as well."""
    out = _with_metadata(tmp_path, {"suppressions": [
        {"rule": "code-injection", "reason": "Receipt keys are order IDs (SEC-9)", "sink": "os.system"}]})
    result = scan(out)
    assert [f.suppressed_by.reason for f in result.findings] == ["Receipt keys are order IDs (SEC-9)"]
    assert result.findings[0].suppressed_by.construct_path == "ShopStack/Render/Resource"
    assert not result.blocking


@pytest.mark.parametrize("metadata, message", [
    ({"suppressions": [{"rule": "code-injection"}]}, "a suppression needs a non-empty 'reason'"),
    ({"suppressions": [{"rule": "x", "reason": "y", "line": 3}]}, "unknown suppression field(s) line"),
    ({"suppressions": [{"rule": "x", "reason": "y", "expires": "soon"}]}, "expires 'soon' is not a date"),
    (["code-injection"], "flowgate metadata must be a mapping with a list of suppressions"),
])
def test_malformed_declared_suppressions_are_located_errors(tmp_path, capsys, metadata, message):
    from gate.cli.main import main

    out = _with_metadata(tmp_path, metadata)
    assert main(["scan", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "(resource RenderFn9A1B2C3D, Metadata.flowgate" in err and "Traceback" not in err


def test_cdk_internal_functions_are_skipped_not_analysed():
    from gate.model.build import _cdk_internal

    handlers = Path("/tmp/jsii-kernel-x/node_modules/aws-cdk-lib/custom-resource-handlers/dist/aws-s3-deployment")
    assert _cdk_internal(None, handlers)
    assert _cdk_internal("App/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C/Resource", None)
    assert _cdk_internal("App/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Resource", None)
    assert not _cdk_internal("App/Orders/Resource", Path("/work/app/src"))
