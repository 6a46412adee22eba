"""Ordinary SAM layouts (issue 17), end to end with the real Pysa and the real SAM CLI: a state
machine defined by a local ASL file, a layer with local content whose helper holds the sink, an API
whose OpenAPI body is an ``AWS::Include`` of a local file, a deprecated Python runtime in Globals."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, flows

from gate.common.cache import PysaCache
from gate.inputs.detect import load_input
from gate.scan import scan

pytestmark = pytest.mark.e2e

APP = FIXTURES / "layouts"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0", "FLOWGATE_SAM": str(SAM), "FLOWGATE_NO_CACHE": "1"}


@pytest.fixture(scope="module")
def layouts():
    return scan(APP)


def test_every_layout_flow_and_no_other(layouts):
    assert flows(layouts) == {
        # the layer's helper is the sink, and the report names the layer's file
        ("code-injection", "ToolsFunction", (), "ToolsFunction", "os.system", "shell_tools.py", 8),
        # the API is defined by an included OpenAPI file
        ("code-injection", "DocsFunction", (), "DocsFunction", "eval", "app.py", 5),
        # the state machine is defined by a local ASL file with DefinitionSubstitutions
        ("code-injection", "StarterFunction", (("stepfunctions", "OrdersMachine"),), "WorkerFunction",
         "subprocess.run", "app.py", 7),
    }
    layer_flow = next(f for f in layouts.findings if f.sink_callable == "os.system")
    assert layer_flow.sink.file == APP / "layers" / "tools" / "python" / "shell_tools.py"
    assert not layouts.incomplete


def test_negative_twins(layouts):
    # run_quoted (shlex.quote) in the same layer is clean; the layer's other user has no trigger
    assert not [f for f in layouts.findings if f.sink.line == 12]
    internal = layouts.model.functions[f"{APP.name}/InternalFunction"]
    assert internal.skipped_reason and internal.skipped_reason.startswith("out of scope")


def test_what_the_layouts_put_in_the_model(layouts):
    model = layouts.model
    assert {(e.kind, e.function.split("/")[1]) for e in model.entry_points} == {
        ("Api", "DocsFunction"), ("HttpApi", "StarterFunction"), ("HttpApi", "ToolsFunction")}
    machine = [t for t in model.triggers if t.service == "stepfunctions"]
    assert [(t.source.split("/")[1], t.function.split("/")[1]) for t in machine] == [("OrdersMachine",
                                                                                      "WorkerFunction")]
    assert {f.runtime for f in model.analysable_functions()} == {"python3.9"}  # deprecated, still Python
    tools = model.functions[f"{APP.name}/ToolsFunction"]
    assert tools.layer_dirs == (APP / "layers" / "tools" / "python",)


def test_the_template_cache_notices_an_included_file_change(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    cache = PysaCache(tmp_path / "cache")

    def docs_referenced() -> bool:
        stack = load_input(app, cache=cache)[0]
        api = next(r for r in stack.template["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi")
        return "DocsFunction" in json.dumps(api["Properties"]["Body"])

    assert docs_referenced() and docs_referenced()  # the second load is a cache hit
    openapi = app / "api" / "openapi.yaml"
    openapi.write_text(openapi.read_text().replace("${DocsFunction.Arn}", "${StarterFunction.Arn}"))
    assert not docs_referenced()


def _flowgate_sam_build(app: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate", "sam", "build"], cwd=app, env=ENV, capture_output=True,
                          text=True, check=False, timeout=600)


def test_sam_build_of_these_layouts_is_gated_like_a_scan(tmp_path):
    vulnerable = tmp_path / "vulnerable"
    shutil.copytree(APP, vulnerable)
    proc = _flowgate_sam_build(vulnerable)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "HttpApi → ToolsFunction → os.system at layers/tools/python/shell_tools.py:8" in proc.stdout
    assert "Api → DocsFunction → eval at src/docs/app.py:5" in proc.stdout
    assert (vulnerable / ".aws-sam" / "build" / "template.yaml.flowgate-blocked").is_file()

    # The same layouts without the sinks: the build is left exactly as sam build made it.
    safe = tmp_path / "safe"
    shutil.copytree(APP, safe)
    for rel, old, new in [
        ("layers/tools/python/shell_tools.py", "os.system(command)", "os.system(shlex.quote(command))"),
        ("src/docs/app.py", 'eval(event["body"])', 'int(event["body"])'),
        ("src/worker/app.py", "import subprocess", "import shlex\nimport subprocess"),
        ("src/worker/app.py", 'subprocess.run(event["cmd"]', 'subprocess.run(shlex.quote(event["cmd"])'),
    ]:
        path = safe / rel
        path.write_text(path.read_text().replace(old, new))
    proc = _flowgate_sam_build(safe)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    built = safe / ".aws-sam" / "build"
    assert not (built / "template.yaml.flowgate-blocked").exists()
    assert "OrdersMachine" in (built / "template.yaml").read_text()
