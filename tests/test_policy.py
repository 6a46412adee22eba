"""Policy as code: schema, defaults, custom sources/sinks/sanitizers, thresholds, suppressions, baselines."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLES, flows

from gate.cli import main as cli
from gate.policy.load import (
    DEFAULT_POLICY_PATH,
    STARTER_POLICY,
    check_policy_file,
    compile_policy,
    default_policy,
    schema,
)
from gate.policy.types import Suppression
from gate.scan import scan
from gate.verdict.triage import triage

POLICY_APP = FIXTURES / "policy_app"


def _write(tmp_path: Path, text: str, name: str = "flowgate.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _flowgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate", *args], capture_output=True, text=True, check=False)


# --- schema and validation -------------------------------------------------------------------


def test_schema_is_valid_and_exported(capsys):
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema())
    assert cli.main(["policy", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema()


@pytest.mark.parametrize("text, path", [
    ("version: 1\nblock_at: severe\n", "$.block_at"),
    ("version: 1\nrules:\n  - {name: x, severity: bad, sources: [HttpApi], sinks: [sql-query]}\n",
     "$.rules[0].severity"),
    ("version: 1\nsuppressions:\n  - {rule: code-injection, function: F}\n", "$.suppressions[0]"),
    ("version: 1\nsuppressions:\n  - {rule: code-injection, function: F, reason: long enough reason, "
     "expires: someday}\n", "$.suppressions[0].expires"),
    ("version: 1\nrules:\n  - {name: x, severity: low, sources: [HttpApi], sinks: [nowhere]}\n",
     "$.rules[0].sinks[0]"),
    ("version: 2\n", "$.version"),
    ("version: 1\nsuppressions:\n  - {rule: code-injektion, function: F, reason: long enough reason}\n",
     "$.suppressions[0].rule"),
    ("version: 1\ncolour: blue\n", "$"),
])
def test_invalid_policy_names_the_json_path(capsys, tmp_path, text, path):
    policy = _write(tmp_path, text)
    assert cli.main(["policy", "check", str(policy)]) == 2
    err = capsys.readouterr().err
    assert f"invalid policy at {path}:" in err and str(policy) in err


def test_a_suppression_of_an_unknown_rule_says_which_it_meant(capsys, tmp_path):
    policy = _write(tmp_path, "version: 1\nsuppressions:\n  - {rule: code-injektion, function: F, "
                              "reason: long enough reason}\n")
    assert cli.main(["policy", "check", str(policy)]) == 2
    assert "no rule named 'code-injektion' (did you mean 'code-injection'?)" in capsys.readouterr().err


def test_suppressions_that_name_no_function_are_errors_and_unmatched_ones_warnings():
    from gate.inputs.detect import load_input
    from gate.model.build import build_app_model
    from gate.verdict.triage import unknown_suppression_targets

    model = build_app_model(load_input(SAMPLES / "sam-vulnerable"))
    policy = default_policy()
    policy.suppressions = [Suppression("code-injection", "a typo in the function", function="ThumbnailFuncton"),
                           Suppression("code-injection", "a typo in the path", construct_path="Shop/Rendr"),
                           Suppression("ssrf", "an existing function", function="ThumbnailFunction")]
    assert unknown_suppression_targets(policy, model) == [
        "suppression code-injection in ThumbnailFuncton: no function of this app has the function "
        "'ThumbnailFuncton' (did you mean 'ThumbnailFunction'?)",
        "suppression code-injection in Shop/Rendr: no function of this app has the construct_path 'Shop/Rendr'"]
    warnings = triage([], model, policy)
    assert warnings[-1] == "suppression ssrf in ThumbnailFunction matched no flow; remove it if the flow is gone"


def test_invalid_policy_blocks_a_scan(capsys, tmp_path):
    policy = _write(tmp_path, "version: 1\nblock_at: severe\n")
    assert cli.main(["scan", str(FIXTURES / "cfn"), "--policy", str(policy)]) == 2
    assert "invalid policy at $.block_at" in capsys.readouterr().err


def test_policy_yaml_errors_are_located(capsys, tmp_path):
    policy = _write(tmp_path, "version: 1\nrules: [\n")
    assert cli.main(["policy", "check", str(policy)]) == 2
    assert f"{policy}:3:1: policy is not valid YAML" in capsys.readouterr().err


def test_init_writes_a_valid_commented_starter(capsys, tmp_path):
    assert cli.main(["init", str(tmp_path)]) == 0
    written = tmp_path / "flowgate.yml"
    assert written.read_text() == STARTER_POLICY and written.read_text().count("#") > 20
    assert cli.main(["policy", "check", str(written)]) == 0
    assert "is valid: 7 rule(s), block_at high" in capsys.readouterr().out
    assert cli.main(["init", str(tmp_path)]) == 2  # never overwrites silently
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["init", str(tmp_path), "--force"]) == 0


def test_bundled_default_policy():
    policy = default_policy()
    assert [(r.category, r.severity) for r in policy.rules] == [
        ("code-injection", "critical"), ("sql-injection", "high"), ("nosql-injection", "high"), ("ssrf", "high"),
        ("path-traversal", "high"), ("insecure-deserialization", "critical"), ("information-leakage", "medium")]
    assert policy.block_at == "high"
    assert policy.sanitizers == ["shlex.quote", "int.__new__", "float.__new__", "uuid.UUID.__init__"]
    assert check_policy_file(DEFAULT_POLICY_PATH.parent / "default_policy.yml").block_at == "high"
    # A project policy merges over the default: same-name rules replace, lists add up.
    merged = compile_policy({"version": 1, "block_at": "critical", "sanitizers": ["mylib.clean"],
                             "rules": [{"name": "ssrf", "severity": "low", "sources": ["Api"],
                                        "sinks": ["request-url"]}]}, "test")
    assert merged.block_at == "critical" and len(merged.rules) == 7
    assert next(r for r in merged.rules if r.category == "ssrf").severity == "low"
    assert merged.sanitizers[-1] == "mylib.clean"
    assert compile_policy({"version": 1, "extends": "none"}, "test").rules == []


# --- custom sources, sinks, sanitizers (real Pysa) ---------------------------------------------


@pytest.fixture(scope="module")
def policy_app_default():
    return scan(POLICY_APP)


@pytest.fixture(scope="module")
def policy_app_custom():
    return scan(POLICY_APP, policy=check_policy_file(POLICY_APP / "policy.yml"))


def test_custom_sources_sinks_and_sanitizers(policy_app_default, policy_app_custom):
    # Without the policy, flowgate knows none of the app's helpers: only plain os.system flows remain,
    # except line 13, whose safe_name() is recognised on its own as a re.fullmatch allow-list guard.
    assert {(c, callee, line) for c, _s, _h, _f, callee, _n, line in flows(policy_app_default)} == {
        ("code-injection", "os.system", 16)}
    got = {(f.rule.name, f.rule.category, f.sink_callable, f.sink.line) for f in policy_app_custom.findings}
    assert got == {
        ("sql-injection", "sql-injection", "db.run_query", 11),     # custom sink joining a built-in sink
        ("audit-leak", "data-exposure", "audit.log_event", 12),     # callable sink named in a rule, own category
        ("code-injection", "code-injection", "os.system", 14),      # custom source
        ("code-injection", "code-injection", "os.system", 16),      # sql_literal does not clean a shell command
    }  # line 13: global sanitizer; line 15: sql_literal is a sanitizer for the sql-injection rule only
    audit = next(f for f in policy_app_custom.findings if f.rule.name == "audit-leak")
    assert audit.severity == "low" and not audit.blocking
    assert policy_app_custom.policy.origin.endswith("policy.yml")


# --- thresholds, suppressions, baselines ---------------------------------------------------------


def _retriage(result, policy, **kw):
    findings = copy.deepcopy(result.findings)
    warnings = triage(findings, result.model, policy, **kw)
    return findings, warnings


def test_fail_on_overrides_block_at(vulnerable):
    policy = default_policy()
    assert len([f for f in _retriage(vulnerable, policy)[0] if f.blocking]) == 6
    assert len([f for f in _retriage(vulnerable, policy, fail_on="critical")[0] if f.blocking]) == 3
    assert len([f for f in _retriage(vulnerable, policy, fail_on="medium")[0] if f.blocking]) == 7


def test_suppressions_need_a_match_and_expire(vulnerable, cdkout):
    base = default_policy()
    thumb = Suppression("code-injection", "keys are server-generated UUIDs", function="ThumbnailFunction",
                        sink="subprocess.run")
    base.suppressions = [thumb]
    findings, warnings = _retriage(vulnerable, base)
    suppressed = [f for f in findings if f.suppressed_by]
    assert [f.sink_function.split("/")[1] for f in suppressed] == ["ThumbnailFunction"]
    assert not suppressed[0].blocking and warnings == []
    for other in (Suppression("sql-injection", "wrong rule for this flow", function="ThumbnailFunction"),
                  Suppression("code-injection", "wrong sink callable here", function="ThumbnailFunction",
                              sink="os.system"),
                  Suppression("code-injection", "wrong handler for this one", function="ThumbnailFunction",
                              handler="other.handler")):
        base.suppressions = [other]
        assert not any(f.suppressed_by for f in _retriage(vulnerable, base)[0])
    base.suppressions = [Suppression("code-injection", "accepted until the fix ships", function="ThumbnailFunction",
                                     expires=dt.date(2026, 1, 31))]
    findings, warnings = _retriage(vulnerable, base, today=dt.date(2026, 11, 22))
    thumb_flow = next(f for f in findings if f.sink_function.endswith("ThumbnailFunction"))
    assert thumb_flow.blocking and thumb_flow.suppressed_by is None
    assert warnings and "expired on 2026-01-31" in warnings[0]
    assert "suppression expired on 2026-01-31" in thumb_flow.notes[0]
    findings, _ = _retriage(vulnerable, base, today=dt.date(2026, 1, 31))  # still valid on its last day
    assert next(f for f in findings if f.sink_function.endswith("ThumbnailFunction")).suppressed_by
    # CDK construct paths are stable identities too (with or without the /Resource leaf).
    base.suppressions = [Suppression("code-injection", "renderer runs in a sandbox", construct_path="ShopStack/Render")]
    assert all(f.suppressed_by for f in _retriage(cdkout, base)[0])


@pytest.mark.e2e
def test_policy_file_changes_the_exit_code_end_to_end(tmp_path):
    app = FIXTURES / "cfn"
    lowered = _write(tmp_path, "version: 1\nrules:\n  - {name: code-injection, severity: medium, "
                               "sources: [Api], sinks: [code-execution]}\n", "lowered.yml")
    assert _flowgate("scan", str(app), "--policy", str(lowered)).returncode == 0
    assert _flowgate("scan", str(app), "--policy", str(lowered), "--fail-on", "medium").returncode == 1
    suppress = _write(tmp_path, "version: 1\nsuppressions:\n  - rule: code-injection\n    function: Processor\n"
                                "    sink: subprocess.call\n    reason: CSV names are validated upstream\n",
                      "suppress.yml")
    out = tmp_path / "r.sarif"
    proc = _flowgate("scan", str(app), "--policy", str(suppress), "--format", "sarif", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())["runs"][0]["results"][0]
    assert result["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "CSV names are validated upstream"}]
    expired = _write(tmp_path, suppress.read_text() + "    expires: 2020-01-01\n", "expired.yml")
    proc = _flowgate("scan", str(app), "--policy", str(expired))
    assert proc.returncode == 1
    assert "expired on 2020-01-01" in proc.stdout


@pytest.mark.e2e
def test_baseline_survives_moved_lines_and_catches_new_flows(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "cfn", app)
    baseline = tmp_path / "baseline.json"
    proc = _flowgate("scan", str(app), "--write-baseline", str(baseline))
    assert proc.returncode == 1
    assert len(json.loads(baseline.read_text())["findings"]) == 1
    # Unrelated edits move every line of both functions.
    for rel in ("src/pkg/loader.py", "src/handlers/app.py", "src/pkg/mod.py"):
        path = app / rel
        path.write_text('"""Moved by a refactoring."""\n\n\n# comment\n' + path.read_text())
    proc = _flowgate("scan", str(app), "--baseline", str(baseline), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    doc = json.loads(proc.stdout)
    assert doc["summary"]["baselined"] == 1 and doc["findings"][0]["sink"]["line"] == 9
    # A new flow of the same shape in the same function is new, not hidden by the baseline.
    loader = app / "src/pkg/loader.py"
    loader.write_text(loader.read_text() + "\n\ndef load_again(key):\n    subprocess.call(['sh', '-c', key])\n")
    mod = app / "src/pkg/mod.py"
    mod.write_text(mod.read_text().replace("from pkg.loader import load", "from pkg.loader import load, load_again")
                   .replace("        load(record", "        load_again(record[\"s3\"][\"object\"][\"key\"])\n"
                            "        load(record"))
    proc = _flowgate("scan", str(app), "--baseline", str(baseline), "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    # Pysa merges both sinks behind the one hop into one issue; each is its own flow here.
    assert sorted((f["sink"]["line"], f["baselined"]) for f in doc["findings"]) == [(9, True), (13, False)]
    assert doc["summary"]["blocking"] == 1


def test_unreadable_baseline_is_an_error(capsys, tmp_path):
    bad = _write(tmp_path, "{}", "b.json")
    assert cli.main(["scan", str(FIXTURES / "cfn"), "--baseline", str(bad)]) == 2
    assert "not a flowgate baseline" in capsys.readouterr().err


@pytest.mark.e2e
def test_custom_sink_pysa_cannot_find_fails_closed(capsys, tmp_path):
    policy = _write(tmp_path, "version: 1\ncustom_sinks:\n  - {name: sql-query, callable: nosuchlib.query, "
                              "parameter: q}\n")
    assert cli.main(["scan", str(FIXTURES / "cfn"), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert "nosuchlib.query" in err and "gate blocks" in err
