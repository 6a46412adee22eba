"""Each stage's pure function on a small real app (samples/sam-vulnerable), without Pysa: what the
inputs, model, plan, scope, instrumentation, verdict and report stages hand on. Part of the fast
lane (no ``e2e`` marker): nothing here runs Pysa, ``sam`` or ``cdk``."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SAMPLES

from gate.findings.types import Finding, Hop, Step
from gate.inputs.detect import INPUT_FORMATS, load_input
from gate.instrument.build import instrument
from gate.model.build import build_app_model
from gate.plan.build import build_plan
from gate.plan.scope import scope_plan
from gate.policy.load import default_policy
from gate.report.registry import FORMATS, render_report
from gate.report.types import ScanResult
from gate.verdict.triage import triage

APP = SAMPLES / "sam-vulnerable"
WORK = Path("/nonexistent-flowgate-workdir")  # instrument() builds the copy in memory only


@pytest.fixture(scope="module")
def staged():
    stacks = load_input(APP)
    model = build_app_model(stacks)
    plan = build_plan(model)
    policy = default_policy()
    scoped, out_of_scope = scope_plan(model, plan, policy)
    app = instrument(model, scoped, WORK, policy)
    return stacks, model, plan, scoped, out_of_scope, app, policy


def _short(key: str | None) -> str | None:
    return key.split("/", 1)[1] if key else None


def test_inputs_translate_sam_and_record_code_dirs(staged):
    stacks = staged[0]
    assert [s.origin for s in stacks] == ["sam"]
    stack = stacks[0]
    assert stack.code_dirs["ThumbnailFunction"] == (APP / "src/thumbnail").resolve()
    assert ("OrdersApiFunction", "HttpApi", "ServerlessHttpApi") in stack.api_events
    types = {r["Type"] for r in stack.template["Resources"].values()}
    assert "AWS::Serverless::Function" not in types and "AWS::Lambda::Function" in types


def test_input_formats_are_tried_in_order(tmp_path):
    assert [f.name for f in INPUT_FORMATS][0] == "cdk cloud assembly"
    assert INPUT_FORMATS[1].locate(APP) == APP / "template.yaml"
    assert INPUT_FORMATS[0].locate(APP) is None and INPUT_FORMATS[2].locate(APP) is None
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "manifest.json").write_text("{}")
    assert INPUT_FORMATS[2].locate(tmp_path) == tmp_path / "cdk.out"
    assert INPUT_FORMATS[3].name == "serverless framework service" and INPUT_FORMATS[3].locate(APP) is None
    (tmp_path / "serverless.yml").write_text("service: x\n")
    assert INPUT_FORMATS[3].locate(tmp_path) == tmp_path / "serverless.yml"
    assert INPUT_FORMATS[1].locate(tmp_path / "serverless.yml") is None  # not read as CloudFormation


def test_model_has_triggers_entry_points_env_bindings_and_roles(staged):
    model = staged[1]
    triggers = {(t.service, _short(t.source), _short(t.function)) for t in model.triggers if t.service != "lambda"}
    assert triggers == {("s3", "UploadBucket", "ThumbnailFunction"), ("sqs", "ReportQueue", "ReportFunction"),
                        ("sns", "AuditTopic", "AuditFunction"), ("dynamodb", "OrdersTable", "NotifyFunction"),
                        ("kinesis", "ShipmentStream", "LabelFunction"),
                        ("events", "OrderEventsBus", "ShippingFunction")}
    assert [(e.kind, _short(e.function)) for e in model.entry_points] == [("HttpApi", "OrdersApiFunction")]
    api = model.functions["sam-vulnerable/OrdersApiFunction"]
    assert api.env["UPLOAD_BUCKET"].describe() == "UPLOAD_BUCKET -> UploadBucket (Ref)"
    assert (api.handler_file, api.handler_function) == ("app.py", "handler")
    assert model.permissions[api.key].statements  # SAM policy templates translated into statements
    assert model.display_name(api.key) == "OrdersApiFunction"


def test_plan_resolves_every_write_to_its_consumer(staged):
    plan = staged[2]
    edges = {(w.api.label, _short(e.trigger.function), e.confidence) for w in plan.writes for e in w.edges}
    assert edges == {("s3.put_object", "ThumbnailFunction", "resolved"),
                     ("sqs.send_message", "ReportFunction", "resolved"),
                     ("dynamodb.Table.put_item", "NotifyFunction", "resolved"),
                     ("sns.publish", "AuditFunction", "resolved"),
                     ("events.put_events", "ShippingFunction", "resolved"),
                     ("kinesis.put_record", "LabelFunction", "resolved")}
    runners = {(w.api.label, w.scope_name): [_short(k) for k in w.reached_by] for w in plan.writes}
    assert runners[("s3.put_object", "save_attachment")] == ["OrdersApiFunction"]  # through the call graph
    assert runners[("kinesis.put_record", "handler")] == ["ShippingFunction"]
    assert not plan.function_problems and not plan.file_problems


def test_scope_keeps_every_root_untrusted_input_reaches(staged):
    _stacks, _model, plan, scoped, out_of_scope, _app, _policy = staged
    assert out_of_scope == [] and len(scoped.roots) == len(plan.roots) == 7


def test_scope_drops_roots_nothing_untrusted_reaches(staged):
    _stacks, model, plan, _scoped, _out, _app, policy = staged
    no_entry = replace(model, entry_points=[])
    scoped, out_of_scope = scope_plan(no_entry, plan, policy)
    assert scoped.roots == [] and len(out_of_scope) == 7


def test_instrumented_copy_is_valid_python_with_hops_and_models(staged):
    plan, app = staged[3], staged[5]
    assert not any(str(path).startswith(str(APP)) for path in app.files)  # never the user's tree
    for path, text in app.files.items():
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
    hops = app.files[app.root / "flowgate_hops.py"]
    for site in plan.writes:
        assert f"def {site.hop_name}(" in hops
    assert "fgpkg_1_thumbnail.app.handler(_fg_event_0, None)" in hops
    orders = app.files[app.root / "fgpkg_0_orders" / "app.py"]
    assert "_fg_hops.hop_1_s3_put_object" in orders
    original = (APP / "src/orders/app.py").read_text()
    def_lines = [n.lineno for n in ast.walk(ast.parse(original)) if isinstance(n, ast.FunctionDef)]
    assert def_lines == [n.lineno for n in ast.walk(ast.parse(orders)) if isinstance(n, ast.FunctionDef)]
    assert orders.splitlines()[:3] == original.splitlines()[:3]  # rewrites keep every line in place
    models = app.files[app.models_dir / "app.pysa"]
    assert "def fgpkg_0_orders.app.handler(event: TaintSource[EntryHttpApi], context)" in models
    config = json.loads(app.files[app.models_dir / "taint.config"])
    assert {r["code"] for r in config["rules"]} >= {r.code for r in staged[6].rules}
    assert app.handlers["fgpkg_1_thumbnail.app.handler"] == ["sam-vulnerable/ThumbnailFunction"]


def _finding(model, policy, confidence: str = "high") -> Finding:
    rule = next(r for r in policy.rules if r.name == "code-injection")
    source = Step("source", APP / "src/orders/app.py", 25, 1, "untrusted event", "sam-vulnerable/OrdersApiFunction")
    sink = Step("sink", APP / "src/thumbnail/app.py", 7, 5, "reaches subprocess.run",
                "sam-vulnerable/ThumbnailFunction")
    hop = Hop("s3", "sam-vulnerable/UploadBucket", "s3.put_object", "sam-vulnerable/OrdersApiFunction",
              "sam-vulnerable/ThumbnailFunction", "resolved", "target resolved")
    return Finding(rule, rule.severity, confidence, "sam-vulnerable/OrdersApiFunction",
                   "sam-vulnerable/ThumbnailFunction", "subprocess.run", [source, sink], [hop],
                   sink_scope="fgpkg_1_thumbnail.app.render")


def test_verdict_blocks_by_threshold_suppression_and_baseline(staged):
    model, policy = staged[1], staged[6]
    f = _finding(model, policy)
    assert triage([f], model, policy) == [] and f.blocking and f.fingerprint
    assert f.severity == "critical"
    low = _finding(model, policy, "low")  # an unresolved hop: one severity step lower
    triage([low], model, policy, fail_on="critical")
    assert low.severity == "high" and not low.blocking
    baselined = _finding(model, policy)
    triage([baselined], model, policy, baseline={f.fingerprint})
    assert baselined.baselined and not baselined.blocking
    assert f.identity() == _finding(model, policy).identity()  # stable: no line numbers in it


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_report_format_renders_a_result(staged, fmt):
    _stacks, model, _plan, scoped, _out, app, policy = staged
    finding = _finding(model, policy)
    triage([finding], model, policy)
    result = ScanResult(model, scoped, app, [finding], policy=policy)
    text = render_report(result, APP, fmt)
    chain = ("HttpApi → OrdersApiFunction → s3:UploadBucket → ThumbnailFunction → "
             "subprocess.run at src/thumbnail/app.py:7")
    if fmt == "html":
        assert "subprocess.run at src/thumbnail/app.py:7" in text and "<svg" in text
    elif fmt == "text":
        assert chain in text and "[BLOCK] Code injection (CWE-78)" in text
    elif fmt == "sarif":
        run = json.loads(text)["runs"][0]
        result = run["results"][0]
        assert result["codeFlows"][0]["message"]["text"] == chain and result["level"] == "error"
        assert result["ruleId"] == "FG-CODE-INJECTION" and result["properties"]["policyRule"] == "code-injection"
        rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "FG-CODE-INJECTION")
        assert rule["helpUri"].endswith("/docs/rules/FG-CODE-INJECTION.md") and rule["name"] == "CodeInjection"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
            "samples/sam-vulnerable/src/thumbnail/app.py")
    else:
        doc = json.loads(text)
        assert doc["summary"]["blocking"] == 1 and doc["findings"][0]["chain"] == chain
