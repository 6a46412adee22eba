"""SARIF from a monorepo (issue 18): artifact URIs are relative to the repository root (the git top
level, else the working directory, else ``--source-root``) under ``uriBaseId`` SRCROOT and
percent-encoded (issue 20), and every report validates against the SARIF 2.1.0 schema and
Microsoft's SARIF Multitool (the real validator, from npm)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

from gate.report.sarif import render_sarif
from gate.scan import scan

pytestmark = pytest.mark.e2e

MULTITOOL = ROOT / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
SCHEMA = MULTITOOL.parent / "sarif-2.1.0.json"
ODD = "odd dir #1 %41 [x]"


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory):
    """A repository whose SAM app lives in ``services/<odd name>/``."""
    repo = tmp_path_factory.mktemp("monorepo")
    (repo / ".git").mkdir()
    app = repo / "services" / ODD
    shutil.copytree(SAMPLES / "sam-vulnerable", app)
    return repo, app, scan(app)


def _uris(doc: dict) -> set[str]:
    out = set()
    for r in doc["runs"][0]["results"]:
        out.add(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for loc in r["codeFlows"][0]["threadFlows"][0]["locations"]:
            out.add(loc["location"]["physicalLocation"]["artifactLocation"]["uri"])
    return out


def _valid(doc: dict, tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(json.loads(SCHEMA.read_text())).iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors[:5]]
    path = tmp_path / "report.sarif"
    path.write_text(json.dumps(doc))
    assert MULTITOOL.is_file(), "run scripts/setup.sh: the SARIF Multitool comes from npm"
    proc = subprocess.run([str(MULTITOOL), "validate", str(path)], capture_output=True, text=True, check=False,
                          timeout=120)
    assert proc.returncode == 0 and "error" not in proc.stdout.replace("0 error", ""), proc.stdout[-3000:]


def test_paths_are_relative_to_the_repository_and_encoded(monorepo, tmp_path):
    repo, app, result = monorepo
    doc = json.loads(render_sarif(result, app))
    encoded = "services/odd%20dir%20%231%20%2541%20%5Bx%5D/"
    assert _uris(doc) and all(u.startswith(encoded + "src/") for u in _uris(doc)), _uris(doc)
    assert doc["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.resolve().as_uri() + "/"
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uriBaseId"] == "SRCROOT"
    _valid(doc, tmp_path)


def test_source_root_overrides_and_the_working_directory_is_the_fallback(monorepo, tmp_path, monkeypatch):
    repo, app, result = monorepo
    result.source_root = app
    assert all(u.startswith("src/") for u in _uris(json.loads(render_sarif(result, app))))
    result.source_root = None
    (repo / ".git").rmdir()
    try:
        monkeypatch.chdir(repo / "services")
        uris = _uris(json.loads(render_sarif(result, app)))
        assert all(u.startswith("odd%20dir%20%231%20%2541%20%5Bx%5D/src/") for u in uris), uris
        monkeypatch.chdir(tmp_path)  # the app is not below the working directory: absolute file URIs
        uris = _uris(json.loads(render_sarif(result, app)))
        assert all(u.startswith("file:///") and "%20dir%20%231" in u for u in uris), uris
    finally:
        (repo / ".git").mkdir()


def test_cli_source_root_option(monorepo, tmp_path):
    repo, app, _result = monorepo
    out = tmp_path / "r.sarif"
    proc = subprocess.run([sys.executable, "-m", "gate", "scan", str(app), "--format", "sarif", "--output", str(out),
                           "--source-root", str(repo / "services")], capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert all(u.startswith("odd%20dir%20%231%20%2541%20%5Bx%5D/") for u in _uris(doc))
    _valid(doc, tmp_path)
