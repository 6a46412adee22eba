"""Stage 6, findings: Pysa issues turned into flows on the user's code, with the full trace and the
hop chain across services (``trace.build_findings``)."""
