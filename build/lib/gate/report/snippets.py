"""Source lines of the user's files, for reports (read once per file, never executed)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from gate.common.errors import GateInputError
from gate.pyast.index import read_source


@lru_cache(maxsize=256)
def source_lines(path: Path) -> list[str]:
    try:
        return read_source(path).split("\n")
    except GateInputError:
        return []


def line_of(path: Path | None, line: int) -> str:
    lines = source_lines(path) if path else []
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""
