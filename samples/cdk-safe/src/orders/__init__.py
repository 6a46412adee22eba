"""Orders service Lambda handlers (one asset, one handler module per function)."""
