"""Python source, statically: the per-module index (scopes, imports, calls), symbolic strings and
the resolution of boto3 handles, and regex allow-list guards.

Knows no AWS service: which SDK objects exist is the ``SdkCatalogue`` a ``CodeRoot`` is given
(``gate.services.registry.CATALOGUE``). Imports ``gate.common`` only."""
