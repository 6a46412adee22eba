"""One status line on a terminal while a scan runs (stage, functions analysed, elapsed time).

Quiet when stderr is not a terminal, in CI (``$CI``), or with ``$FLOWGATE_NO_PROGRESS``: logs and
reports must not fill with carriage returns.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = (self.stream.isatty() and not os.environ.get("CI")
                       and not os.environ.get("FLOWGATE_NO_PROGRESS"))
        self.enabled = enabled
        self.started = time.monotonic()
        self._width = 0

    def stage(self, text: str) -> None:
        if not self.enabled:
            return
        line = f"flowgate: {text} ... {time.monotonic() - self.started:.1f}s"
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def done(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
