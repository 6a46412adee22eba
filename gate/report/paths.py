"""File paths as reports show them: relative to the project when they are inside it; SARIF URIs
relative to the repository root, so an upload from ``infra/`` or ``services/x/`` of a monorepo
points at files that exist."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote


def rel(path: Path | None, base: Path) -> str:
    if path is None:
        return "?"
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def repo_root(start: Path) -> Path:
    """The git top level above ``start`` (a ``.git`` directory, or the file a worktree has), else
    the working directory: where code scanning resolves SARIF paths from."""
    here = start.resolve()
    for parent in (here, *here.parents):
        if (parent / ".git").exists():
            return parent
    return Path.cwd().resolve()


def sarif_uri(path: Path, root: Path) -> dict[str, str]:
    """A percent-encoded URI relative to ``root`` (``uriBaseId`` SRCROOT), else an absolute file URI."""
    try:
        relative = path.resolve().relative_to(root)
    except ValueError:
        return {"uri": path.resolve().as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": "SRCROOT"}
