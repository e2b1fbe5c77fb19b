"""Value comparison and the value transforms a rule can name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

_NUMBER_STARTS = ("+", "-", ".", "i", "I", "n", "N")  # a float's text starts so (inf, nan) or with a digit


def normal(value: Any) -> Any:
    """A comparable form: default.json writes numbers and booleans as strings, TOML does not."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower()
        if not text[:1].isdecimal() and text[:1] not in _NUMBER_STARTS:
            return value  # float() would refuse it: most texts, and its ValueError costs several times this test
        try:
            number = float(text)
        except ValueError:
            return value
        return str(int(number)) if number.is_integer() and "." not in text and "e" not in text.lower() else text
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    return value


def same_value(a: Any, b: Any) -> bool:
    if type(a) is type(b) and type(a) in (str, int) and a == b:
        return True  # equal texts (or integers) have one normal form: most values a proof compares
    return normal(a) == normal(b)


@dataclass
class TransformResult:
    """What a transform gives: the new value, or the keys and values a split writes."""

    value: Any = None
    split_into: list[tuple[str, Any]] | None = None


def transform_value(value: Any, transform: dict[str, Any]) -> TransformResult:
    (kind, spec), = transform.items()
    if kind not in _TRANSFORMS:
        raise ValueError(f"unknown transform {kind}")
    return _TRANSFORMS[kind](value, spec)


def _map(value: Any, spec: dict[Any, Any]) -> TransformResult:
    for old, new in spec.items():
        if same_value(value, old):
            return TransformResult(new)
    return TransformResult(value)


def _invert(value: Any, spec: Any) -> TransformResult:
    if isinstance(value, bool):
        return TransformResult(not value)
    if normal(value) in ("true", "false"):
        return TransformResult(normal(value) != "true")
    return TransformResult(value)


def _join(value: Any, spec: dict[str, Any]) -> TransformResult:
    if isinstance(value, list):
        return TransformResult(spec.get("sep", ",").join(str(v) for v in value))
    return TransformResult(value)


def _split(value: Any, spec: dict[str, Any]) -> TransformResult:
    if not isinstance(value, str):
        return TransformResult(value)
    parts = [p.strip() for p in value.split(spec.get("sep", ","))]
    into = spec.get("into")
    if not into:
        return TransformResult(parts)
    return TransformResult(split_into=list(zip(into, parts, strict=False)))


def _unit(value: Any, spec: dict[str, Any]) -> TransformResult:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return TransformResult(value)
    result = number * float(spec["factor"])
    return TransformResult(int(result) if result.is_integer() else result)


def _replace(value: Any, spec: dict[str, Any]) -> TransformResult:
    if isinstance(value, str):
        for old in spec["old"] if isinstance(spec["old"], list) else [spec["old"]]:
            value = value.replace(old, spec["new"])
    return TransformResult(value)


_TRANSFORMS: dict[str, Callable[[Any, Any], TransformResult]] = {
    "map": _map, "invert": _invert, "join": _join, "split": _split, "unit": _unit, "replace": _replace,
}
