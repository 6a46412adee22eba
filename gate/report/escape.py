"""User-controlled text made safe for the terminal.

Logical IDs, file names, source lines and messages come from the repository under review. Written
raw, an ESC sequence in a logical ID recolours or clears the terminal, a newline followed by
``flowgate: 0 flow(s)`` forges a summary line, and Unicode bidirectional controls ("Trojan
Source") make a line read differently from what it is. Control characters, DEL, C1 controls and
bidi controls are shown as escapes (``\\x1b``, ``\\u202e``) instead; HTML, JSON and SARIF escape
for their own media (``html.escape``, ``json.dumps``, percent-encoded URIs).
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """``text`` with every character that could steer a terminal shown as an escape."""
    return _UNSAFE.sub(_shown, text)
