"""What ``sam build`` left behind: the built template, and where each function's code came from.

The built template is what ``sam deploy`` uses, so it is the one analysed. Its ``CodeUri`` values
point at build copies that also hold vendored dependencies; ``build.toml`` records each function's
source ``codeuri``, so the gate analyses (and reports file:line in) the user's own tree instead.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from gate.common.errors import GateInputError

DEFAULT_BUILD_DIR = Path(".aws-sam") / "build"
BUILT_TEMPLATE = "template.yaml"
BLOCKED_SUFFIX = ".flowgate-blocked"


_MARKER = "# flowgate: blocked build"
# What `sam deploy` finds after a blocked build. Without a built template it would fall back to the
# source template.yaml and deploy the unchecked sources, so the stub stays, and CloudFormation refuses
# it (a rule whose assertion never holds) before anything is created.
_STUB = _MARKER + """ ({why}).
# The built template was moved to {moved}. Fix the flows (see the report) and run `flowgate sam build`
# again; this file exists so that `sam deploy` cannot deploy this build by accident.
AWSTemplateFormatVersion: "2010-09-09"
Description: "BLOCKED BY FLOWGATE: {why}; run flowgate sam build again"
Rules:
  FlowgateBlockedBuild:
    Assertions:
      - Assert: {{"Fn::Equals": ["blocked", "deployable"]}}
        AssertDescription: "flowgate blocked this build ({why}); it must not be deployed"
Resources:
  FlowgateBlockedBuild:
    Type: AWS::CloudFormation::WaitConditionHandle
"""


def built_template(build_dir: Path) -> Path:
    template = build_dir / BUILT_TEMPLATE
    if not template.is_file():
        raise GateInputError("no built template: run `sam build` first (or pass --build-dir)", str(template))
    with template.open(encoding="utf-8", errors="replace") as fh:
        if fh.readline().startswith(_MARKER):
            raise GateInputError("this build was blocked by an earlier check; run `flowgate sam build` again",
                                 str(template))
    return template


def _build_definitions(build_dir: Path) -> list[dict]:
    toml = build_dir.parent / "build.toml"
    if not toml.is_file():
        return []
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GateInputError(f"cannot read SAM build metadata: {exc}", str(toml)) from None
    return [d for d in (data.get("function_build_definitions") or {}).values() if isinstance(d, dict)]


def _custom_build(definition: dict) -> str | None:
    """The ``Metadata.BuildMethod`` of a function that SAM does not build from its source as is
    (``makefile``: the Makefile writes whatever it likes into the artifacts directory)."""
    method = (definition.get("metadata") or {}).get("BuildMethod")
    return method if isinstance(method, str) and not method.startswith("python") else None


def custom_built(build_dir: Path) -> dict[str, str]:
    """``[NestedApp/]LogicalId`` -> its custom build method, for functions analysed as built."""
    return {fn: method for d in _build_definitions(build_dir) if (method := _custom_build(d))
            for fn in d.get("functions") or [] if isinstance(fn, str)}


def source_code_dirs(build_dir: Path) -> dict[str, Path]:
    """``[NestedApp/]LogicalId`` -> the source directory ``sam build`` built it from (``build.toml``).
    A function with a custom build (a Makefile) is left out: what deploys is what the build wrote, so
    the build copy is analysed, not the source."""
    out: dict[str, Path] = {}
    for definition in _build_definitions(build_dir):
        if not isinstance(definition.get("codeuri"), str) or _custom_build(definition):
            continue
        source = Path(definition["codeuri"])
        if not source.is_absolute():
            source = (build_dir.parent.parent / source).resolve()
        if not source.is_dir():
            continue  # moved or deleted since the build: analyse the build copy instead
        for function in definition.get("functions") or []:
            if isinstance(function, str):
                out[function] = source
    return out


def block(build_dir: Path, why: str) -> Path | None:
    """Move the built template aside and leave an undeployable stub in its place (see ``_STUB``)."""
    template = build_dir / BUILT_TEMPLATE
    if not template.is_file():
        return None
    with template.open(encoding="utf-8", errors="replace") as fh:
        if fh.readline().startswith(_MARKER):
            return None  # blocked by an earlier check
    target = template.with_name(BUILT_TEMPLATE + BLOCKED_SUFFIX)
    try:
        template.replace(target)
        template.write_text(_STUB.format(why=why.replace('"', "'"), moved=target.name), encoding="utf-8")
    except OSError as exc:
        raise GateInputError(f"cannot move the built template aside: {exc}; do not deploy this build",
                             str(template)) from None
    return target
