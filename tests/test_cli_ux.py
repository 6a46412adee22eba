"""The command line and packaging as a new user meets them (issue 18, in part): --version, help that
lists every command, "did you mean", warn-only rollout (--fail-on never, --soft-fail), and the files a
pipeline needs (licence, metadata, pre-commit hook, GitHub Action, container recipe)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import ROOT, SAMPLES

from gate.cli.common import EXIT_BLOCK, EXIT_OK, gate_exit
from gate.cli.main import main
from gate.policy.rules import at_least


def test_version_names_flowgate_and_its_toolchain(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowgate 0.1.0 (pyre-check 0.10.0, pyrefly ")


def test_help_lists_every_command_and_sam_help_succeeds(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("scan", "sam", "cache", "init", "policy"):
        assert command in out.split("positional arguments:")[1]
    assert main(["sam", "--help"]) == 0
    assert "usage: flowgate sam {build,check}" in capsys.readouterr().out


@pytest.mark.parametrize(("typed", "hint"), [("scna", "did you mean 'scan'?"), ("polcy", "did you mean 'policy'?"),
                                             ("xyzzy", "commands: scan, sam, cache, init, policy")])
def test_a_mistyped_command_says_what_was_meant(capsys, typed, hint):
    assert main([typed]) == 2
    err = capsys.readouterr().err
    assert f"unknown command {typed!r}" in err and hint in err


def test_warn_only_rollout(capsys):
    assert not at_least("critical", "never") and at_least("high", "high")
    blocking = SimpleNamespace(incomplete=[], blocking=["a flow"])
    assert gate_exit(blocking, allow_incomplete=False) == EXIT_BLOCK
    assert gate_exit(blocking, allow_incomplete=False, soft_fail=True) == EXIT_OK
    assert "--soft-fail: 1 blocking flow(s) reported, not blocking" in capsys.readouterr().err
    incomplete = SimpleNamespace(incomplete=["Fn: no code"], blocking=["a flow"])
    assert gate_exit(incomplete, allow_incomplete=False, soft_fail=True) == 2  # what could not be read still fails


def test_pipeline_files():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and "Topic :: Security" in project["classifiers"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "flowgate" and hooks[0]["entry"] == "flowgate scan" and not hooks[0]["pass_filenames"]
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = " ".join(str(step) for step in action["runs"]["steps"])
    assert "--format sarif" in steps and "upload-sarif" in steps
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--platform=linux/amd64" in dockerfile and 'ENTRYPOINT ["flowgate"]' in dockerfile
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()


def _dockerfile_copies() -> list[tuple[list[str], str]]:
    """The Dockerfile's ``COPY src... dest`` lines: the container is built from exactly these."""
    out = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, dest = line.split()[1:]
            out.append((sources, dest))
    return out


@pytest.mark.e2e
def test_the_container_recipe_builds_a_working_install(tmp_path):
    """What the Dockerfile copies is enough: a wheel built from only those files carries the models,
    stubs, schema and policy, and installed on its own (as the image's ``pip install /opt/flowgate``
    does) it prints its version and gates a sample. (The image itself is not built here: no registry
    for its base image is reachable from these machines.)"""
    import os
    import shutil

    source = tmp_path / "opt" / "flowgate"
    source.mkdir(parents=True)
    copies = _dockerfile_copies()
    assert copies, "the Dockerfile copies nothing"
    for sources, dest in copies:
        assert dest.startswith("/opt/flowgate/")
        for name in sources:
            target = source / dest.removeprefix("/opt/flowgate/") if not dest.endswith("/") else source / name
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / name, target)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(Path(tmp_path).glob("serverless_flowgate-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("gate/pysa_data/sinks_sources.pysa", "gate/pysa_data/stubs/httpx/__init__.pyi",
                   "gate/pysa_data/stubs/urllib3/poolmanager.pyi", "gate/schemas/policy.schema.json",
                   "gate/default_policy.yml", "gate/cli/main.py", "sam_hook/cli.py", "cdk_aspect/plugin.py"):
        assert needed in names, needed
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text and "Requires-Dist: cfn-lint" in text and "Topic :: Security" in text
    installed = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(installed),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(installed), "FLOWGATE_NO_CACHE": "1"}
    where = subprocess.run([sys.executable, "-c", "import gate; print(gate.__file__)"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(installed))  # the installed copy, not the checkout
    version = subprocess.run([sys.executable, "-m", "gate", "--version"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, check=False)
    assert version.returncode == 0 and version.stdout.startswith("flowgate 0."), version.stderr
    gated = subprocess.run([sys.executable, "-m", "gate", "scan", str(ROOT / "samples" / "sam-vulnerable"), "-q"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300)
    assert gated.returncode == 1 and "6 blocking" in gated.stdout, gated.stdout[-1500:] + gated.stderr[-1500:]


@pytest.mark.e2e
def test_a_baseline_holds_in_a_renamed_checkout(tmp_path, capsys):
    """Fingerprints name functions by logical ID (or construct path), never by the checkout's folder."""
    import shutil

    from conftest import SAMPLES

    first, second = tmp_path / "clone-one" / "orders", tmp_path / "ci" / "workspace-42"
    shutil.copytree(SAMPLES / "sam-vulnerable", first)
    shutil.copytree(SAMPLES / "sam-vulnerable", second)
    baseline = tmp_path / "baseline.json"
    assert main(["scan", str(first), "--write-baseline", str(baseline), "--no-cache"]) == 1
    capsys.readouterr()
    assert main(["scan", str(second), "--baseline", str(baseline), "--no-cache"]) == 0
    assert ", 0 blocking, 7 in baseline" in capsys.readouterr().out


def test_every_bundled_rule_has_a_stable_id_and_a_page():
    from gate.policy.load import default_policy
    from gate.report.sarif import _pascal

    rules = default_policy().rules
    assert {r.id for r in rules} == {"FG-CODE-INJECTION", "FG-SQL-INJECTION", "FG-NOSQL-INJECTION", "FG-SSRF",
                                     "FG-PATH-TRAVERSAL", "FG-INSECURE-DESERIALIZATION", "FG-INFORMATION-LEAKAGE"}
    for rule in rules:
        page = (ROOT / rule.docs).read_text()
        assert page.startswith(f"# {rule.id}: {rule.title}") and f"rule: {rule.name}" in page
        for section in ("## What it means", "## Example", "## How to fix", "## How to accept it"):
            assert section in page, (rule.id, section)
    assert _pascal("Server-side request forgery") == "ServerSideRequestForgery"


@pytest.mark.e2e
def test_sigterm_removes_the_scratch_directory_and_blocks(tmp_path):
    """A cancelled CI job (SIGTERM) ends like Ctrl-C: exit 2, the scratch directory removed (issue 20)."""
    import signal
    import time

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "FLOWGATE_TMPDIR": str(scratch), "FLOWGATE_NO_CACHE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "gate", "scan", str(SAMPLES / "sam-vulnerable")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(scratch.iterdir()) and time.monotonic() < deadline:  # wait until the scan has begun
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, out[-2000:] + err[-2000:]
    assert "flowgate: interrupted" in err and "Traceback" not in err
    assert list(scratch.iterdir()) == []
