"""The pipeline's policy floor (gate/policy/floor.py): the project's flowgate.yml may tighten it,
never lower it — rules it drops stay, a block_at it raises stays, suppressions it adds need the
expiry the floor demands, its sanitizers need the floor's leave; each override is a note."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gate.common.errors import GateInputError
from gate.policy.load import find_policy

TODAY = dt.date.today()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _project(tmp_path: Path, text: str) -> Path:
    project = tmp_path / "app"
    project.mkdir(exist_ok=True)
    _write(project / "flowgate.yml", text)
    return project


@pytest.fixture
def floor(tmp_path):
    return _write(tmp_path / "floor.yml", "version: 1\nextends: default\nblock_at: high\n")


def test_a_project_that_disables_every_rule_is_held_to_the_floor(tmp_path, floor):
    project = _project(tmp_path, "version: 1\nextends: none\nrules: []\nblock_at: critical\n")
    alone = find_policy(None, project)
    assert alone.rules == [] and len(alone.disabled) == 7
    held = find_policy(None, project, floor)
    assert {r.name for r in held.rules} == {r.name for r in find_policy(None, tmp_path / "none").rules}
    assert held.disabled == [] and held.block_at == "high"
    assert sum("does not enforce rule" in n for n in held.notes) == 7
    assert any("flows block from high up" in n for n in held.notes)
    assert len({r.code for r in held.rules}) == len(held.rules)  # Pysa rule codes stay unique


def test_the_environment_sets_the_floor_for_every_integration(tmp_path, floor, monkeypatch):
    project = _project(tmp_path, "version: 1\nextends: none\nrules: []\n")
    monkeypatch.setenv("FLOWGATE_POLICY_FLOOR", str(floor))
    assert len(find_policy(None, project).rules) == 7
    monkeypatch.setenv("FLOWGATE_POLICY_FLOOR", str(tmp_path / "missing.yml"))
    with pytest.raises(GateInputError, match="policy floor not found"):
        find_policy(None, project)


def test_tightening_is_kept(tmp_path, floor):
    project = _project(tmp_path, """\
version: 1
block_at: low
rules:
  - name: path-traversal
    severity: critical
    sources: [Api, HttpApi, FunctionUrl, ExternalResource, ALB, AppSync, Cognito, WebSocket, IoT, CloudWatchLogs,
              s3-listing]
    sinks: [file-path]
""")
    held = find_policy(None, project, floor)
    assert held.block_at == "low"
    assert next(r for r in held.rules if r.name == "path-traversal").severity == "critical"
    assert not held.notes


def test_lowering_a_rule_is_undone(tmp_path, floor):
    project = _project(tmp_path, """\
version: 1
rules:
  - name: code-injection
    severity: low
    sources: [Api]
    sinks: [file-path]
    sanitizers: [os.getenv]
sanitizers: [str.strip]
""")
    held = find_policy(None, project, floor)
    rule = next(r for r in held.rules if r.name == "code-injection")
    bundled = next(r for r in find_policy(None, tmp_path / "none").rules if r.name == "code-injection")
    assert rule.severity == bundled.severity
    assert set(bundled.sinks) <= set(rule.sinks) and set(bundled.sources) <= set(rule.sources)
    assert rule.sanitizers == () and "str.strip" not in held.sanitizers
    assert any("stays at critical" in n for n in held.notes)
    assert any("sanitizers" in n for n in held.notes)
    assert any("keeps the floor's sources and sinks" in n for n in held.notes)


def _suppressions(tmp_path: Path, floor_extra: str, entries: str):
    floor = _write(tmp_path / "floor.yml", "version: 1\n" + floor_extra)
    project = _project(tmp_path, "version: 1\nsuppressions:\n" + entries)
    return find_policy(None, project, floor)


def test_suppressions_need_the_expiry_the_floor_demands(tmp_path):
    soon, late = TODAY + dt.timedelta(days=30), TODAY + dt.timedelta(days=400)
    held = _suppressions(tmp_path, "", f"""\
  - {{rule: ssrf, function: A, reason: vetted by the security team}}
  - {{rule: ssrf, function: B, reason: vetted by the security team, expires: {soon.isoformat()}}}
  - {{rule: ssrf, function: C, reason: vetted by the security team, expires: {late.isoformat()}}}
""")
    assert [s.function for s in held.suppressions] == ["B"]
    assert any("requires an expiry" in n for n in held.notes)
    assert any("more than the floor's 90 days ahead" in n for n in held.notes)


def test_the_floor_can_forbid_or_allow_project_suppressions(tmp_path):
    entry = "  - {rule: ssrf, function: A, reason: vetted by the security team}\n"
    assert _suppressions(tmp_path, "floor: {suppressions: forbid}\n", entry).suppressions == []
    assert len(_suppressions(tmp_path, "floor: {suppressions: allow, sanitizers: allow}\n", entry).suppressions) == 1
    later = TODAY + dt.timedelta(days=400)
    longer = _suppressions(tmp_path, "floor: {max_days: 500}\n",
                           f"  - {{rule: ssrf, function: A, reason: vetted by the security team, expires: {later}}}\n")
    assert len(longer.suppressions) == 1


def test_a_floor_is_validated_like_any_policy(tmp_path):
    bad = _write(tmp_path / "floor.yml", "version: 1\nfloor: {suppressions: sometimes}\n")
    with pytest.raises(GateInputError, match=r"invalid policy at \$\.floor\.suppressions"):
        find_policy(None, tmp_path, bad)
