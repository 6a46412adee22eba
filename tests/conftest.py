"""Shared fixtures: each app is analysed once per session with the real Pysa (~7 s a run)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from gate.report.types import ScanResult
from gate.scan import scan

# Every test proves real Pysa behaviour: the CLI's result cache stays off unless a test turns it on.
os.environ["FLOWGATE_NO_CACHE"] = "1"
os.environ["FLOWGATE_NO_PROGRESS"] = "1"

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def flows(result: ScanResult, latent: bool = False) -> set[tuple]:
    """Each finding as (category, source fn, ((service, resource), ...), sink fn, sink callable, file, line):
    the flows as deployed, or (``latent``) those through a write a role denies."""
    out = set()
    for f in result.findings:
        if bool(f.latent) != latent:
            continue
        out.add((
            f.rule.category,
            f.source_function.split("/", 1)[1] if f.source_function else None,
            tuple((h.service, h.resource.split("/", 1)[1]) for h in f.hops),
            f.sink_function.split("/", 1)[1] if f.sink_function else None,
            f.sink_callable,
            f.sink.file.name if f.sink.file else None,
            f.sink.line,
        ))
    return out


ONE_FUNCTION_SAM = """\
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
"""


def one_function_app(root: Path, code: str, template_extra: str = "") -> Path:
    """A SAM app of one HttpApi-triggered function ``Fn`` with ``src/app.py`` = ``code``."""
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(ONE_FUNCTION_SAM + template_extra)
    (root / "src" / "app.py").write_text(code)
    return root


def tree_digest(root: Path) -> str:
    """SHA-256 over every path under ``root``, file contents and symlink targets: proves a tree untouched."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*"), key=str):
        h.update(str(p.relative_to(root)).encode())
        if p.is_symlink():
            h.update(os.readlink(p).encode())
        elif p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def by_sink_function(result: ScanResult, logical_id: str) -> list:
    return [f for f in result.findings if f.sink_function and f.sink_function.endswith("/" + logical_id)]


def by_source_function(result: ScanResult, logical_id: str) -> list:
    return [f for f in result.findings if f.source_function and f.source_function.endswith("/" + logical_id)]


@pytest.fixture(scope="session")
def vulnerable() -> ScanResult:
    return scan(SAMPLES / "sam-vulnerable")


@pytest.fixture(scope="session")
def safe() -> ScanResult:
    return scan(SAMPLES / "sam-safe")


@pytest.fixture(scope="session")
def sls_vulnerable() -> ScanResult:
    return scan(SAMPLES / "sls-vulnerable")


@pytest.fixture(scope="session")
def sls_safe() -> ScanResult:
    return scan(SAMPLES / "sls-safe")


@pytest.fixture(scope="session")
def cases() -> ScanResult:
    return scan(FIXTURES / "cases")


@pytest.fixture(scope="session")
def cfn() -> ScanResult:
    return scan(FIXTURES / "cfn")


@pytest.fixture(scope="session")
def cdkout() -> ScanResult:
    return scan(FIXTURES / "cdkout")


@pytest.fixture(scope="session")
def hops() -> ScanResult:
    return scan(FIXTURES / "hops")


@pytest.fixture(scope="session")
def content() -> ScanResult:
    return scan(FIXTURES / "content")


# --- the fast lane ------------------------------------------------------------------------------
# Tests that run the real Pysa, `cdk` or `sam` carry the ``e2e`` marker; ``pytest -m "not e2e"``
# runs the rest (every stage's unit tests) in well under a minute. Modules that are end-to-end
# through and through are marked here; tests that use a scanned app are marked by their fixtures;
# other end-to-end tests carry ``@pytest.mark.e2e`` themselves. A test without the marker that
# runs Pysa, sam, cdk or the flowgate CLI in a child process fails, so the lane stays fast.

E2E_MODULES = {"test_cache", "test_cases", "test_cdk", "test_content", "test_corpus", "test_html", "test_inputs",
               "test_sam", "test_samples", "test_scope"}
SCANNED_APPS = {"vulnerable", "safe", "sls_vulnerable", "sls_safe", "cases", "cfn", "cdkout", "hops", "content",
                "policy_app_default", "policy_app_custom"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in E2E_MODULES or SCANNED_APPS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


_SLOW_COMMANDS = ("sam", "cdk", "npx", "pyrefly", "pyre.bin", "chromium")


def _slow(args: object) -> bool:
    argv = [str(a) for a in args] if isinstance(args, list | tuple) else [str(args)]
    names = [Path(a).name for a in argv]
    if not argv or not (Path(argv[0]).exists() or shutil.which(argv[0])):
        return False  # a command that cannot start runs nothing (tests of a missing binary)
    return any(n in _SLOW_COMMANDS for n in names) or "gate" in argv[1:3] or "app.py" in names


@pytest.fixture(autouse=True)
def _fast_lane_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Fail an unmarked test that starts Pysa (pyrefly, pyre.bin), sam, cdk, a CDK app or the
    flowgate CLI in a child process. The command itself still runs, unchanged, so a test that
    expects a failure is not fooled by the guard."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    import subprocess

    ran: list[str] = []
    real_popen = subprocess.Popen

    class Popen(real_popen):  # type: ignore[misc,valid-type]
        def __init__(self, args, *rest, **kwargs):
            if _slow(args):
                ran.append(" ".join(str(a) for a in args) if isinstance(args, list | tuple) else str(args))
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Popen)
    yield
    if ran:
        pytest.fail(f"this test runs {ran[0]}: mark it @pytest.mark.e2e (see tests/conftest.py)")
