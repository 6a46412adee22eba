"""Function code roots: the application's Python files (vendored packages left out), the parsed
index, the package name of each root in the copy, and whether a handler can be analysed."""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import io
import os
import re
import stat
from pathlib import Path

from gate.common.errors import GateInputError
from gate.model.types import AppModel, Function
from gate.plan.types import CodeRootPlan
from gate.pyast.handlers import HandlerTarget, resolve_handler
from gate.pyast.index import MAX_SOURCE_BYTES, CodeRoot, ModuleIndex
from gate.pyast.zipped import archive_of, has_directory, is_archive, members, read_member
from gate.services.registry import CATALOGUE

PACKAGE_PREFIX = "fgpkg_"  # every instrumented code root is a package named fgpkg_<n>_<dir>
_MAX_RECORD = 8 << 20  # a RECORD or top_level.txt larger than this vouches for nothing
_SKIP_DIRS = {"__pycache__", "node_modules", ".git", ".aws-sam", "cdk.out", ".venv", "venv", ".tox"}


def _code_root(directory: Path, n: int, file_problems: dict[Path, str], project: Path | None = None
               ) -> CodeRootPlan:
    """A code root with every module parsed up front; modules that do not parse are left out."""
    files, excluded = python_files(directory, project)
    index = CodeRoot(directory, files, CATALOGUE)
    bad = []
    for path in files:
        try:
            index.module(index.dotted_name(path))
        except GateInputError as exc:
            file_problems[path] = str(exc)
            bad.append(path)
    if bad:
        files = [f for f in files if f not in bad]
        index = CodeRoot(directory, files, CATALOGUE)
    return CodeRootPlan(directory, _package_name(directory, n), files, [], index, excluded=excluded)


def _template_of(model: AppModel, fn: Function) -> str:
    return f"{model.stack(fn.stack).template_path} (resource {fn.logical_id})"


def _package_name(directory: Path, n: int) -> str:
    stem = re.sub(r"\W+", "_", directory.name).strip("_").lower() or "code"
    return f"{PACKAGE_PREFIX}{n}_{stem}"[:60]


def python_files(directory: Path, boundary: Path | None = None) -> tuple[list[Path], list[str]]:
    """Application ``.py`` files of a code root; vendored packages (those with dist-info) are left out.
    A symlink is followed only to a place inside ``boundary`` (the project; by default the code root
    itself): a link to ``/`` or to a secrets directory elsewhere is never read."""
    inside = (directory, "") if is_archive(directory) else archive_of(directory)
    if inside is not None:
        return _archived_python_files(directory, *inside)
    limit = os.path.realpath(boundary or directory)
    vendored: set[str] = set()
    with os.scandir(directory) as entries:
        infos = [e.path for e in entries if e.name.endswith((".dist-info", ".egg-info")) and e.is_dir()]
    for info in infos:
        vendored |= _vouched_for(Path(info), directory)
    files: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()  # (device, inode): the same directory or file by any path
    seen_files: set[tuple[int, int]] = set()
    # One walk that never enters skipped or vendored directories (node_modules can hold thousands of
    # files); symlinked directories are followed once each, so a link loop ends.
    for current, dirs, names in os.walk(directory, followlinks=True):
        try:
            st = os.stat(current)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen_dirs or not _within(os.path.realpath(current), limit):
            dirs[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        top = current == str(directory)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
                         and not d.endswith((".dist-info", ".egg-info")) and not (top and d in vendored))
        for name in sorted(names):
            if not name.endswith(".py") or (top and name.removesuffix(".py") in vendored):
                continue
            path = os.path.join(current, name)
            try:
                st = os.stat(path)
            except OSError:  # a dangling link
                continue
            if ((st.st_dev, st.st_ino) not in seen_files and stat.S_ISREG(st.st_mode)
                    and _within(os.path.realpath(path), limit)):
                seen_files.add((st.st_dev, st.st_ino))
                files.append(Path(path))
    return sorted(files), sorted(vendored)


def skipped_imports(root: CodeRootPlan, module: ModuleIndex) -> list[str]:
    """Imports of ``module`` that resolve into a folder the walk skips (``node_modules/helper.py``
    imported as ``node_modules.helper``): code that runs but is never analysed, located."""
    out = []
    for node in module.import_nodes:
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if not node.level else []
        for name in names:
            top = name.split(".", 1)[0]
            if top in _SKIP_DIRS and (root.directory / top).is_dir():
                out.append(f"{module.path}:{node.lineno}: imports {name} from {top}/, a folder the gate does not "
                           "analyse (rename the folder, or move the code out of it)")
    return out


