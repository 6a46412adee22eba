"""Stage 3, the instrumentation plan: every SDK write and which triggers it fires (targets, filters,
IAM), S3 object content stores and reads, sources and sinks reached through the SDK, and which code
roots untrusted input can reach (``scope``). ``build.build_plan`` is the entry point."""
