"""toYaml as Helm does it (sigs.k8s.io/yaml over go-yaml v2): sorted keys, block style, Go quoting rules."""

from __future__ import annotations

import re
from typing import Any

from .govalue import format_v

_YAML11_SPECIAL = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?(?:0|[1-9][0-9_]*)|0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+"
    r"|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|<<)$")
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else format_v(value)
    text = str(value)
    if text == "" or _YAML11_SPECIAL.match(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if (text[0] in _INDICATORS or text[0] == " " or text[-1] == " " or ": " in text or " #" in text
            or text.endswith(":") or any(not ch.isprintable() for ch in text)):
        return "'" + text.replace("'", "''") + "'"
    return text


def _block(text: str, indent: int) -> str:
    chomp = "" if text.endswith("\n") else "-"
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    pad = " " * indent
    return f"|{chomp}\n" + "\n".join(pad + line if line else "" for line in lines)


def _emit(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            lines.extend(_entry(pad + _scalar(str(key)) + ":", value[key], indent, in_list=False))
    elif isinstance(value, (list, tuple)):
        for item in value:
            lines.extend(_entry(pad + "-", item, indent, in_list=True))
    return lines


def _entry(prefix: str, value: Any, indent: int, in_list: bool) -> list[str]:
    if isinstance(value, dict) and value:
        if in_list:
            inner = _emit(value, indent + 2)
            return [prefix + " " + inner[0].lstrip(" ")] + inner[1:]
        return [prefix] + _emit(value, indent + 2)
    if isinstance(value, (list, tuple)) and value:
        if in_list:
            inner = _emit(value, indent + 2)
            return [prefix + " " + inner[0].lstrip(" ")] + inner[1:]
        return [prefix] + _emit(value, indent)
    if isinstance(value, dict):
        return [prefix + " {}"]
    if isinstance(value, (list, tuple)):
        return [prefix + " []"]
    if isinstance(value, str) and "\n" in value:
        return [prefix + " " + _block(value, indent + 2)]
    return [prefix + " " + _scalar(value)]


def to_yaml(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        if not value:
            return "{}\n" if isinstance(value, dict) else "[]\n"
        return "\n".join(_emit(value, 0)) + "\n"
    if isinstance(value, str) and "\n" in value:
        return _block(value, 2) + "\n"
    return _scalar(value) + "\n"
