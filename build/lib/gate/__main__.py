"""Allow ``python -m gate``."""

from gate.cli.main import entry

entry()
