"""The inverted 3.0.0 template map: an XML location -> the TOML key(s) that fill it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from k8s_migrate.data import load_json

SEGMENT = re.compile(r"^(?P<tag>[^\[]+)(?P<pred>\[.*\])?$")


@lru_cache(maxsize=65536)
def split_xpath(xpath: str) -> tuple[str, ...]:
    """Split on '/' outside predicates (a predicate value may hold a '/')."""
    parts, depth, current = [], 0, ""
    for ch in xpath:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "/" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return tuple(parts)


@lru_cache(maxsize=65536)
def segment_parts(segment: str) -> tuple[str, str]:
    m = SEGMENT.match(segment)
    return (m.group("tag"), m.group("pred") or "") if m else (segment, "")


@lru_cache(maxsize=65536)
def predicate_value(predicate: str) -> str | None:
    m = re.match(r"^\[(?:@?[\w.:-]+)=(['\"])(.*)\1\]$", predicate)
    return m.group(2) if m else None


@dataclass(frozen=True)
class Capture:
    """What a wildcard segment of the map matched in the user's file."""

    position: int  # index of the segment in the path
    segment: str  # the user's segment, e.g. ``Environment[Name='X']`` or ``maxActive``
    name: str  # the table key a ``*`` in the TOML key takes


@dataclass(frozen=True)
class Match:
    entry: dict[str, Any]
    captures: tuple[Capture, ...]

    @property
    def wildcards(self) -> int:
        return len(self.captures)


def segment_matches(pattern: str, got: str) -> Capture | bool:
    """True for an exact match, a Capture for a wildcard match, False otherwise."""
    if pattern == got:
        return True
    tag, pred = segment_parts(got)
    if pattern == "*":
        return Capture(-1, got, tag) if not pred else False
    ptag, ppred = segment_parts(pattern)
    if ppred == "[*]" and ptag == tag:
        return Capture(-1, got, predicate_value(pred) or tag)
    return False


def is_wildcard(segment: str) -> bool:
    return segment == "*" or segment.endswith("[*]")


class InvertedMap:
    def __init__(self, data: dict[str, Any]):
        self.file = data["file"]
        self.entries: list[dict[str, Any]] = data["entries"]
        self.exact: dict[str, list[dict[str, Any]]] = {}
        # wildcard entries by (number of segments, last segment), the last segment None when it is a wildcard:
        # (position in the template, segments, entry)
        self.wild: dict[tuple[int, str | None], list[tuple[int, tuple[str, ...], dict[str, Any]]]] = {}
        for position, entry in enumerate(self.entries):
            segments = split_xpath(entry["xpath"])
            if any(is_wildcard(s) for s in segments):
                last = None if is_wildcard(segments[-1]) else segments[-1]
                self.wild.setdefault((len(segments), last), []).append((position, segments, entry))
            else:
                self.exact.setdefault(entry["xpath"], []).append(entry)
        self.exact_prefixes = {"/".join(split_xpath(x)[:n])
                               for x in self.exact for n in range(1, len(split_xpath(x)) + 1)}

    def lookup(self, segments: tuple[str, ...]) -> list[Match]:
        """Entries for a location, exact ones first, then by fewest wildcards, in template order."""
        found = [Match(e, ()) for e in self.exact.get("/".join(segments), [])]
        if not segments:
            return found
        wild: list[tuple[int, int, Match]] = []
        size = len(segments)
        for position, pattern, entry in [*self.wild.get((size, segments[-1]), ()),
                                         *self.wild.get((size, None), ())]:
            match = self.wildcard_match(pattern, entry, segments)
            if match is not None:
                wild.append((match.wildcards, position, match))
        wild.sort(key=lambda m: m[:2])
        return found + [m for _, _, m in wild]

    def wildcard_match(self, pattern: tuple[str, ...], entry: dict[str, Any],
                       segments: tuple[str, ...]) -> Match | None:
        """The match of one wildcard entry's segments at a location of the same length, or None."""
        captures = []
        for i, (want, got) in enumerate(zip(pattern, segments, strict=True)):
            hit = segment_matches(want, got)
            if hit is False:
                return None
            if isinstance(hit, Capture):
                if want != "*" and self.is_named_exactly(segments[: i + 1]):
                    return None
                captures.append(Capture(i, hit.segment, hit.name))
        return Match(entry, tuple(captures))

    def is_named_exactly(self, prefix: tuple[str, ...]) -> bool:
        """Does some entry name this exact element (e.g. ``datasource[name='WSO2AM_DB']``)?"""
        return "/".join(prefix) in self.exact_prefixes and any(p.endswith("]") for p in prefix[-1:])


@lru_cache(maxsize=None)
def inverted_map(template_version: str, file_name: str) -> InvertedMap | None:
    try:
        return InvertedMap(load_json(f"xml/{template_version}/{file_name}.json"))
    except FileNotFoundError:
        return None