def _vouched_for(info: Path, directory: Path) -> set[str]:
    """The top-level names an installed distribution's ``RECORD`` vouches for: every ``.py`` file
    under the name is listed there with its sha256, and matches it. A folder beside a made-up
    ``*.dist-info`` (no RECORD, a file it does not list, a hash that does not match) is application
    code and is analysed; only a consistent installation is left out as a vendored library. (A
    RECORD forged with the right hashes still hides its package: the README's threat model says so.)"""
    record = info / "RECORD"
    if not record.is_file() or record.stat().st_size > _MAX_RECORD:
        return set()
    hashes: dict[str, str] = {}
    for row in csv.reader(io.StringIO(record.read_text(errors="replace"))):
        if len(row) >= 2 and row[1].startswith("sha256="):
            hashes[row[0]] = row[1].removeprefix("sha256=")
    names = {row.split("/", 1)[0].removesuffix(".py") for row in hashes
             if not row.split("/", 1)[0].endswith((".dist-info", ".egg-info")) and not row.startswith("..")}
    top = info / "top_level.txt"
    if top.is_file() and top.stat().st_size <= _MAX_RECORD:
        names |= {line.strip() for line in top.read_text(errors="replace").splitlines() if line.strip()}
    return {name for name in names if _matches(directory, name, hashes)}


def _matches(directory: Path, name: str, hashes: dict[str, str]) -> bool:
    single = directory / f"{name}.py"
    package = directory / name
    files = [single] if single.is_file() and not single.is_symlink() else []
    if package.is_dir() and not package.is_symlink():
        files += [Path(d, f) for d, _dirs, names in os.walk(package) for f in names  # links not followed
                  if f.endswith(".py") and "__pycache__" not in Path(d).parts]
    if not files:
        return package.is_dir() or single.exists()  # data or compiled code only: nothing here to analyse
    for path in files:
        expected = hashes.get(path.relative_to(directory).as_posix())
        if expected is None or not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_SOURCE_BYTES:
            return False
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
        if digest != expected:
            return False
    return True


def _within(path: str, limit: str) -> bool:
    return path == limit or path.startswith(limit.rstrip(os.sep) + os.sep)


def _archived_python_files(directory: Path, archive: Path, prefix: str) -> tuple[list[Path], list[str]]:
    """The same for a code root inside a zip archive (``prefix``: the root's path in the archive)."""
    start = f"{prefix}/" if prefix else ""
    names = [n[len(start):] for n in members(archive) if n.startswith(start)]
    vendored = {n.split("/", 1)[0].split(".dist-info")[0].split("-")[0] for n in names
                if n.split("/", 1)[0].endswith((".dist-info", ".egg-info"))}
    for info in {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}:
        if f"{info}/top_level.txt" in names:
            text = read_member(archive, f"{start}{info}/top_level.txt").decode(errors="replace")
            vendored.update(line.strip() for line in text.splitlines() if line.strip())
    files = []
    for name in names:
        parts = name.split("/")
        if (not name.endswith(".py") or any(p in _SKIP_DIRS or p.startswith(".") for p in parts[:-1])
                or parts[0].removesuffix(".py") in vendored
                or any(p.endswith((".dist-info", ".egg-info")) for p in parts[:-1])):
            continue
        files.append(directory / name)
    return sorted(files), sorted(vendored)


def is_code_location(path: Path) -> bool:
    """A directory, a zip archive, or a directory inside one (a layer's ``python/``)."""
    if path.is_dir() or is_archive(path):
        return True
    inside = archive_of(path)
    return inside is not None and has_directory(*inside)


# Modules whose sinks the policy models: an application module of the same name at the top of a
# code root is what ``import subprocess`` loads on Lambda (the code root comes first on sys.path),
# and would hide every sink from the analysis. (``os`` and ``sys`` are loaded before the handler, so
# a local copy does not take their place; it is still reported: the gate cannot tell.)
SHADOWED = frozenset({"os", "subprocess", "pickle", "marshal", "shelve", "sqlite3", "shutil", "yaml", "requests",
                      "urllib", "urllib3", "httpx", "jsonpickle", "dill", "boto3", "botocore", "importlib",
                      "builtins", "traceback"})


def shadowing_modules(root: CodeRootPlan) -> list[Path]:
    """Application modules (or packages) at the top of the code root named like a modelled module."""
    out = []
    for path in root.files:
        rel = path.relative_to(root.directory)
        top = rel.parts[0].removesuffix(".py") if rel.parts else ""
        if top in SHADOWED and (len(rel.parts) == 1 or rel.parts[1:] == ("__init__.py",)):
            out.append(path)
    return out


def _handler_target(model: AppModel, fn: Function, root: CodeRootPlan, file_problems: dict[Path, str]
                    ) -> HandlerTarget | str:
    """The Python function ``fn``'s handler runs, or why it cannot be analysed (a located message)."""
    assert fn.handler_file and fn.handler_function
    where = _template_of(model, fn)
    shadows = shadowing_modules(root)
    if shadows:
        names = ", ".join(str(p.relative_to(root.directory)) for p in shadows)
        return (f"{names} in {root.directory} shadows the standard or SDK module of that name: what the code's "
                f"import runs, and so its sinks, cannot be told ({where})")
    path = root.directory / fn.handler_file
    if path in file_problems:
        return file_problems[path]
    if not (path.is_file() or path in root.files):
        return f"handler module {fn.handler_file} not found in {root.directory} ({where})"
    module = root.handler_module(fn)
    if module is None:
        return f"handler module {fn.handler_file} is not importable Python ({path})"
    target = resolve_handler(module, fn.handler_function)
    return f"{target} ({where})" if isinstance(target, str) else target
