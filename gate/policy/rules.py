"""Severities and the Pysa taint kinds behind policy names.

Policies speak in names users know (``HttpApi``, ``s3-listing``, ``sql-query``); Pysa needs kinds.
This module is the one translation table between the two, and generates ``taint.config`` from a
policy's rules so the rules Pysa runs and the rules reports name can never drift apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SEVERITIES = ("low", "medium", "high", "critical")

# Entry-point kinds the app model knows (gate.services.entry_points, gate.services.resource_policies,
# gate.services.direct_integrations and presigned upload URLs).
ENTRY_KINDS = ("Api", "HttpApi", "FunctionUrl", "ExternalResource", "ALB", "AppSync", "Cognito", "WebSocket",
               "IoT", "CloudWatchLogs")
SOURCE_KINDS = {
    **{k: f"Entry{k}" for k in ENTRY_KINDS},
    "s3-listing": "CloudStorageListing",
    "exception-text": "ExceptionText",
}
SINK_KINDS = {
    "code-execution": "CodeExecution",
    "sql-query": "SqlQuery",
    "nosql-filter": "NoSqlFilter",
    "request-url": "RequestUrl",
    "file-path": "FilePath",
    "deserialization": "Deserialization",
    "http-response": "HttpResponse",
}


def custom_kind(name: str) -> str:
    return "User" + "".join(part.capitalize() for part in name.split("-"))


@dataclass(frozen=True)
class Rule:
    code: int
    name: str  # the policy rule name, e.g. "code-injection"; suppressions refer to it
    category: str  # what reports call the finding (the name unless the policy says otherwise)
    title: str
    sources: tuple[str, ...]  # Pysa kinds
    sinks: tuple[str, ...]
    severity: str
    cwe: str
    help: str
    sanitizers: tuple[str, ...] = ()  # callables clean for this rule's sinks only

    @property
    def id(self) -> str:
        """The stable ID reports, SARIF and the rule pages use (``FG-CODE-INJECTION``)."""
        return rule_id(self.name)

    @property
    def docs(self) -> str:
        """The rule's page: ``docs/rules/<ID>.md`` (one for every rule of the bundled policy)."""
        return f"docs/rules/{self.id}.md"


DOCS_URL = "https://github.com/serverless-flowgate/serverless-flowgate/blob/main/"


def rule_id(name: str) -> str:
    return "FG-" + re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")


def taint_config(rules: list[Rule], source_kinds: list[str], sink_kinds: list[str]) -> str:
    return json.dumps({
        "sources": [{"name": k} for k in source_kinds],
        "sinks": [{"name": k} for k in sink_kinds],
        "features": [],
        "rules": [{"name": r.title, "code": r.code, "sources": list(r.sources), "sinks": list(r.sinks),
                   "message_format": r.help or r.title} for r in rules],
    }, indent=2)


NEVER = "never"  # a threshold no severity reaches: report every flow, block on none (warn-only rollout)
THRESHOLDS = (*SEVERITIES, NEVER)


def at_least(severity: str, threshold: str) -> bool:
    if threshold == NEVER:
        return False
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


def lower(severity: str) -> str:
    """One step less severe (used for lower-confidence flows)."""
    i = SEVERITIES.index(severity)
    return SEVERITIES[max(0, i - 1)]
