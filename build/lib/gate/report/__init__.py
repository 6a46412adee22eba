"""Stage 8, reports: text, JSON, SARIF 2.1.0 and HTML renderings of a ``ScanResult``, registered in
``registry.FORMATS`` (what the CLI, ``sam_hook`` and the CDK plugin offer). Renderers read
``types.ScanResult`` and never the orchestrator."""
