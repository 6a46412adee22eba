"""Reading CloudFormation intrinsic functions for identity, not for value.

The gate never needs the deployed value of ``!Sub arn:${AWS::Partition}:s3:::${Bucket}/*``; it needs
to know *which logical resource* a value refers to and through which attribute. These helpers
answer exactly that question.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_SUB_VAR = re.compile(r"\$\{(?!!)([^}]+)\}")


def references(value: Any) -> Iterator[tuple[str, str]]:
    """Yield ``(logical_id, attribute)`` for every resource reference inside ``value``.

    ``attribute`` is ``"Ref"`` for ``Ref`` and the attribute name for ``Fn::GetAtt`` or
    ``${X.Attr}`` inside ``Fn::Sub``. Pseudo parameters (``AWS::Region``) are not yielded.
    """
    if isinstance(value, dict):
        if len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref" and isinstance(arg, str):
                if not arg.startswith("AWS::"):
                    yield arg, "Ref"
                return
            if fn == "Fn::GetAtt":
                target = _getatt_parts(arg)
                if target:
                    yield target
                return
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else _sub_parts(arg)
                for name in _SUB_VAR.findall(text if isinstance(text, str) else ""):
                    if name in variables:
                        yield from references(variables[name])
                    elif not name.startswith("AWS::"):
                        logical, _, attr = name.partition(".")
                        yield logical, attr or "Ref"
                for v in variables.values():
                    yield from references(v)
                return
        for v in value.values():
            yield from references(v)
    elif isinstance(value, list):
        for v in value:
            yield from references(v)


def _getatt_parts(arg: Any) -> tuple[str, str] | None:
    if isinstance(arg, str) and "." in arg:
        logical, _, attr = arg.partition(".")
        return logical, attr
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], str):
        return arg[0], arg[1]
    return None


def _sub_parts(arg: Any) -> tuple[Any, dict[str, Any]]:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        return arg[0], arg[1]
    if isinstance(arg, list) and arg:
        return arg[0], {}
    return "", {}


def literal(value: Any) -> str | None:
    """The plain string value, if the value has no intrinsic in it (numbers count as strings)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def render(value: Any) -> str | None:
    """A string value with every reference written as ``${Logical}`` or ``${Logical.Attr}``.

    ``Fn::Join`` and ``Fn::Sub`` are flattened (Sub variables substituted by their own rendering),
    pseudo parameters stay as ``${AWS::...}``; anything else that is not a string gives ``None``.
    """
    text = literal(value)
    if text is not None:
        return text
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (fn, arg), = value.items()
    if fn == "Ref" and isinstance(arg, str):
        return "${" + arg + "}"
    if fn == "Fn::GetAtt":
        parts = _getatt_parts(arg)
        return "${" + ".".join(parts) + "}" if parts else None
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        sep = literal(arg[0]) or ""
        pieces = [render(v) for v in arg[1]]
        return None if any(p is None for p in pieces) else sep.join(p for p in pieces if p is not None)
    if fn == "Fn::Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else _sub_parts(arg)
        if not isinstance(text, str):
            return None
        for name, v in variables.items():
            rendered = render(v)
            if rendered is not None:
                text = text.replace("${" + name + "}", rendered)
        return text
    return None
