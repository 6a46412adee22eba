"""The ``AWS::LanguageExtensions`` transform, applied offline as CloudFormation would apply it.

* ``Fn::ForEach::Name: [Identifier, Collection, {OutputKey: OutputValue}]`` in ``Resources``,
  ``Outputs``, ``Conditions`` or a resource's properties expands to one copy of the fragment per
  collection item: ``${Identifier}``/``&{Identifier}`` in keys, ``{"Ref": Identifier}`` and
  ``${Identifier}`` inside ``Fn::Sub`` become the item. A collection may be a list or a
  ``Ref`` to a ``CommaDelimitedList`` (or list) parameter, whose default is used.
* ``Fn::Length`` of a literal list becomes its length; ``Fn::ToJsonString`` of a value without
  intrinsics becomes its JSON text (others stay, and read as unknown values later).
* ``DeletionPolicy``/``UpdateReplacePolicy`` given by an intrinsic are dropped: they decide nothing
  the gate looks at, and the SAM translator accepts only strings there.

A collection the gate cannot know (a parameter without a default, an intrinsic) is a located error:
guessing would silently analyse a different app.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from gate.common.errors import GateInputError

TRANSFORM = "AWS::LanguageExtensions"
MAX_EXPANDED = 10_000  # resources (or outputs, conditions) one template may expand to


def uses_language_extensions(template: dict[str, Any]) -> bool:
    transform = template.get("Transform")
    return TRANSFORM in (transform if isinstance(transform, list) else [transform])


def apply_language_extensions(template: dict[str, Any], path: Path) -> dict[str, Any]:
    parameters = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
    out = dict(template)
    for section in ("Resources", "Outputs", "Conditions"):
        if isinstance(out.get(section), dict):
            out[section] = _expand(out[section], parameters, f"{path} ({section})", 0)
            if len(out[section]) > MAX_EXPANDED:
                raise GateInputError(f"Fn::ForEach expands {section} to more than {MAX_EXPANDED} entries", str(path))
    for res in (out.get("Resources") or {}).values():
        if isinstance(res, dict):
            for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
                if attribute in res and not isinstance(res[attribute], str):
                    del res[attribute]
    return _functions(out)


def _expand(mapping: dict[str, Any], parameters: dict[str, Any], where: str, depth: int) -> dict[str, Any]:
    if depth > 5:
        raise GateInputError("Fn::ForEach nested deeper than 5 levels", where)
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(key, str) and key.startswith("Fn::ForEach::"):
            if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
                    and isinstance(value[2], dict)):
                raise GateInputError(f"{key} must be [Identifier, Collection, {{OutputKey: OutputValue}}]", where)
            identifier, collection, fragment = value
            for item in _collection(collection, parameters, f"{where} {key}"):
                expanded = _substitute(fragment, identifier, item)
                out.update(_expand(expanded, parameters, where, depth + 1))
        else:
            out[key] = _expand_values(value, parameters, where, depth)
    return out


def _expand_values(value: Any, parameters: dict[str, Any], where: str, depth: int) -> Any:
    """``Fn::ForEach`` inside a resource (its properties) expands there too."""
    if isinstance(value, dict):
        if any(isinstance(k, str) and k.startswith("Fn::ForEach::") for k in value):
            return _expand(value, parameters, where, depth + 1)
        return {k: _expand_values(v, parameters, where, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_values(v, parameters, where, depth) for v in value]
    return value


def _collection(value: Any, parameters: dict[str, Any], where: str) -> list[str]:
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        param = parameters.get(value["Ref"])
        default = param.get("Default") if isinstance(param, dict) else None
        if isinstance(default, str):
            return [item.strip() for item in default.split(",") if item.strip()]
        if isinstance(default, list):
            value = default
        else:
            raise GateInputError(f"the collection is parameter {value['Ref']!r}, which has no default; "
                                 "the gate cannot know what it expands to", where)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise GateInputError("the collection is not a list of values the gate can know", where)


def _substitute(value: Any, identifier: str, item: str) -> Any:
    marks = (f"${{{identifier}}}", f"&{{{identifier}}}")
    alnum = re.sub(r"[^A-Za-z0-9]", "", item)

    def in_key(key: str) -> str:
        return key.replace(marks[0], item).replace(marks[1], alnum)

    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] == identifier:
            return item
        if set(value) == {"Fn::Sub"}:
            sub = value["Fn::Sub"]
            if isinstance(sub, str):
                return {"Fn::Sub": sub.replace(marks[0], item).replace(marks[1], alnum)}
            if isinstance(sub, list) and sub and isinstance(sub[0], str):
                rest = [_substitute(v, identifier, item) for v in sub[1:]]
                return {"Fn::Sub": [sub[0].replace(marks[0], item).replace(marks[1], alnum), *rest]}
        return {in_key(k) if isinstance(k, str) else k: _substitute(v, identifier, item) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, identifier, item) for v in value]
    return value


def _functions(value: Any) -> Any:
    if isinstance(value, dict):
        value = {k: _functions(v) for k, v in value.items()}
        if set(value) == {"Fn::Length"} and isinstance(value["Fn::Length"], list):
            return len(value["Fn::Length"])
        if set(value) == {"Fn::ToJsonString"} and not _has_intrinsic(value["Fn::ToJsonString"]):
            return json.dumps(value["Fn::ToJsonString"], separators=(",", ":"))
        return value
    if isinstance(value, list):
        return [_functions(v) for v in value]
    return value


def _has_intrinsic(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k == "Ref" or str(k).startswith("Fn::") or _has_intrinsic(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_intrinsic(v) for v in value)
    return False
