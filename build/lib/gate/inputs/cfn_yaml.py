"""CloudFormation YAML on PyYAML's libyaml loader: short-form tags, duplicate keys, bounded aliases.

cfn-lint's decoder did this before, but importing it loads all of cfn-lint (0.48 s on every scan,
measured) and its pure-Python node construction took 0.7 s for a 1000-function template; libyaml
(``yaml.CSafeLoader``) parses the same template in about a tenth of that. What CloudFormation YAML
adds to plain YAML is small and fixed, and is all here:

* ``!Ref x`` / ``!Condition x`` become ``{"Ref": x}`` / ``{"Condition": x}``, every other ``!Name``
  becomes ``{"Fn::Name": ...}``, and ``!GetAtt a.b`` becomes ``{"Fn::GetAtt": ["a", "b"]}``;
* a key repeated in one mapping is an error (YAML keeps the last one silently; CloudFormation
  rejects the template), reported at the repeated key;
* timestamps stay strings (``AWSTemplateFormatVersion: 2010-09-09`` is a version, not a date);
* aliases are resolved, but a template whose aliases expand past a fixed number of nodes
  ("billion laughs") is rejected before any later stage walks it.
"""

from __future__ import annotations

from typing import Any

import yaml

_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNPREFIXED = {"Ref", "Condition"}
MAX_EXPANDED_NODES = 250_000


class TemplateSyntaxError(ValueError):
    """A template that is not CloudFormation YAML; ``line``/``column`` are 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line, self.column = line, column


class _Loader(_BASE):  # type: ignore[valid-type,misc]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:  # unhashable keys fail below, as in SafeLoader
                first = seen[key].start_mark.line + 1
                raise TemplateSyntaxError(f"duplicate key {key!r} (first at line {first})",
                                          key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key is None:
                raise TemplateSyntaxError("a mapping key is empty (null)", key_node.start_mark.line + 1,
                                          key_node.start_mark.column + 1)
            if isinstance(key, str | int | float | bool):
                seen[key] = key_node
        mapping = super().construct_mapping(node, deep=deep)
        # CloudFormation keys are names: `80:` or `true:` is the text, as in JSON templates.
        return mapping if all(type(k) is str for k in mapping) else {_text(k): v for k, v in mapping.items()}


def _text(key: Any) -> str:
    return ("true" if key else "false") if isinstance(key, bool) else str(key)


def _timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _intrinsic(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in _UNPREFIXED else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_multi_constructor("!", _intrinsic)


def loads(text: str) -> Any:
    """The template as plain dicts, lists and scalars; ``TemplateSyntaxError`` says where it is not."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except TemplateSyntaxError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        raise TemplateSyntaxError(message, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0) from None
    except yaml.YAMLError as exc:
        raise TemplateSyntaxError(str(exc)) from None
    except RecursionError:
        raise TemplateSyntaxError("values nested too deeply") from None
    finally:
        loader.dispose()
    if "&" in text:  # no anchor, no alias: nothing to bound
        _bound_aliases(data)
    return data


def _bound_aliases(data: Any) -> None:
    """Aliases share one object; count the tree every later stage would walk, once per distinct object."""
    sizes: dict[int, int] = {}

    def size(value: Any) -> int:
        known = sizes.get(id(value))
        if known is not None:
            return known
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        sizes[id(value)] = MAX_EXPANDED_NODES + 1  # until known: an alias of an enclosing node never ends
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                break
        sizes[id(value)] = total
        return total

    if size(data) > MAX_EXPANDED_NODES:
        raise TemplateSyntaxError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES} values")
