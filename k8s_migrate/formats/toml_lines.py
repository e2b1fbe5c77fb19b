"""deployment.toml as tomllib reads it and the line scan sees it (each line a header, an assignment, a line of a
value over lines, or other; where each key is written and the comments around it): the reading that needs no
tomlkit document (rebase, the values proof's data-only edit mode, comments carried), so tomlkit is imported only
where a document is parsed or written (formats.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, NamedTuple

from ..errors import UsageError
from ..hub import HubKey, KeyPath
from .text import SourceText
from .toml_strict import strict_reading

_AT = re.compile(r"\s*\(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")


def check_strict(text: str, name: str, read: Callable[[str], dict[str, Any]] = strict_reading) -> dict[str, Any]:
    """tomllib, the stdlib's strict TOML 1.0 parser, must accept the document too: tomlkit lets some invalid
    documents through (an Arabic-Indic digit in an integer, for one) and would then rewrite them. Returns
    the document's values (shared with detection's reading of the same text: nobody may edit them; ``read``
    tomllib.loads for a reading of the caller's own)."""
    try:
        return read(text)
    except tomllib.TOMLDecodeError as exc:
        match = _AT.search(str(exc))
        where = f" at column {match.group('column')}" if match and match.group("column") else ""
        line = int(match.group("line")) if match and match.group("line") else text.count("\n") + 1
        message = _AT.sub("", str(exc)) if match else str(exc)
        raise UsageError(f"invalid TOML: {message[:1].lower()}{message[1:]}{where}", name, line) from None
    except RecursionError:
        raise UsageError("invalid TOML: nested too deeply", name, 1) from None


def header_lines(text: str) -> dict[int, tuple[str, str]]:
    """Line number (1-based) -> ("[" or "[[", key text) of each table header, outside strings and arrays."""
    return {line.number: (line.match.group(1), line.match.group(2)) for line in scan(text) if line.kind == "header"}


class ScannedLine(NamedTuple):  # a tuple: made for every line of a file, and a frozen dataclass is slow to make
    number: int  # 1-based
    text: str
    kind: str  # header | assign | value (inside a multi-line string or array) | other
    match: Any = None  # the header's or assignment's regex match


def scan(text: str) -> Iterator[ScannedLine]:
    """Each line of a TOML text with what it is: a table header, a key assignment, a line inside a value
    that spans lines (where '#' and '[' are not what they seem), or anything else (comments, blanks)."""
    open_brackets, in_multiline = 0, None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if raw.count(in_multiline) % 2 == 1:
                in_multiline = None
            yield ScannedLine(number, raw, "value")
            continue
        if open_brackets > 0:
            open_brackets += _bracket_delta(raw)
            yield ScannedLine(number, raw, "value")
            continue
        assign = _ASSIGN.match(raw)
        header = _HEADER.match(raw) if not assign else None
        if header:
            yield ScannedLine(number, raw, "header", header)
            continue
        if not assign:
            yield ScannedLine(number, raw, "other")
            continue
        yield ScannedLine(number, raw, "assign", assign)
        rest = raw[assign.end():]
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2 == 1:
                in_multiline = quote
        if in_multiline is None and ("[" in rest or "{" in rest):  # else no bracket opens (closing ones count as 0)
            open_brackets = max(0, _bracket_delta(rest))


class TomlValues:
    """A deployment.toml read for what a rebase needs of it: its values (tomllib, strict, several times faster
    than a round-trip parse) and, from the line scan, where each key is written and the comments around it.
    Its leaves are TomlDocument's, key for key; the rebase output is built from the new baseline."""

    def __init__(self, source: SourceText, name: str, data: dict[str, Any]):
        self.source = source
        self.name = name
        self._data = data

    def data(self) -> dict[str, Any]:
        return self._data

    def leaves(self) -> list[HubKey]:
        text = self.source.text
        facts = scan_facts(text)
        lines = line_numbers(text)
        out = []
        for path, value in _value_leaves(self._data, (), facts.item_tables):
            line = lines.get(path)
            out.append(HubKey(path, value, line, comment=facts.comments.get(line) if line else None))
        forget_line_numbers(text)  # the keys hold their lines now
        return out

