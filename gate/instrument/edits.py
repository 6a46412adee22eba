"""Text edits that keep every line where it was, so a line Pysa reports is the user's line."""

from __future__ import annotations

import ast
import re

from gate.common.line_edits import Edit

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
