"""``flowgate`` command line.

Exit codes: 0 nothing blocking (or a command succeeded), 1 blocking flows, 2 the input (app,
policy, baseline) cannot be analysed or used — the gate then blocks.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from gate import __version__
from gate.cli.common import EXIT_ERROR, EXIT_OK, add_cache_options, add_verdict_options, emit_report, gate_exit
from gate.common.errors import GateInputError
from gate.report.escape import for_terminal
from gate.report.registry import FORMATS

if TYPE_CHECKING:
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flowgate", description="Cross-service taint gate for Python Lambda apps.")
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="command", required=True, metavar="{scan,sam,cache,init,policy}")
    s = sub.add_parser("scan", help="analyse a SAM/CloudFormation project, a serverless.yml service, a template "
                                    "or a cdk.out assembly")
    s.add_argument("path", nargs="?", default=".", help="project directory, template file, serverless.yml or cdk.out")
    s.add_argument("--template", type=Path, help="an explicit template file (or serverless.yml)")
    s.add_argument("--stage", help="Serverless Framework: the stage (${opt:stage}, ${sls:stage}); default: "
                                   "provider.stage, else dev")
    s.add_argument("--region", help="Serverless Framework: the region (${opt:region}); default: provider.region")
    s.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="Serverless Framework: a ${param:KEY} value (repeatable)")
    s.add_argument("--format", choices=tuple(FORMATS), default="text")
    s.add_argument("--output", type=Path, help="write the report here instead of standard output")
    s.add_argument("--policy", type=Path,
                   help="policy file (default: flowgate.yml in the project directory, else the bundled policy)")
    s.add_argument("--policy-floor", type=Path,
                   help="the pipeline's policy floor: the project's policy may tighten it, never lower it "
                        "(default: $FLOWGATE_POLICY_FLOOR)")
    add_verdict_options(s)
    s.add_argument("--baseline", type=Path, help="flows recorded in this baseline do not block")
    s.add_argument("--write-baseline", type=Path, help="record every current flow in this baseline file")
    s.add_argument("--explain", action="store_true",
                   help="print the trigger graph, every SDK write with its target, and each pruning decision")
    s.add_argument("--keep-workdir", action="store_true", help="keep the instrumented copy (for debugging)")
    s.add_argument("--allow-incomplete", action="store_true",
                   help="do not block when some functions or modules could not be analysed (they are still listed)")
    add_cache_options(s)
    sub.add_parser("sam", help="gate `sam build`: flowgate sam build|check ... (see flowgate sam --help)",
                   add_help=False)
    c = sub.add_parser("cache", help="the Pysa result cache")
    c.add_argument("cache_command", choices=("clear", "info"))
    c.add_argument("--cache-dir", type=Path, help="default: $FLOWGATE_CACHE_DIR or ~/.cache/flowgate")
    i = sub.add_parser("init", help="write a commented starter policy (flowgate.yml)")
    i.add_argument("directory", nargs="?", default=".", type=Path)
    i.add_argument("--force", action="store_true", help="overwrite an existing flowgate.yml")
    pol = sub.add_parser("policy", help="policy tools")
    pol_sub = pol.add_subparsers(dest="policy_command", required=True)
    chk = pol_sub.add_parser("check", help="validate a policy file against the schema")
    chk.add_argument("file", type=Path)
    pol_sub.add_parser("schema", help="print the policy JSON Schema (for editors)")
    return p


def entry() -> NoReturn:
    """The ``flowgate`` command and ``python -m gate``: a short-lived process, so the cyclic garbage
    collector stays off throughout (``scan`` pauses it anyway; re-enabling it before the report cost a
    0.08 s collection of the scan's AST nodes at 1000 functions), and the process ends without
    freeing every object one by one (another 0.1 s there): reports, cache entries and the scratch
    directory are written or removed before ``main`` returns, so only the standard streams need
    flushing. In-process callers use ``main``."""
    gc.disable()
    # A CI runner cancels a job with SIGTERM: end as Ctrl-C does, so the scratch directory is
    # removed (``scan``'s finally) and the gate still blocks (exit 2), instead of dying mid-write.
    signal.signal(signal.SIGTERM, _terminated)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe must not turn into a traceback
            stream.flush()
    os._exit(code)


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


COMMANDS = ("scan", "sam", "cache", "init", "policy")


def version_text() -> str:
    """flowgate's version and the analysis toolchain it drives."""
    from importlib import metadata

    tools = []
    for dist in ("pyre-check", "pyrefly"):
        try:
            tools.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            tools.append(f"{dist} not installed")
    return f"flowgate {__version__} ({', '.join(tools)})"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sam"]:  # sam build passes unknown options through to SAM CLI: its own parser
        return _guarded("sam", lambda: _sam(argv[1:]))
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        print(f"flowgate: error: unknown command {argv[0]!r}{hint}; commands: {', '.join(COMMANDS)}",
              file=sys.stderr)
        return EXIT_ERROR
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors are exit 2 already
        return int(exc.code or 0)
    if args.command == "init":
        return _guarded(args.command, lambda: _init(args))
    if args.command == "policy":
        return _guarded(args.command, lambda: _policy(args))
    if args.command == "cache":
        return _guarded(args.command, lambda: _cache(args))
    return _guarded(args.command, lambda: _scan(args))


def _guarded(command: str, run: Callable[[], int]) -> int:
    """Run a command; every failure is one located line on stderr and exit 2, never a traceback."""
    try:
        return run()
    except SystemExit as exc:  # argparse inside a sub-command
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_ERROR
    except GateInputError as exc:
        print(for_terminal(f"flowgate: error: {exc}"), file=sys.stderr)
        if command in ("scan", "sam"):
            print("flowgate: the application could not be analysed; the gate blocks (exit 2)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("flowgate: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # fail closed, never a traceback for the user
        if os.environ.get("FLOWGATE_DEBUG"):
            raise
        print(for_terminal(f"flowgate: internal error: {type(exc).__name__}: {exc} (set FLOWGATE_DEBUG=1 for "
                           "details); the gate blocks (exit 2)"), file=sys.stderr)
        return EXIT_ERROR


def _cache(args: argparse.Namespace) -> int:
    from gate.common.cache import clear, default_dir

    directory = args.cache_dir or default_dir()
    if args.cache_command == "clear":
        print(f"flowgate: removed {clear(directory)} cache entr(ies) from {directory}")
        return EXIT_OK
    entries = list(directory.glob("*/*.json.gz")) if directory.is_dir() else []
    size = sum(p.stat().st_size for p in entries)
    print(f"flowgate: cache {directory}: {len(entries)} entr(ies), {size / 1e6:.1f} MB")
    return EXIT_OK


def _sam(argv: list[str]) -> int:
    from sam_hook.cli import main as sam_main

    return sam_main(argv)


def _init(args: argparse.Namespace) -> int:
    from gate.policy.load import POLICY_FILE_NAME, STARTER_POLICY

    target = args.directory / POLICY_FILE_NAME
    if target.exists() and not args.force:
        raise GateInputError("already exists (use --force to overwrite)", str(target))
    try:
        target.write_text(STARTER_POLICY, encoding="utf-8")
    except OSError as exc:
        raise GateInputError(f"cannot write policy: {exc}", str(target)) from None
    print(f"flowgate: wrote {target}")
    return EXIT_OK


def _policy(args: argparse.Namespace) -> int:
    from gate.policy.load import check_policy_file, schema

    if args.policy_command == "schema":
        sys.stdout.write(json.dumps(schema(), indent=2) + "\n")
        return EXIT_OK
    policy = check_policy_file(args.file)
    print(f"flowgate: {args.file} is valid: {len(policy.rules)} rule(s), block_at {policy.block_at}, "
          f"{len(policy.suppressions)} suppression(s)")
    return EXIT_OK


def _framework_options(args: argparse.Namespace) -> Any:
    from gate.common.errors import GateInputError
    from gate.inputs.serverless_vars import Options

    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GateInputError(f"--param {item!r} is not KEY=VALUE")
        params[key] = value
    return Options(stage=args.stage, region=args.region, params=params)


def _scan(args: argparse.Namespace) -> int:
    from gate.policy.load import find_policy
    from gate.scan import scan
    from gate.verdict.baseline import read_baseline, write_baseline

    path = Path(args.path)
    base = (args.template.parent if args.template else (path if path.is_dir() else path.parent)).resolve()
    if not args.template and (base / "manifest.json").is_file() and (base.parent / "cdk.json").is_file():
        base = base.parent  # a CDK cloud assembly: the project (flowgate.yml, sources) is its parent
    policy = find_policy(args.policy, base, args.policy_floor)
    baseline = read_baseline(args.baseline) if args.baseline else None
    from gate.common.cache import from_options
    from gate.common.progress import Progress

    result = scan(path, args.template, policy, args.fail_on, baseline, args.keep_workdir,
                  cache=from_options(args.cache_dir, args.no_cache), progress=Progress(),
                  framework=_framework_options(args))
    if args.write_baseline:
        write_baseline(args.write_baseline, result.findings, result.model)
        if not args.quiet:
            print(f"flowgate: baseline of {len(result.findings)} flow(s) written to {args.write_baseline}",
                  file=sys.stderr)
    result.source_root = args.source_root
    emit_report(result, base, args.format, args.output, args.explain, quiet=args.quiet)
    if result.workdir:
        print(f"flowgate: instrumented copy kept in {result.workdir}", file=sys.stderr)
    return gate_exit(result, args.allow_incomplete, soft_fail=args.soft_fail)