def read_plain(source: SourceText, name: str, own: bool = False) -> TomlValues | None:
    """formats.toml.read_values when the file's values are all tomllib keeps: None when a value is an offset
    date-time (the round-trip document names it as written)."""
    if "\x00" in source.text:
        raise UsageError("binary data, not a TOML file", name)
    data = check_strict(source.text, name, tomllib.loads if own else strict_reading)
    if _OFFSET_DATETIME.search(source.text) and _has_offset_datetime(data):
        return None
    return TomlValues(source, name, data)


# what any offset date-time is written as (and more): without one in the text, no value needs the walk below
_OFFSET_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
                              r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")


def _has_offset_datetime(data: Any) -> bool:
    if isinstance(data, dict):
        return any(_has_offset_datetime(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_offset_datetime(v) for v in data)
    return isinstance(data, datetime) and data.tzinfo is not None


def _value_leaves(data: dict[str, Any], prefix: KeyPath, tables_of_items: frozenset[KeyPath]
                  ) -> Iterator[tuple[KeyPath, Any]]:
    """``walk``'s leaves from plain values: tables and inline tables are walked into, an array is an array of
    tables (walked item by item) only when a ``[[header]]`` names it."""
    for key, value in data.items():
        path = prefix + (key,)
        if isinstance(value, dict):
            yield from _value_leaves(value, path, tables_of_items)
        elif isinstance(value, list) and value and tuple(s for s in path if isinstance(s, str)) in tables_of_items:
            for i, item in enumerate(value):
                yield from _value_leaves(item, path + (i,), tables_of_items)
        else:
            yield path, value


_VALUE_PART = re.compile("(?:" + "|".join((
    r"""[^"'#]+""", r'"""[\s\S]*?"""', r"'''[\s\S]*?'''", r'"[^"\\]*(?:\\.[^"\\]*)*"', r"'[^']*'")) + ")*")


def _comment_after_value(text: str) -> str | None:
    if "#" not in text:
        return None
    value = _VALUE_PART.match(text)
    rest = text[value.end() if value else 0:]
    return rest.lstrip("#").strip() or None if rest.startswith("#") else None


# ---- line numbers ----------------------------------------------------------------------------
_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY_PART = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)"""
_ASSIGN = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def line_numbers(text: str) -> dict[KeyPath, int]:
    """Where each key (and each table header) is written (1-based). A light scan; what it cannot
    place gets no line. The answer is cached: read it, never change it."""
    if text not in _LINES:
        _scan_into_caches(text)
    return _LINES[text]


@dataclass(frozen=True)
class ScanFacts:
    """What one line scan of a TOML text tells besides its line numbers."""

    comments: dict[int, str]  # line of a key assignment -> the comment after its value, as tomlkit reads it
    item_tables: frozenset[KeyPath]  # the paths [[headers]] name (arrays of tables), without indices
    anchors: dict[int, KeyPath]  # line of a key or table header right below comment lines -> its path (as in lines)


def scan_facts(text: str) -> ScanFacts:
    """What one line scan of a TOML text tells besides its line numbers (the same scan finds both)."""
    if text not in _FACTS:
        _scan_into_caches(text)
    return _FACTS[text]


_FACTS: dict[str, ScanFacts] = {}
_LINES: dict[str, dict[KeyPath, int]] = {}  # apart: a large file's line map weighs as much as its keys
_SCANS_KEPT = 4


def forget_line_numbers(text: str) -> None:
    """The text's line map is no longer needed (another call scans again)."""
    _LINES.pop(text, None)


def release_reading() -> None:
    """The values tomllib read (kept for detection and the reader to share) are no longer needed."""
    strict_reading.cache_clear()


def forget_scans() -> None:
    _FACTS.clear()
    _LINES.clear()


def _scan_into_caches(text: str) -> None:
    lines, facts = _scan_facts(text)
    _keep(_LINES, text, lines)
    _keep(_FACTS, text, facts)


