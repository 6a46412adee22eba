"""``flowgate`` command line. Exit codes: 0 nothing blocking, 1 blocking flows, 2 cannot analyse."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gate.errors import GateInputError
from gate.rules import SEVERITIES

EXIT_OK, EXIT_BLOCK, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flowgate", description="Cross-service taint gate for Python Lambda apps.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scan", help="analyse a SAM/CloudFormation project, a template or a cdk.out assembly")
    s.add_argument("path", nargs="?", default=".", help="project directory, template file or cdk.out")
    s.add_argument("--template", type=Path, help="an explicit template file")
    s.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    s.add_argument("--output", type=Path, help="write the report here instead of standard output")
    s.add_argument("--block-at", choices=SEVERITIES, default="high",
                   help="lowest severity that blocks (default: high)")
    s.add_argument("--explain", action="store_true",
                   help="print the trigger graph, every SDK write with its target, and each pruning decision")
    s.add_argument("--keep-workdir", action="store_true", help="keep the instrumented copy (for debugging)")
    return p




def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors are exit 2 already
        return int(exc.code or 0)
    try:
        return _scan(args)
    except GateInputError as exc:
        print(f"flowgate: error: {exc}", file=sys.stderr)
        print("flowgate: the application could not be analysed; the gate blocks (exit 2)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("flowgate: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # fail closed, never a traceback for the user
        if os.environ.get("FLOWGATE_DEBUG"):
            raise
        print(f"flowgate: internal error: {type(exc).__name__}: {exc} (set FLOWGATE_DEBUG=1 for details); "
              "the gate blocks (exit 2)", file=sys.stderr)
        return EXIT_ERROR


def _scan(args: argparse.Namespace) -> int:
    from gate.report_json import render_json
    from gate.report_sarif import render_sarif
    from gate.report_text import render_text
    from gate.scan import scan

    path = Path(args.path)
    result = scan(path, args.template, args.block_at, args.keep_workdir)
    base = (args.template.parent if args.template else (path if path.is_dir() else path.parent)).resolve()
    if args.format == "json":
        text = render_json(result, base)
    elif args.format == "sarif":
        text = render_sarif(result, base)
    else:
        colour = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render_text(result, base, colour=colour, explain=args.explain)
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise GateInputError(f"cannot write report: {exc}", str(args.output)) from None
        summary = f"flowgate: {len(result.findings)} flow(s), {len(result.blocking)} blocking; report: {args.output}"
        print(summary, file=sys.stderr)
    else:
        sys.stdout.write(text)
    if result.workdir:
        print(f"flowgate: instrumented copy kept in {result.workdir}", file=sys.stderr)
    return EXIT_BLOCK if result.blocking else EXIT_OK
