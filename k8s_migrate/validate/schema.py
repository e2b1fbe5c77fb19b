"""The part of JSON Schema that Helm charts' values.schema.json files use: type, enum, const,
properties, required, additionalProperties, items, minimum/maximum, pattern. Enough to say where a
values file goes wrong, with the line, without a dependency."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..hub import format_key
from .findings import Finding

_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_findings(schema: dict[str, Any], data: Any) -> list[Finding]:
    return [Finding("schema", "error", format_key(path) if path else None, f"values.schema.json: {message}",
                    _line(data, path), origin=format_key(path) if path else None)
            for path, message in _problems(schema, data, ())]


def _problems(schema: Any, value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if not isinstance(schema, dict):
        return
    where = format_key(path) if path else "the values"
    wanted = schema.get("type")
    if wanted is not None:
        kinds = wanted if isinstance(wanted, list) else [wanted]
        if not any(_JSON_TYPES.get(k, lambda v: True)(value) for k in kinds):
            yield path, f"{where} must be {' or '.join(kinds)}"
            return
    yield from ((path, message) for message in _value_problems(schema, value, where))
    if isinstance(value, dict):
        yield from _mapping_problems(schema, value, path, where)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from _problems(schema["items"], item, path + (i,))


def _value_problems(schema: dict[str, Any], value: Any, where: str) -> Iterator[str]:
    """enum, const, pattern, minimum and maximum."""
    if "enum" in schema and value not in schema["enum"]:
        yield f"{where} must be one of {', '.join(map(str, schema['enum']))}"
    if "const" in schema and value != schema["const"]:
        yield f"{where} must be {schema['const']!r}"
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        yield f"{where} does not match {schema['pattern']!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{where} must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{where} must be at most {schema['maximum']}"


def _mapping_problems(schema: dict[str, Any], value: dict[str, Any], path: tuple, where: str
                      ) -> Iterator[tuple[tuple, str]]:
    """required, properties and additionalProperties."""
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            yield path, f"{where} needs {name}"
    for name, child in value.items():
        if name in props:
            yield from _problems(props[name], child, path + (str(name),))
        elif schema.get("additionalProperties") is False:
            yield path + (str(name),), f"{format_key(path + (str(name),))} is not allowed here"
        elif isinstance(schema.get("additionalProperties"), dict):
            yield from _problems(schema["additionalProperties"], child, path + (str(name),))


def _line(data: Any, path: tuple) -> int | None:
    """The line of the deepest node on ``path`` that ruamel knows the position of."""
    node: Any = data
    line = None
    for seg in path:
        try:
            positions = node.lc
            line = (positions.key(seg) if isinstance(node, dict) else positions.item(seg))[0] + 1
            node = node[seg]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return line
