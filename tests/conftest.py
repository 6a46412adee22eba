"""Shared fixtures: each app is analysed once per session with the real Pysa (~7 s a run)."""

from __future__ import annotations

import hashlib
import os
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


def flows(result: ScanResult) -> set[tuple]:
    """Each finding as (category, source fn, ((service, resource), ...), sink fn, sink callable, file, line)."""
    out = set()
    for f in result.findings:
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
