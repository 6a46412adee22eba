"""File paths as reports show them: relative to the project when they are inside it."""

from __future__ import annotations

from pathlib import Path


def rel(path: Path | None, base: Path) -> str:
    if path is None:
        return "?"
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