def _keep(cache: dict[str, Any], text: str, found: Any) -> None:
    cache.pop(text, None)
    while len(cache) >= _SCANS_KEPT:
        del cache[next(iter(cache))]
    cache[text] = found


def _scan_facts(text: str) -> tuple[dict[KeyPath, int], ScanFacts]:
    from ..hub import KeyPathError, parse_key

    lines: dict[KeyPath, int] = {}
    comments: dict[int, str] = {}
    anchors: dict[int, KeyPath] = {}
    item_tables: set[KeyPath] = set()
    table: KeyPath = ()
    aot_counts: dict[KeyPath, int] = {}
    start: ScannedLine | None = None  # the assignment whose value is being read
    last: ScannedLine | None = None  # the last line of a value that spans lines
    below_comment = False  # the lines since the last key or table are comment lines (and blank ones)

    def finish() -> None:
        if start is None:
            return
        comment = _trailing_comment(start, last)
        if comment:
            comments[start.number] = comment

    def place(path: KeyPath, number: int) -> None:
        if lines.setdefault(path, number) == number and below_comment:
            anchors[number] = path

    for line in scan(text):
        if line.kind == "value":
            last = line
            continue
        finish()
        start, last = (line, None) if line.kind == "assign" else (None, None)
        if line.kind == "other":
            stripped = line.text.strip()
            below_comment = stripped.startswith("#") or (below_comment and not stripped)
            continue
        if line.kind == "header":
            try:
                written = parse_key(line.match.group(2))
            except KeyPathError:
                below_comment = False
                continue
            if line.match.group(1) == "[[":
                item_tables.add(written)
            table = header_table(line, written, aot_counts)
            place(table, line.number)  # a table's header line
        elif line.kind == "assign":
            try:
                key = parse_key(line.match.group(1))
            except KeyPathError:
                below_comment = False
                continue
            place(table + key, line.number)
        below_comment = False
    finish()
    return lines, ScanFacts(comments, frozenset(item_tables), anchors)


def _trailing_comment(start: ScannedLine, last: ScannedLine | None) -> str | None:
    """The comment after an assignment's value, on the line where the value ends (``last`` when it spans lines)."""
    rest = start.text[start.match.end():]
    if last is not None:
        closing = next((q for q in ('"""', "'''") if rest.count(q) % 2 == 1), None)
        rest = last.text
        if closing is not None and closing in rest:
            rest = rest[rest.rfind(closing) + 3:]
    return _comment_after_value(rest)


def header_table(line: ScannedLine, written: KeyPath, aot_counts: dict[KeyPath, int]) -> KeyPath:
    """The table a header line opens, with the index of each array item on its way (``aot_counts``: the items
    seen so far, updated)."""
    path = _with_indices(written, aot_counts)
    if line.match.group(1) != "[[":
        return path
    aot_counts[path] = aot_counts.get(path, -1) + 1
    # deeper arrays restart under a new parent item
    for key in [k for k in aot_counts if len(k) > len(path) and k[: len(path)] == path]:
        del aot_counts[key]
    return path + (aot_counts[path],)


def _with_indices(path: KeyPath, aot_counts: dict[KeyPath, int]) -> KeyPath:
    """Insert the current item index after each array-of-tables prefix of a header path."""
    out: list[Any] = []
    for seg in path:
        out.append(seg)
        count = aot_counts.get(tuple(out))
        if count is not None and tuple(out) != path:
            out.append(count)
    return tuple(out)


# the unrolled form: "(?:[^"\\]|\\.)*" keeps state per character and took 1.2 GB on a 10 MB string
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|\'[^\']*\'')
_CODE = re.compile(r'(?:[^"\'#]|"[^"\\]*(?:\\.[^"\\]*)*"|\'[^\']*\')*')  # a line up to its comment


def _bracket_delta(text: str) -> int:
    """Brackets opened minus closed on one line, outside strings and before its comment."""
    code = _CODE.match(text)
    bare = _STRINGS.sub("", code.group(0) if code else text)
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")
