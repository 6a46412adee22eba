"""Stage 4, instrumentation: the copy of the code that Pysa analyses (the user's tree is only read),
with SDK writes rewritten into generated hops, the generated modules and the taint models.
``build.instrument`` is the entry point; ``types.InstrumentedApp`` is what it hands on."""
