"""Turning an XML value back into TOML values: patterns in reverse, joins split, flags inverted."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from k8s_migrate.hub import ANY_ITEM, ANY_KEY, KeyPath, format_segment, parse_key


def typed_value(text: str, type_name: str) -> Any:
    stripped = text.strip()
    if type_name == "bool" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if type_name == "int" and re.fullmatch(r"-?\d+", stripped):
        return int(stripped)
    if type_name == "float" and re.fullmatch(r"-?\d+(\.\d+)?", stripped):
        return float(stripped)
    if type_name == "auto":
        return typed_value(text, "bool" if stripped.lower() in ("true", "false") else "int")
    if type_name == "list":
        return [part.strip() for part in stripped.split(",") if part.strip()]
    return stripped


def reverse_value(entry: dict[str, Any], text: str) -> dict[str, Any] | None:
    """{TOML key pattern: value} that renders ``text`` through ``entry``, or None if it cannot."""
    kind = entry["kind"]
    types = entry.get("types") or ["str"]
    if kind == "direct":
        return {entry["key"]: typed_value(text, types[0])}
    if kind == "invert":
        flag = text.strip().lower()
        return {entry["key"]: flag != "true"} if flag in ("true", "false") else None
    if kind == "join":
        parts = [p.strip() for p in text.split(entry["separator"]) if p.strip()]
        return {entry["key"]: parts}
    if kind == "pattern":
        m = re.match(entry["regex"], text.strip(), re.S)
        if not m:
            return None
        return {key: typed_value(v, t) for key, v, t in zip(entry["keys"], m.groups(), types, strict=False)}
    return None


@lru_cache(maxsize=4096)
def pattern_path(pattern: str) -> KeyPath:
    """A key pattern of the map (``apim.gateway.environment[].name``), parsed once."""
    return parse_key(pattern)


def concrete_key(pattern: str, fills: list[str | int]) -> KeyPath:
    """Fill a key pattern's ``[]`` and ``*`` with the captured item indices and table keys, in order."""
    out: list[str | int] = []
    queue = list(fills)
    for seg in pattern_path(pattern):
        if seg in (ANY_ITEM, ANY_KEY) and queue:
            out.append(queue.pop(0))
        else:
            out.append(seg)
    return tuple(out)


@lru_cache(maxsize=4096)
def pattern_pieces(pattern: str) -> tuple[str | None, ...]:
    """Each segment of a key pattern as format_key writes it after the ones before (``.name``, ``[0]``); None for
    a ``[]`` or ``*`` that a fill takes."""
    return tuple(None if seg in (ANY_ITEM, ANY_KEY) else piece(i, seg) for i, seg in enumerate(pattern_path(pattern)))


def piece(position: int, seg: str | int) -> str:
    text = format_segment(seg)
    return text if isinstance(seg, int) or position == 0 else "." + text


def concrete_key_text(pattern: str, fills: list[str | int]) -> tuple[str, KeyPath]:
    """``format_key(concrete_key(pattern, fills))`` and the key: only the fills are written out afresh."""
    path = concrete_key(pattern, fills)
    pieces = pattern_pieces(pattern)
    return "".join(p if p is not None else piece(i, path[i]) for i, p in enumerate(pieces)), path
