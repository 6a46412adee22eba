"""The report formats: the one list the CLI (``--format``), ``flowgate sam`` and the CDK plugin
(``reports=``, the files it writes into ``cdk.out/flowgate/``) all read.

A format's renderer is imported when it is used: a scan that prints text never imports the SARIF
or HTML code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.report.types import ScanResult


@dataclass(frozen=True)
class ReportFormat:
    name: str
    file_name: str  # what the CDK plugin calls the file
    render: Callable[[ScanResult, Path, bool, bool], str]  # (result, base, colour, explain) -> text


def _text(result: ScanResult, base: Path, colour: bool, explain: bool) -> str:
    from gate.report.text import render_text

    return render_text(result, base, colour=colour, explain=explain)


def _json(result: ScanResult, base: Path, colour: bool, explain: bool) -> str:
    from gate.report.json_report import render_json

    return render_json(result, base)


def _sarif(result: ScanResult, base: Path, colour: bool, explain: bool) -> str:
    from gate.report.sarif import render_sarif

    return render_sarif(result, base)


def _html(result: ScanResult, base: Path, colour: bool, explain: bool) -> str:
    from gate.report.html_report import render_html

    return render_html(result, base)


FORMATS: dict[str, ReportFormat] = {f.name: f for f in (
    ReportFormat("text", "report.txt", _text),
    ReportFormat("json", "report.json", _json),
    ReportFormat("sarif", "report.sarif", _sarif),
    ReportFormat("html", "report.html", _html),
)}


def render_report(result: ScanResult, base: Path, fmt: str, colour: bool = False, explain: bool = False) -> str:
    """``result`` in format ``fmt`` (a key of ``FORMATS``), paths relative to ``base``."""
    return FORMATS[fmt].render(result, base, colour, explain)
