"""What the ``flowgate`` subcommands and ``flowgate sam`` share: exit codes, cache options, writing a
report, and the exit code a scan result gives."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gate.common.errors import GateInputError
from gate.policy.rules import THRESHOLDS
from gate.report.escape import for_terminal
from gate.report.registry import render_report

if TYPE_CHECKING:
    from gate.report.types import ScanResult


EXIT_OK, EXIT_BLOCK, EXIT_ERROR = 0, 1, 2


def add_cache_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", type=Path,
                   help="Pysa result cache (default: $FLOWGATE_CACHE_DIR, else ~/.cache/flowgate)")
    p.add_argument("--no-cache", action="store_true", help="always run Pysa (also: $FLOWGATE_NO_CACHE=1)")


def add_verdict_options(p: argparse.ArgumentParser) -> None:
    """Options that decide what blocks, shared by ``flowgate scan`` and ``flowgate sam``."""
    p.add_argument("--fail-on", choices=THRESHOLDS,
                   help="lowest severity that blocks (overrides block_at); 'never' reports without blocking")
    p.add_argument("--soft-fail", action="store_true",
                   help="warn-only rollout: report blocking flows but exit 0 for them (input errors still exit 2)")
    p.add_argument("--source-root", type=Path, metavar="DIR",
                   help="SARIF paths are relative to this directory (default: the git top level, else the "
                        "working directory)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the blocking flows (one line each) and the summary; --output still gets all")


def gate_exit(result: ScanResult, allow_incomplete: bool, soft_fail: bool = False) -> int:
    """1 for blocking flows (0 with ``soft_fail``, which says so); else 2 when the result is
    incomplete (unless allowed); else 0."""
    if result.incomplete:
        verdict = ("accepted (--allow-incomplete)" if allow_incomplete or result.blocking
                   else "the gate blocks (exit 2); --allow-incomplete accepts this")
        print(f"flowgate: incomplete: {len(result.incomplete)} problem(s), {verdict}:", file=sys.stderr)
        for problem in result.incomplete:
            print(for_terminal(f"flowgate:   not analysed: {problem}"), file=sys.stderr)
    if result.blocking and soft_fail:
        print(f"flowgate: --soft-fail: {len(result.blocking)} blocking flow(s) reported, not blocking",
              file=sys.stderr)
    elif result.blocking:
        return EXIT_BLOCK
    if result.incomplete and not allow_incomplete:
        return EXIT_ERROR
    return EXIT_OK


def emit_report(result: ScanResult, base: Path, fmt: str, output: Path | None, explain: bool = False,
                quiet: bool = False) -> None:
    """Render ``result`` as ``fmt`` to ``output`` (a one-line summary then goes to stderr) or stdout."""
    if quiet and fmt == "text" and output is None:  # the blocking flows, one line each, and the summary
        from gate.report.escape import for_terminal
        from gate.report.text import chain, summary_line

        lines = [for_terminal(f"BLOCK {f.rule.title}: {chain(f, result.model, base)}") for f in result.blocking]
        sys.stdout.write("".join(line + "\n" for line in [*lines, summary_line(result)]))
        return
    colour = fmt == "text" and output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = render_report(result, base, fmt, colour=colour, explain=explain)
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise GateInputError(f"cannot write report: {exc}", str(output)) from None
        if not quiet or result.blocking:
            print(f"flowgate: {len(result.findings)} flow(s), {len(result.blocking)} blocking; report: {output}",
                  file=sys.stderr)
    else:
        sys.stdout.write(text)
