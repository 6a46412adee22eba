"""What source resolution hands on: symbolic strings (``Sym``), boto3 handles (``Handle``), and the
``SdkCatalogue`` protocol through which the service registry describes boto3 to this package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Sym:
    """A string whose value is known exactly, comes from an env var, is a concatenation, or unknown."""

    kind: str  # "const" | "env" | "concat" | "unknown"
    value: str | None = None
    env: str | None = None
    default: Sym | None = None
    parts: tuple[Sym, ...] = ()

    def exact(self) -> str | None:
        if self.kind == "const":
            return self.value
        if self.kind == "concat" and all(p.kind == "const" for p in self.parts):
            return "".join(p.value or "" for p in self.parts)
        return None

    def prefix(self) -> str:
        """The statically known leading text ('' when nothing is known)."""
        if self.kind == "const":
            return self.value or ""
        if self.kind == "concat":
            out = ""
            for p in self.parts:
                if p.kind != "const":
                    return out + p.prefix()
                out += p.value or ""
            return out
        return ""

    def suffix(self) -> str:
        if self.kind == "const":
            return self.value or ""
        if self.kind == "concat":
            out = ""
            for p in reversed(self.parts):
                if p.kind != "const":
                    return p.suffix() + out
                out = (p.value or "") + out
            return out
        return ""

    def describe(self) -> str:
        if self.kind == "const":
            return repr(self.value)
        if self.kind == "env":
            dflt = f", default {self.default.describe()}" if self.default else ""
            return f"env {self.env}{dflt}"
        if self.kind == "concat":
            return " + ".join(p.describe() for p in self.parts)
        return "unknown"


UNKNOWN = Sym("unknown")


def const(text: str) -> Sym:
    return Sym("const", value=text)


def concat(parts: list[Sym]) -> Sym:
    flat: list[Sym] = []
    for p in parts:
        flat.extend(p.parts if p.kind == "concat" else [p])
    merged: list[Sym] = []
    for p in flat:
        if merged and p.kind == "const" and merged[-1].kind == "const":
            merged[-1] = const((merged[-1].value or "") + (p.value or ""))
        else:
            merged.append(p)
    return merged[0] if len(merged) == 1 else Sym("concat", parts=tuple(merged))


@dataclass(frozen=True)
class Handle:
    """A boto3 object: a client, a resource, or a resource sub-object such as ``Bucket``."""

    service: str
    kind: str  # "session" | "client" | "resource" | sub-resource name | "BucketObjects"
    target: Sym | None = None  # resource identity given to a constructor
    key: Sym | None = None  # S3 object key given to an Object constructor


@dataclass(frozen=True)
class SubResource:
    """A boto3 resource-style object built from another one: ``s3.Bucket(name)``,
    ``s3.Bucket(n).Object(k)``, ``sqs.get_queue_by_name(QueueName=q)`` (``via`` names the factory
    method when it is not the object's own name), or an attribute such as ``bucket.objects``
    (``attribute``: reached without a call)."""

    name: str
    params: tuple[str, ...]
    target: str | None  # the constructor parameter that names the resource
    parent: str | None = None  # receiver kind it is built from ("resource" or another sub-resource)
    key: str | None = None
    via: str | None = None
    attribute: bool = False

    @property
    def factory(self) -> str:
        return self.via or self.name


class SdkCatalogue(Protocol):
    """What resolution needs to know about AWS SDK services, given by ``gate.services.registry``
    (this package imports no service: it is handed the catalogue with the code root)."""

    attribute_names: frozenset[str]

    def has_service(self, name: str) -> bool: ...

    def sub_resource(self, service: str, parent: str, name: str, attribute: bool = False) -> SubResource | None: ...


class NoServices:
    """A catalogue without services: no expression resolves to an SDK object."""

    attribute_names: frozenset[str] = frozenset()

    def has_service(self, name: str) -> bool:
        return False

    def sub_resource(self, service: str, parent: str, name: str, attribute: bool = False) -> SubResource | None:
        return None
