"""SAM integration end to end: the real SAM CLI (`.venv-sam`, installed by scripts/setup.sh) builds
the samples, and `flowgate sam build` / `flowgate sam check` gate the result with the real Pysa."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT, SAMPLES, one_function_app, tree_digest

from sam_hook.build_output import BLOCKED_SUFFIX, source_code_dirs

SAM = ROOT / ".venv-sam" / "bin" / "sam"
ENV = {**os.environ, "FLOWGATE_SAM": str(SAM), "SAM_CLI_TELEMETRY": "0", "NO_COLOR": "1"}


def _copy(src: Path, tmp: Path) -> Path:
    app = tmp / src.name
    shutil.copytree(src, app)
    return app


def _flowgate(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate", *args], cwd=app, env=ENV, capture_output=True, text=True,
                          check=False)


def _sam_build(app: Path, *args: str) -> None:
    proc = subprocess.run([str(SAM), "build", *args], cwd=app, env=ENV, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]




def test_sam_build_blocks_the_vulnerable_sample_and_leaves_nothing_deployable(tmp_path):
    app = _copy(SAMPLES / "sam-vulnerable", tmp_path)
    sources = tree_digest(app / "src")
    proc = _flowgate(app, "sam", "build")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Build Succeeded" in proc.stdout + proc.stderr  # the real sam build ran first
    assert "Traceback" not in proc.stderr
    # Flows name SAM logical IDs and the user's CodeUri tree, never the build copy.
    assert ("HttpApi → OrdersApiFunction → s3:UploadBucket → ThumbnailFunction → subprocess.run at "
            "src/thumbnail/app.py:7") in proc.stdout
    assert ("HttpApi → OrdersApiFunction → events:OrderEventsBus → ShippingFunction → kinesis:ShipmentStream → "
            "LabelFunction → urllib.request.urlopen at src/labels/app.py:12") in proc.stdout
    report = proc.stdout[proc.stdout.index("CRITICAL ("):]  # SAM's own output comes first
    assert ".aws-sam" not in report
    assert "7 flow(s), 6 blocking; 7 Python function(s) analysed" in proc.stdout
    build = app / ".aws-sam" / "build"
    stub = (build / "template.yaml").read_text()
    assert stub.startswith("# flowgate: blocked build") and "OrdersApiFunction" not in stub
    assert "Fn::Equals" in stub and "AssertDescription" in stub  # CloudFormation refuses it
    assert "OrdersApiFunction" in (build / ("template.yaml" + BLOCKED_SUFFIX)).read_text()
    assert "build blocked (6 blocking flow(s))" in proc.stderr
    assert tree_digest(app / "src") == sources  # the user's tree is only read
    # A later check of the same build refuses: it was blocked.
    again = _flowgate(app, "sam", "check")
    assert again.returncode == 2 and "blocked by an earlier check" in again.stderr


def test_sam_check_after_an_existing_build_writes_sarif(tmp_path):
    app = _copy(SAMPLES / "sam-vulnerable", tmp_path)
    _sam_build(app)
    mapping = source_code_dirs(app / ".aws-sam" / "build")
    assert mapping["OrdersApiFunction"] == (app / "src" / "orders").resolve()
    proc = _flowgate(app, "sam", "check", "--format", "sarif", "--output", "reports/flowgate.sarif")
    assert proc.returncode == 1, proc.stderr[-3000:]
    doc = json.loads((app / "reports" / "flowgate.sarif").read_text())
    results = doc["runs"][0]["results"]
    assert len(results) == 7
    uris = {loc["location"]["physicalLocation"]["artifactLocation"]["uri"]
            for r in results for loc in r["codeFlows"][0]["threadFlows"][0]["locations"]}
    assert uris and all(u.startswith("src/") for u in uris), uris
    assert {r["properties"]["sinkFunction"] for r in results} >= {"ThumbnailFunction", "LabelFunction"}
    assert not (app / ".aws-sam" / "build" / "template.yaml").read_text().startswith("AWSTemplate")


def test_sam_build_of_the_safe_sample_is_unchanged(tmp_path):
    plain = _copy(SAMPLES / "sam-safe", tmp_path / "plain")
    gated = _copy(SAMPLES / "sam-safe", tmp_path / "gated")
    _sam_build(plain)
    proc = _flowgate(gated, "sam", "build")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "0 flow(s), 0 blocking; 7 Python function(s) analysed" in proc.stdout
    assert "build blocked" not in proc.stderr
    built = [p.relative_to(plain / ".aws-sam") for p in sorted((plain / ".aws-sam").rglob("*"))]
    assert built == [p.relative_to(gated / ".aws-sam") for p in sorted((gated / ".aws-sam").rglob("*"))]
    for name in ("build/template.yaml", "build/OrdersApiFunction/app.py"):
        assert (plain / ".aws-sam" / name).read_bytes() == (gated / ".aws-sam" / name).read_bytes()


def test_nested_application_globals_template_yml_and_other_runtimes(tmp_path):
    app = _copy(FIXTURES / "sam_nested", tmp_path)
    proc = _flowgate(app, "sam", "build", "--template-file", "template.yml", "--format", "json",
                     "--output", "flowgate.json")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert (app / ".aws-sam" / "build" / "Intake" / "template.yaml").is_file()  # SAM built the nested app
    doc = json.loads((app / "flowgate.json").read_text())
    [flow] = doc["findings"]
    # The child writes to the parent's bucket, passed in as a parameter of the nested application.
    assert flow["chain"] == "HttpApi → IntakeApi → s3:Uploads → Thumbnailer → subprocess.run at src/thumbs.py:7"
    assert flow["steps"][1]["file"] == "child/src/intake.py"
    assert doc["summary"]["functions_analysed"] == 2
    assert [(s["function"], s["reason"]) for s in doc["skipped_functions"]] == [
        ("Greeter", "runtime nodejs20.x is not Python")]


def test_sam_build_failure_and_bad_usage_are_exit_2(tmp_path):
    app = tmp_path / "empty"
    app.mkdir()
    proc = _flowgate(app, "sam", "build")
    assert proc.returncode == 2 and "sam build failed (exit 1)" in proc.stderr
    assert _flowgate(app, "sam").returncode == 2
    missing = _flowgate(app, "sam", "check")
    assert missing.returncode == 2 and "no built template" in missing.stderr and "Traceback" not in missing.stderr


def test_without_build_metadata_the_build_copy_is_analysed_without_vendored_packages(tmp_path):
    from gate.inputs.detect import load_input
    from gate.model.build import build_app_model
    from gate.plan.build import build_plan

    app = _copy(SAMPLES / "sam-vulnerable", tmp_path)
    _sam_build(app)
    build = app / ".aws-sam" / "build"
    (app / ".aws-sam" / "build.toml").unlink()
    vendored = build / "ThumbnailFunction" / "requests"
    vendored.mkdir()
    code = b"import os\nos.system('vendored code is not application code')\n"
    (vendored / "__init__.py").write_bytes(code)
    info = build / "ThumbnailFunction" / "requests-2.32.0.dist-info"
    info.mkdir()
    (info / "top_level.txt").write_text("requests\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(code).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"requests/__init__.py,sha256={digest},{len(code)}\n"
                                 "requests-2.32.0.dist-info/RECORD,,\n")  # as pip writes it
    assert source_code_dirs(build) == {}
    plan = build_plan(build_app_model(load_input(build / "template.yaml")))
    [root] = [r for r in plan.roots if r.directory.name == "ThumbnailFunction"]
    assert [p.name for p in root.files] == ["app.py"] and root.excluded == ["requests"]
    # A RECORD that does not match the code vouches for nothing: the folder is application code
    # (here a local `requests/`, which shadows the modelled module: the function is not analysed).
    (vendored / "__init__.py").write_bytes(code + b"os.system('edited after the install')\n")
    plan = build_plan(build_app_model(load_input(build / "template.yaml")))
    assert "shadows the standard or SDK module" in plan.function_problems[
        next(k for k in plan.function_problems if k.endswith("ThumbnailFunction"))]


def test_a_makefile_build_is_gated_on_what_it_built(tmp_path):
    """``BuildMethod: makefile`` deploys what the Makefile writes, not the source: here a harmless
    ``app.py`` in the source and a shell injection in the built one. The built code is analysed."""
    app = one_function_app(tmp_path / "mk", 'def handler(event, context):\n    return {"statusCode": 200}\n',
                           "    Metadata:\n      BuildMethod: makefile\n")
    (app / "src" / "release.txt").write_text('import os\n\n\ndef handler(event, context):\n'
                                              '    os.system("echo " + event["body"])\n')
    (app / "src" / "Makefile").write_text("build-Fn:\n\tcp release.txt $(ARTIFACTS_DIR)/app.py\n")
    assert _flowgate(app, "scan", ".").returncode == 0  # the source alone is harmless
    proc = _flowgate(app, "sam", "build")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Fn is built by BuildMethod makefile: its built code" in proc.stderr
    assert "HttpApi → Fn → os.system at .aws-sam/build/Fn/app.py:5" in proc.stdout
    assert (app / ".aws-sam" / "build" / "template.yaml").read_text().startswith("# flowgate: blocked build")
