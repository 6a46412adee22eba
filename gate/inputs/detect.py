"""Which input format a path is, and loading it: the one place that knows every input format.

``INPUT_FORMATS`` is tried in order; the first whose ``locate`` finds something under the user's
path loads it. A new format is a module in this package (``serverless`` is three) and one entry
here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gate.common.cache import PysaCache
from gate.common.errors import GateInputError
from gate.inputs.cloud_assembly import load_cloud_assembly
from gate.inputs.nested import load_template_tree
from gate.inputs.serverless import SERVERLESS_NAMES, load_serverless
from gate.inputs.serverless_vars import Options
from gate.inputs.types import Stack

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
CodeDirs = dict[str, Path] | None


@dataclass(frozen=True)
class InputFormat:
    name: str
    looks_for: str  # what it looks for in a directory, for the "nothing found" message
    locate: Callable[[Path], Path | None]  # the file or directory to load for the user's path
    load: Callable[[Path, CodeDirs, PysaCache | None, Options | None], list[Stack]]


def _assembly_here(path: Path) -> Path | None:
    if path.is_file():
        return path.parent if path.name == "manifest.json" else None
    return path if (path / "manifest.json").is_file() else None


def _template_here(path: Path) -> Path | None:
    if path.is_file():
        return None if path.name in SERVERLESS_NAMES else path
    return next((path / name for name in TEMPLATE_NAMES if (path / name).is_file()), None)


def _assembly_below(path: Path) -> Path | None:
    return path / "cdk.out" if path.is_dir() and (path / "cdk.out" / "manifest.json").is_file() else None


def _serverless_here(path: Path) -> Path | None:
    if path.is_file():
        return path if path.name in SERVERLESS_NAMES else None
    return next((path / name for name in SERVERLESS_NAMES if (path / name).is_file()), None)


def _load_assembly(path: Path, _code_dirs: CodeDirs, cache: PysaCache | None, _options: Options | None
                   ) -> list[Stack]:
    return load_cloud_assembly(path, cache)


def _load_template(path: Path, code_dirs: CodeDirs, cache: PysaCache | None, _options: Options | None
                   ) -> list[Stack]:
    return load_template_tree(path, code_dirs=code_dirs, cache=cache)


def _load_serverless(path: Path, _code_dirs: CodeDirs, _cache: PysaCache | None, options: Options | None
                     ) -> list[Stack]:
    return load_serverless(path, options)


INPUT_FORMATS: tuple[InputFormat, ...] = (
    InputFormat("cdk cloud assembly", "manifest.json", _assembly_here, _load_assembly),
    InputFormat("sam/cloudformation template", ", ".join(TEMPLATE_NAMES), _template_here, _load_template),
    InputFormat("cdk cloud assembly below a cdk project", "cdk.out/manifest.json", _assembly_below, _load_assembly),
    InputFormat("serverless framework service", ", ".join(SERVERLESS_NAMES), _serverless_here, _load_serverless),
)


def load_input(path: Path, template: Path | None = None, code_dirs: dict[str, Path] | None = None,
               cache: PysaCache | None = None, framework: Options | None = None) -> list[Stack]:
    """Resolve the scan target into stacks; raise ``GateInputError`` with a location otherwise.

    ``code_dirs`` overrides function code directories by ``[NestedApp/...]LogicalId`` (what
    ``sam build`` records in ``build.toml``), so a build's template is analysed on the user's sources.
    ``framework`` is the Serverless Framework's ``--stage``/``--region``/``--param`` for a
    ``serverless.yml``.
    """
    if template is not None:
        if not template.is_file():
            raise GateInputError("template file not found", str(template))
        if template.name in SERVERLESS_NAMES:
            return load_serverless(template, framework)
        return load_template_tree(template, code_dirs=code_dirs, cache=cache)
    if not path.exists():
        raise GateInputError("no such file or directory", str(path))
    for fmt in INPUT_FORMATS:
        found = fmt.locate(path)
        if found is not None:
            return fmt.load(found, code_dirs, cache, framework)
    looked = ", ".join(f.looks_for for f in INPUT_FORMATS if f.looks_for != "manifest.json")
    raise GateInputError(f"no template found (looked for {looked})", str(path))
