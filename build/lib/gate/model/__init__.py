"""Stage 2, the application model: functions, resources, triggers, entry points, environment
bindings and IAM permissions, as plain data.

``types`` and ``iam`` sit below the service catalogue (``gate.services`` extracts triggers into
these types); ``build`` sits above it and is the stage's entry point, a pure function of the stacks."""
