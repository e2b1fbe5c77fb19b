"""Placeholders in values: ``$env{NAME}``, ``$sys{name}``, ``$secret{alias}``, ``$ref{key}`` and ``${name}``.

A placeholder is malformed when it has no closing brace, is empty, uses parentheses, is spelled in
another case (``$ENV{``), or holds what its kind cannot name (a space, ``${env:X}``).
"""

from __future__ import annotations

import re
from typing import Iterator

from ..hub import KeyPathError, parse_key

KINDS = ("env", "sys", "secret", "ref", "")
_OPENING = re.compile(r"\$([A-Za-z]*)\s*([{(])")
_CONTENT = {
    "env": re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$"),
    "sys": re.compile(r"^[\w.\-]+$"),
    "secret": re.compile(r"^[\w.\-]+$"),
    "": re.compile(r"^[\w.\-]+$"),
}


def written(kind: str) -> str:
    return f"${kind}{{}}"


def problems(text: str) -> Iterator[tuple[str, str | None]]:
    """(message, referenced key for $ref{}) for each placeholder problem in ``text``."""
    for m in _OPENING.finditer(text):
        name, bracket = m.group(1), m.group(2)
        kind = name.lower()
        if kind not in KINDS:
            continue  # `$word{` that is no placeholder kind: literal text (a password, a regex)
        close = text.find("}", m.end())
        shown = text[m.start(): close + 1 if 0 <= close < m.end() + 40 else m.end() + 12]
        if name != kind:
            yield f"placeholder {shown!r}: write {written(kind)} in lower case", None
            continue
        if bracket == "(":
            yield f"placeholder {shown!r}: uses parentheses; write {written(kind)}", None
            continue
        end = text.find("}", m.end())
        if end < 0:
            yield f"placeholder {shown!r} has no closing brace", None
            continue
        content = text[m.end(): end]
        if not content.strip():
            yield f"empty placeholder {written(kind)}", None
            continue
        if kind == "ref":
            try:
                parse_key(content)
            except KeyPathError:
                yield f"placeholder $ref{{{content}}} does not name a deployment.toml key", None
                continue
            yield "", content
            continue
        if not _CONTENT[kind].match(content):
            what = "an environment variable name" if kind == "env" else "a name"
            yield f"placeholder {written(kind)[:-2]}{{{content}}}: {content!r} is not {what}", None
