"""The service catalogue: one module per AWS service and its registry (``registry``).

Each service module says everything about its service in one place — CloudFormation triggers,
SDK writes and the IAM action each needs, the call facts its filters read, the event it delivers,
resource-style SDK objects, and the generated helpers it needs. Stages iterate over
``registry.SERVICES`` and name no service. Imports ``gate.common``, ``gate.model.types`` and
``gate.pyast``."""
