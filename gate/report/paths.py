"""TODO docstring (from gate/report_text.py)."""

from __future__ import annotations

from pathlib import Path


def _rel(path: Path | None, base: Path) -> str:
    if path is None:
        return "?"
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
