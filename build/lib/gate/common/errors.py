"""Errors that end a scan with exit code 2.

The gate must never show a traceback for bad input: every failure we can anticipate is raised
as a ``GateInputError`` carrying a location, and the CLI prints it on one line.
"""

from __future__ import annotations


class GateInputError(Exception):
    """The input cannot be analysed; ``where`` says which file (and line) is at fault."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class AnalysisError(GateInputError):
    """The analysis engine (Pysa) failed; the gate cannot vouch for the app."""
