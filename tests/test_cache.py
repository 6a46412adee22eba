"""The Pysa result cache: a warm re-scan of an unchanged app does not start Pysa and gives the same
answer; any edit to the code runs Pysa again; the cache can be listed and cleared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate import cli
from gate.pysa import run_pysa


def _app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text("""\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events: {Api: {Type: HttpApi, Properties: {Path: /x, Method: post}}}
""")
    (root / "src" / "app.py").write_text("import os\n\n\ndef handler(event, context):\n"
                                         "    os.system('echo ' + event['body'])\n")
    return root


def _scan(capsys, app: Path, cache: Path, out: Path) -> tuple[int, dict]:
    code = cli.main(["scan", str(app), "--cache-dir", str(cache), "--format", "json", "--output", str(out)])
    capsys.readouterr()
    return code, json.loads(out.read_text())


def test_warm_scan_skips_pysa_and_edits_invalidate(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FLOWGATE_NO_CACHE")
    app, cache = _app(tmp_path / "app"), tmp_path / "cache"
    calls: list[Path] = []

    def counting(app_, workdir, timeout=None):
        calls.append(workdir)
        return run_pysa(app_, workdir, timeout)

    monkeypatch.setattr("gate.scan.run_pysa", counting)
    code, cold = _scan(capsys, app, cache, tmp_path / "cold.json")
    assert code == 1 and len(calls) == 1 and len(cold["findings"]) == 1
    assert len(list(cache.glob("*/*.json.gz"))) == 2  # the loaded template and Pysa's results

    code, warm = _scan(capsys, app, cache, tmp_path / "warm.json")
    assert code == 1 and len(calls) == 1  # Pysa did not run
    assert warm["findings"] == cold["findings"]

    # Moving the app elsewhere changes no content: still a hit.
    moved = tmp_path / "elsewhere"
    app.rename(moved)
    code, _ = _scan(capsys, moved, cache, tmp_path / "moved.json")
    assert code == 1 and len(calls) == 1

    source = moved / "src" / "app.py"
    source.write_text("# a comment moves every line\n" + source.read_text())
    code, edited = _scan(capsys, moved, cache, tmp_path / "edited.json")
    assert code == 1 and len(calls) == 2  # the edit ran Pysa again
    assert edited["findings"][0]["sink"]["line"] == cold["findings"][0]["sink"]["line"] + 1

    # A different policy is a different analysis, too.
    (moved / "flowgate.yml").write_text("version: 1\nrules:\n  - {name: audit, severity: low, sources: [HttpApi], "
                                        "sinks: [code-execution]}\n")
    code, _ = _scan(capsys, moved, cache, tmp_path / "policy.json")
    assert len(calls) == 3

    entries = len(list(cache.glob("*/*.json.gz")))  # 2 templates (moved once) and 3 Pysa results
    assert entries == 5
    assert cli.main(["cache", "info", "--cache-dir", str(cache)]) == 0
    assert f"{entries} entr(ies)" in capsys.readouterr().out
    assert cli.main(["cache", "clear", "--cache-dir", str(cache)]) == 0
    assert f"removed {entries}" in capsys.readouterr().out
    assert list(cache.glob("*/*.json.gz")) == []


@pytest.mark.parametrize("flag", [["--no-cache"], []])
def test_cache_can_be_turned_off(tmp_path, capsys, monkeypatch, flag):
    # With --no-cache (or FLOWGATE_NO_CACHE, as in the rest of the suite) nothing is written.
    if flag:
        monkeypatch.delenv("FLOWGATE_NO_CACHE")
    monkeypatch.setattr("gate.scan.run_pysa", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stop here")))
    cache = tmp_path / "cache"
    cli.main(["scan", str(_app(tmp_path / "app")), "--cache-dir", str(cache), *flag])
    capsys.readouterr()
    assert not cache.exists()
