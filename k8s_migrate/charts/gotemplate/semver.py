"""Masterminds/semver constraints, enough for semverCompare on Kubernetes versions."""

from __future__ import annotations

import re

from .govalue import TemplateError

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_TERM = re.compile(r"^\s*(>=|<=|!=|=>|=<|>|<|=|~>|~|\^)?\s*(v?[0-9xX*][0-9A-Za-z.+*-]*)\s*$")


def _parse(text: str) -> tuple[tuple[int, int, int], str]:
    match = _VERSION.match(text.strip())
    if not match:
        raise TemplateError(f"invalid semantic version: {text}")
    major, minor, patch, pre = match.groups()
    return (int(major), int(minor or 0), int(patch or 0)), pre or ""


def _key(version: tuple[tuple[int, int, int], str]) -> tuple:
    numbers, pre = version
    return numbers, (1,) if not pre else (0, pre)


def _term(op: str, target: str, version: tuple) -> bool:
    parts = re.split(r"[.]", target.lstrip("v").split("-")[0])
    wild = [p in ("x", "X", "*") for p in parts] + [True] * (3 - len(parts))
    numbers = [int(p) if p.isdigit() else 0 for p in parts] + [0] * (3 - len(parts))
    if op in ("", "=") and any(wild):
        fixed = wild.index(True)
        return list(version[0][:fixed]) == numbers[:fixed]
    base = _key(((numbers[0], numbers[1], numbers[2]), target.split("-", 1)[1] if "-" in target else ""))
    here = _key(version)
    if op in ("~", "~>"):
        upper = (numbers[0], numbers[1] + 1, 0) if len(parts) > 1 else (numbers[0] + 1, 0, 0)
        return base <= here and here[0] < upper
    if op == "^":
        upper = (numbers[0] + 1, 0, 0) if numbers[0] else (0, numbers[1] + 1, 0)
        return base <= here and here[0] < upper
    return {"": here == base, "=": here == base, "!=": here != base, ">": here > base, "<": here < base,
            ">=": here >= base, "=>": here >= base, "<=": here <= base, "=<": here <= base}[op]


def satisfies(constraint: str, version_text: str) -> bool:
    version = _parse(version_text)
    for alternative in constraint.split("||"):
        terms = [t for t in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative.strip()) if t]
        ok = True
        for term in terms:
            match = _TERM.match(term)
            if not match:
                raise TemplateError(f"improper constraint: {constraint}")
            ok = ok and _term(match.group(1) or "", match.group(2), version)
        if ok:
            return True
    return False
