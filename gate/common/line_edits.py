"""Text edits that keep every line where it was (byte columns, as ``ast`` reports them), shared by
the source normalisation of ``gate.pyast`` and the instrumented copy: a line Pysa reports is the
user's line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Edit:
    start: tuple[int, int]  # (line, byte column), 1-based line
    end: tuple[int, int]
    text: str


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
