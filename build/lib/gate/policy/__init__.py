"""The policy document: rules, their Pysa kinds, sanitizers, custom sources and sinks, suppressions.

Loaded before the pipeline runs and read by the stages that need it (instrumentation generates the
taint configuration and models from it, the verdict stage applies its threshold and suppressions);
it imports only ``gate.common``."""
