"""Text edits that keep every line where it was, so a line Pysa reports is the user's line."""

from __future__ import annotations

import ast
import re

from gate.instrument.types import Edit

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _utf8_cookie(text: str) -> str:
    """The copy is written as UTF-8, so a PEP 263 declaration of another encoding must say so."""
    lines = text.split("\n", 2)
    for i in range(min(2, len(lines))):
        if _CODING.match(lines[i]):
            lines[i] = "# -*- coding: utf-8 -*-"
            return "\n".join(lines)
    return text


def _statement_edit(node: ast.stmt, text: str) -> Edit:
    end_line = node.end_lineno or node.lineno
    # A multi-line statement becomes one line plus blank lines, so later lines keep their numbers.
    return Edit((node.lineno, node.col_offset), (end_line, node.end_col_offset or 0),
                text + "\n" * (end_line - node.lineno))


def _continuations(node: ast.expr) -> str:
    lines = (node.end_lineno or node.lineno) - node.lineno
    return " \\\n" * lines


def _find_open_paren(source: str, after: tuple[int, int]) -> tuple[int, int]:
    lines = source.split("\n")
    line, col = after
    while line <= len(lines):
        raw = lines[line - 1].encode("utf-8")
        idx = raw.find(b"(", col)
        if idx >= 0:
            return line, idx
        line, col = line + 1, 0
    raise ValueError("call without an opening parenthesis")


def apply_edits(source: str, edits: list[Edit]) -> tuple[str, dict[int, list[tuple[int, int]]]]:
    """Apply non-overlapping edits (byte columns, as ``ast`` reports them); keep line numbers."""
    lines = [line.encode("utf-8") for line in source.split("\n")]
    shifts: dict[int, list[tuple[int, int]]] = {}
    accepted: list[Edit] = []
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if accepted and e.start < accepted[-1].end:
            continue  # overlapping rewrite (e.g. an SDK call nested in another): keep the outer one
        accepted.append(e)
    for e in reversed(accepted):
        (sl, sc), (el, ec) = e.start, e.end
        head, tail = lines[sl - 1][:sc], lines[el - 1][ec:]
        new = (head + e.text.encode("utf-8") + tail).split(b"\n")
        assert len(new) == el - sl + 1, "an edit changed the number of lines"
        lines[sl - 1: el] = new
        if sl == el:
            delta = len(e.text.encode("utf-8")) - (ec - sc)
            shifts.setdefault(sl, []).append((sc, delta))
    return "\n".join(line.decode("utf-8") for line in lines), shifts
