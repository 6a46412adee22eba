"""``flowgate sam build [gate options] [sam build options]`` and ``flowgate sam check [gate options]``.

Exit codes follow ``flowgate scan``: 0 clean, 1 blocking flows, 2 the app could not be analysed or
``sam build`` itself failed (its own output says why). Whenever the gate blocks, the built template
is moved aside first and an undeployable stub takes its place.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from gate.cli.common import (
    EXIT_BLOCK,
    EXIT_ERROR,
    EXIT_OK,
    add_cache_options,
    add_verdict_options,
    emit_report,
    gate_exit,
)
from gate.common.cache import from_options
from gate.common.errors import GateInputError
from gate.common.progress import Progress
from gate.report.registry import FORMATS
from sam_hook.build_output import DEFAULT_BUILD_DIR, block, built_template, custom_built, source_code_dirs

# sam build options that take a value and matter to the gate (where the template and output are).
_TEMPLATE_OPTS = ("-t", "--template-file", "--template")
_BUILD_DIR_OPTS = ("-b", "--build-dir")


def _gate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=tuple(FORMATS), default="text",
                   help="report format (default: text on the terminal)")
    p.add_argument("--output", type=Path, help="write the report here")
    p.add_argument("--policy", type=Path, help="policy file (default: flowgate.yml in the project directory)")
    p.add_argument("--policy-floor", type=Path,
                   help="the pipeline's policy floor (default: $FLOWGATE_POLICY_FLOOR)")
    add_verdict_options(p)
    p.add_argument("--baseline", type=Path, help="flows recorded in this baseline do not block")
    p.add_argument("--explain", action="store_true", help="print the trigger graph and every decision")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="do not block when some functions or modules could not be analysed")
    add_cache_options(p)


USAGE = ("usage: flowgate sam {build,check} ...\n"
         "  build [gate options] [sam build options]   run `sam build`, then gate its output\n"
         "  check [gate options] [--build-dir DIR]      gate an existing `sam build` output\n"
         "`flowgate sam build --help` and `flowgate sam check --help` list the gate options.")


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return EXIT_OK
    if not argv or argv[0] not in ("build", "check"):
        print(USAGE, file=sys.stderr)
        return EXIT_ERROR
    command, rest = argv[0], argv[1:]
    p = argparse.ArgumentParser(prog=f"flowgate sam {command}", add_help=True)
    _gate_options(p)
    if command == "check":
        p.add_argument("--build-dir", "-b", type=Path, default=DEFAULT_BUILD_DIR,
                       help="the build directory (default: .aws-sam/build)")
        p.add_argument("--project-dir", type=Path,
                       help="where reports are relative to and flowgate.yml is found (default: the build's project)")
        args = p.parse_args(rest)
        return check(args.build_dir, args)
    args, sam_args = p.parse_known_args(rest)
    if sam_args and sam_args[0] == "--":
        sam_args = sam_args[1:]
    code = _run_sam_build(sam_args)
    if code != 0:
        print(f"flowgate: sam build failed (exit {code}); nothing to gate (exit 2)", file=sys.stderr)
        return EXIT_ERROR
    args.project_dir = None
    return check(_option(sam_args, _BUILD_DIR_OPTS, DEFAULT_BUILD_DIR), args)


def check(build_dir: Path, args: argparse.Namespace) -> int:
    """Gate a build; on blocking flows or when the app cannot be analysed, make the build undeployable."""
    from gate.policy.load import find_policy
    from gate.scan import scan
    from gate.verdict.baseline import read_baseline

    build_dir = build_dir.resolve()
    project = (args.project_dir or _project_dir(build_dir)).resolve()
    try:
        template = built_template(build_dir)
        for fn, method in custom_built(build_dir).items():
            print(f"flowgate: {fn} is built by BuildMethod {method}: its built code in {build_dir} is analysed "
                  "(what deploys), not its source", file=sys.stderr)
        policy = find_policy(args.policy, project, args.policy_floor)
        baseline = read_baseline(args.baseline) if args.baseline else None
        result = scan(template, policy=policy, fail_on=args.fail_on, baseline=baseline,
                      code_dirs=source_code_dirs(build_dir), cache=from_options(args.cache_dir, args.no_cache),
                      progress=Progress())
        result.source_root = args.source_root
        emit_report(result, project, args.format, args.output, args.explain, quiet=args.quiet)
    except Exception:  # fail closed: whatever stopped the analysis, this build must not deploy
        _block(build_dir, "the application could not be analysed")
        raise
    code = gate_exit(result, args.allow_incomplete, soft_fail=args.soft_fail)
    if code == EXIT_BLOCK:
        _block(build_dir, f"{len(result.blocking)} blocking flow(s)")
    elif code != EXIT_OK:
        _block(build_dir, f"the analysis is incomplete: {len(result.incomplete)} problem(s)")
    return code


def _block(build_dir: Path, why: str) -> None:
    moved = block(build_dir, why)
    if moved is not None:
        print(f"flowgate: build blocked ({why}): the built template is now {moved}, and "
              f"{build_dir / 'template.yaml'} is a stub that CloudFormation refuses, so `sam deploy` cannot "
              "deploy this build", file=sys.stderr)


def _project_dir(build_dir: Path) -> Path:
    """``<project>/.aws-sam/build`` -> ``<project>``; any other build dir: the current directory."""
    if build_dir.name == "build" and build_dir.parent.name == ".aws-sam":
        return build_dir.parent.parent
    return Path.cwd()


def _option(args: list[str], names: tuple[str, ...], default: Path) -> Path:
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return Path(args[i + 1])
            if arg.startswith(name + "="):
                return Path(arg.split("=", 1)[1])
    return default


def sam_executable() -> str:
    """``$FLOWGATE_SAM``, else ``sam`` on PATH."""
    explicit = os.environ.get("FLOWGATE_SAM")
    if explicit:
        return explicit
    found = shutil.which("sam")
    if found is None:
        raise GateInputError("SAM CLI not found: install aws-sam-cli or set FLOWGATE_SAM to the sam executable")
    return found


def _run_sam_build(sam_args: list[str]) -> int:
    cmd = [sam_executable(), "build", *sam_args]
    try:
        return subprocess.run(cmd, check=False).returncode
    except OSError as exc:
        raise GateInputError(f"cannot run {cmd[0]}: {exc}") from None
