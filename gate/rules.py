"""Finding categories and the Pysa taint rules behind them: one table, used to generate
``taint.config`` and to interpret Pysa's issues, so the two can never drift apart."""

from __future__ import annotations

import json
from dataclasses import dataclass

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Rule:
    code: int
    category: str
    title: str
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    severity: str
    cwe: str
    help: str


# Sources: the event of an untrusted entry point; S3 listings (object keys chosen by uploaders);
# exception text (for leakage only).
SOURCES = {
    "UntrustedEvent": "event of an internet-facing entry point (API Gateway, function URL)",
    "CloudStorageListing": "object keys read back from an S3 listing",
    "ExceptionText": "exception message or traceback",
}
SINKS = {
    "CodeExecution": "shell command, subprocess argv, eval/exec",
    "SqlQuery": "SQL text given to a DB-API execute",
    "NoSqlFilter": "DynamoDB scan/query filter or key condition",
    "RequestUrl": "URL or host of an outbound HTTP request",
    "FilePath": "path of a file opened or removed",
    "Deserialization": "bytes given to an unsafe deserializer",
    "HttpResponse": "value returned to an HTTP caller",
}
_UNTRUSTED = ("UntrustedEvent", "CloudStorageListing")

RULES: tuple[Rule, ...] = (
    Rule(7001, "code-injection", "Code injection", _UNTRUSTED, ("CodeExecution",), "critical", "CWE-78",
         "Untrusted data reaches a shell, a subprocess command line, or eval/exec."),
    Rule(7002, "sql-injection", "SQL injection", _UNTRUSTED, ("SqlQuery",), "high", "CWE-89",
         "Untrusted data is part of SQL text; pass it as a query parameter instead."),
    Rule(7003, "nosql-injection", "NoSQL injection", _UNTRUSTED, ("NoSqlFilter",), "high", "CWE-943",
         "Untrusted data shapes a DynamoDB filter or key condition."),
    Rule(7004, "ssrf", "Server-side request forgery", _UNTRUSTED, ("RequestUrl",), "high", "CWE-918",
         "Untrusted data chooses where the function sends an HTTP request."),
    Rule(7005, "path-traversal", "Path traversal", _UNTRUSTED, ("FilePath",), "high", "CWE-22",
         "Untrusted data chooses which file the function opens or removes."),
    Rule(7006, "insecure-deserialization", "Insecure deserialization", _UNTRUSTED, ("Deserialization",),
         "critical", "CWE-502", "Untrusted bytes are deserialized with pickle, marshal, yaml.load or jsonpickle."),
    Rule(7007, "information-leakage", "Information leakage", ("ExceptionText",), ("HttpResponse",), "medium",
         "CWE-209", "Exception text or a traceback is returned to the HTTP caller."),
)
RULES_BY_CODE = {r.code: r for r in RULES}
RULES_BY_CATEGORY = {r.category: r for r in RULES}


def taint_config() -> str:
    return json.dumps({
        "sources": [{"name": n, "comment": c} for n, c in SOURCES.items()],
        "sinks": [{"name": n, "comment": c} for n, c in SINKS.items()],
        "features": [],
        "rules": [{"name": r.title, "code": r.code, "sources": list(r.sources), "sinks": list(r.sinks),
                   "message_format": r.help} for r in RULES],
    }, indent=2)


def lower(severity: str) -> str:
    """One step less severe (used for lower-confidence flows)."""
    i = SEVERITIES.index(severity)
    return SEVERITIES[max(0, i - 1)]
