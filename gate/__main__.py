"""Allow ``python -m gate``."""

from gate.cli import entry

entry()
