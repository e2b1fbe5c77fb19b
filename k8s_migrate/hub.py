"""The hub: every input becomes TOML key paths, whatever format it came from.

A key path is a tuple of segments: ``str`` for a table key, ``int`` for an item of an
array of tables.  Its text form is what operators read in reports and what rule packs
are written in:

    database.apim_db.url
    apim.gateway.environment[0].http_endpoint
    system.parameter."org.wso2.CipherTransformation"

Patterns (rule keys, catalog entries) may also use ``*`` for any one table key and
``[]`` (or ``[*]``) for any item of an array of tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator

Segment = str | int
KeyPath = tuple[Segment, ...]

ANY_KEY = "*"
ANY_ITEM = -1

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_TOKEN = re.compile(
    r"""\s*(?:
        "(?P<dq>(?:[^"\\]|\\.)*)"     # "quoted"
      | '(?P<sq>[^']*)'               # 'literal'
      | \[(?P<idx>\d*|\*)\]           # [0]  []  [*]
      | (?P<bare>[A-Za-z0-9_\-*]+)    # bare or *
    )\s*""",
    re.VERBOSE,
)


class KeyPathError(ValueError):
    pass


# paths of bare keys and item indices, the common case: read and written without the general parser's work or
# its cache (which a file of more keys than it holds turns into pure cost)
_BARE_PATH = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_PLAIN_SEGMENT = r'(?:[A-Za-z0-9_-]+|"[^"\\\n]*")'  # bare, or quoted with nothing escaped
_PLAIN_PATH = re.compile(rf"{_PLAIN_SEGMENT}(?:\.{_PLAIN_SEGMENT}|\[\d+\])*")
_BARE_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_INDEXED_PATH = re.compile(r"[A-Za-z0-9_-]+(?:\[\d+\])*(?:\.[A-Za-z0-9_-]+(?:\[\d+\])*)*")
_PLAIN_PATH_PART = re.compile(r'([A-Za-z0-9_-]+)|"([^"\\\n]*)"|\[(\d+)\]')


def parse_key(text: Any) -> KeyPath:  # Any: callers typed against the cached form, which took anything
    """Parse the text form of a key path (double or single quoted segments allowed)."""
    if _BARE_PATH.fullmatch(text):
        return tuple(text.split("."))
    if _INDEXED_PATH.fullmatch(text):  # bare keys and item indices (a list item's key): split, no regex per part
        segments: list[Segment] = []
        for piece in text.split("."):
            if "[" in piece:
                head, *indices = piece.split("[")
                segments.append(head)
                segments.extend(int(index[:-1]) for index in indices)
            else:
                segments.append(piece)
        return tuple(segments)
    if _PLAIN_PATH.fullmatch(text):
        return tuple(m[1] if m[1] is not None else m[2] if m[2] is not None else int(m[3])
                     for m in _PLAIN_PATH_PART.finditer(text))
    return _parse_key(text)


@lru_cache(maxsize=65536)
def _parse_key(text: str) -> KeyPath:
    segments: list[Segment] = []
    pos, expect_sep = 0, False
    text = text.strip()
    while pos < len(text):
        if expect_sep:
            if text[pos] == ".":
                pos += 1
                expect_sep = False
                continue
            if text[pos] != "[":
                raise KeyPathError(f"bad key path {text!r} at column {pos + 1}")
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise KeyPathError(f"bad key path {text!r} at column {pos + 1}")
        if m.group("idx") is not None:
            idx = m.group("idx")
            segments.append(ANY_ITEM if idx in ("", "*") else int(idx))
        elif m.group("dq") is not None:
            segments.append(_unescape(m.group("dq")))
        elif m.group("sq") is not None:
            segments.append(m.group("sq"))
        else:
            segments.append(m.group("bare"))
        pos = m.end()
        expect_sep = True
    if not segments:
        raise KeyPathError("empty key path")
    return tuple(segments)


def _unescape(text: str) -> str:
    """A basic string's escapes (\\", \\\\, \\n, \\uXXXX ...); other characters stay as they are."""
    if "\\" not in text:
        return text
    import json

    text = re.sub(r"\\U([0-9A-Fa-f]{8})", lambda m: chr(int(m.group(1), 16)), text)
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def format_segment(seg: Segment) -> str:
    if isinstance(seg, int):
        return "[]" if seg == ANY_ITEM else f"[{seg}]"
    if seg == ANY_KEY or _BARE.match(seg):
        return seg
    return '"' + seg.replace("\\", "\\\\").replace('"', '\\"') + '"'


FORMATTED_KEPT = 1 << 18  # the paths whose text format_key remembers (a 10 MB file's keys are formatted ~5 times each)
_formatted: dict[KeyPath, str] = {}


def format_key(path: Iterable[Segment]) -> str:
    path = tuple(path)
    text = _formatted.get(path)
    if text is None:
        if len(_formatted) >= FORMATTED_KEPT:
            _formatted.clear()
        text = _formatted[path] = _format_key(path)
    return text


def forget_formatted() -> None:
    """A stage whose paths are done with (a migration, before its proof) lets their texts go."""
    _formatted.clear()


def _format_key(path: KeyPath) -> str:
    """The text of a path of bare keys and item indices (``a.b[3].c``) in one pass with one regex, else
    _format_segments."""
    names: list[str] = []
    pieces: list[str] = []
    for seg in path:
        if type(seg) is str:
            names.append(seg)
            pieces.append(seg)
        elif type(seg) is int and seg >= 0 and pieces:
            pieces[-1] = f"{pieces[-1]}[{seg}]"
        else:
            return _format_segments(path)
    bare = ".".join(names)
    if bare and _BARE_PATH.fullmatch(bare) and bare.count(".") == len(names) - 1:  # no segment holds a dot
        return ".".join(pieces)
    return _format_segments(path)


def _format_segments(path: KeyPath) -> str:
    out = ""
    for seg in path:
        piece = seg if type(seg) is str and _BARE_SEGMENT.fullmatch(seg) else format_segment(seg)
        if isinstance(seg, int) or not out:
            out += piece
        else:
            out += "." + piece
    return out


def has_items(path: KeyPath) -> bool:
    """Does the path run through an item of an array of tables?"""
    for seg in path:  # noqa: SIM110  (any() over a generator costs twice as much, and this runs several times per key)
        if isinstance(seg, int):
            return True
    return False


def strip_indices(path: KeyPath) -> KeyPath:
    """The path with every array item index replaced by ``[]`` (catalog form)."""
    if not has_items(path):
        return tuple(path)
    return tuple([ANY_ITEM if isinstance(s, int) else s for s in path])


def stripped_keys(paths: Iterable[KeyPath]) -> set[str]:
    """The distinct catalog-form keys of ``paths``: each index-stripped path formatted once, not each path."""
    return {format_key(path) for path in {strip_indices(path) for path in paths}}


_DOCUMENT_KEYS: list[tuple[Any, frozenset[str]]] = []  # the documents asked last (held, so no other takes their id)


def document_keys(data: dict[str, Any]) -> frozenset[str]:
    """stripped_keys of a document's leaves, for a document that nobody edits: the fragment check and the profile
    detection ask it of the same reading of a file."""
    for seen, keys in _DOCUMENT_KEYS:
        if seen is data:
            return keys
    keys = frozenset(stripped_keys(flatten(data)))
    _DOCUMENT_KEYS[:] = [*_DOCUMENT_KEYS[-1:], (data, keys)]
    return keys


def matches(pattern: KeyPath, path: KeyPath, prefix: bool = False) -> bool:
    """Does ``path`` match ``pattern``?  With ``prefix``, the pattern may name a table above it."""
    if len(path) < len(pattern) or (not prefix and len(path) != len(pattern)):
        return False
    for want, got in zip(pattern, path, strict=False):
        if want == ANY_KEY and isinstance(got, str):
            continue
        if want == ANY_ITEM and isinstance(got, int):
            continue
        if want != got:
            return False
    return True


def substitute(pattern_from: KeyPath, pattern_to: KeyPath, path: KeyPath) -> KeyPath:
    """Map ``path`` (matched by ``pattern_from``, maybe as a prefix) onto ``pattern_to``.

    Wildcards in the target take the matched segments in order, so
    ``database.*.pool -> datasource.*.pool_options`` keeps the database name; a pattern
    without wildcards gives its own last segment, so ``cpu_watcher -> diagnostic_tool.*``
    lands at ``diagnostic_tool.cpu_watcher``.
    """
    captured = [got for want, got in zip(pattern_from, path, strict=False) if want in (ANY_KEY, ANY_ITEM)]
    named = not captured  # `keys: [a, b]  to: table.*` moves each key under table, by its own name
    if named:
        captured = [pattern_from[-1]]
    out: list[Segment] = []
    for seg in pattern_to:
        if seg in (ANY_KEY, ANY_ITEM) and captured and not (named and seg == ANY_ITEM):  # a name is no item index
            out.append(captured.pop(0))
        else:
            out.append(seg)
    return tuple(out) + path[len(pattern_from):]


PLACEHOLDER = re.compile(r"\$(env|secret|ref|sys)\{[^}]*\}|\$\{[^}]*\}")


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and bool(PLACEHOLDER.search(value))


@dataclass(slots=True)
class HubKey:
    """One leaf of an input, in hub form, linked back to where it came from."""

    path: KeyPath
    value: Any
    line: int | None = None
    origin: str | None = None  # the input's own address (a values path, an XML location)
    comment: str | None = None  # a trailing comment on the line, without the '#'
    item_context: bool = False  # 2.x XML: a stock value carried only because its list item is customised
    derived_from: str | None = None  # 2.x XML: the key the reader made this one from (a database type from its URL)
    chart_shaped: bool = False  # a values leaf a chart renders through a pattern or filter: its type is the chart's

    @property
    def key(self) -> str:
        return format_key(self.path)


def flatten(data: Any, prefix: KeyPath = ()) -> dict[KeyPath, Any]:
    """The same leaves as ``walk``, from plain nested data (lists of dicts are arrays of tables)."""
    out: dict[KeyPath, Any] = {}
    _flatten_into(out, data, prefix)
    return out


def _flatten_into(out: dict[KeyPath, Any], data: Any, prefix: KeyPath) -> None:
    """One dict for the whole walk: a dict per level, merged upwards, copied each leaf once per level."""
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten_into(out, value, prefix + (key,))
    elif isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        for i, item in enumerate(data):
            _flatten_into(out, item, prefix + (i,))
    elif prefix:
        out[prefix] = data


class Leaves:
    """``flatten(data)`` as a view of the data: a leaf is found by walking to it, the leaves are walked in flatten's
    order, and no path is kept per leaf (a large file's would weigh tens of MB). The data must not change."""

    def __init__(self, data: Any):
        self.data = data
        self._tables: dict[int, bool] = {}  # id(list) -> is it an array of tables (flatten walks into its items)

    def _items_of(self, node: list) -> bool:
        found = self._tables.get(id(node))
        if found is None:
            found = self._tables[id(node)] = bool(node) and all(isinstance(x, dict) for x in node)
        return found

    def get(self, path: KeyPath, default: Any = None) -> Any:
        if not path:
            return default
        node = self.data
        for seg in path:
            if isinstance(node, dict):
                node = node.get(seg, _ABSENT)
                if node is _ABSENT:
                    return default
            elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node) and self._items_of(node):
                node = node[seg]
            else:
                return default
        if isinstance(node, dict) or (isinstance(node, list) and self._items_of(node)):
            return default  # a table or an array of tables: no leaf
        return node

    def items(self) -> Iterator[tuple[KeyPath, Any]]:
        return self._walk(self.data, ())

    def __iter__(self) -> Iterator[KeyPath]:
        return (path for path, _ in self._walk(self.data, ()))

    def _walk(self, data: Any, prefix: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
        if isinstance(data, dict):
            for key, value in data.items():
                yield from self._walk(value, prefix + (key,))
        elif isinstance(data, list) and self._items_of(data):
            for i, item in enumerate(data):
                yield from self._walk(item, prefix + (i,))
        elif prefix:
            yield prefix, data


_ABSENT = object()


def nest(leaves: Iterable[tuple[KeyPath, Any]]) -> dict[str, Any]:
    """flatten's inverse: nested maps and lists from leaf paths (list items in index order, gaps filled);
    a leaf whose parent is already something else is passed over."""
    root: dict[str, Any] = {}
    for path, value in leaves:
        node: Any = root
        for seg, nxt in zip(path, path[1:], strict=False):
            if isinstance(node, list) and isinstance(seg, int):
                while len(node) <= seg:
                    node.append({} if isinstance(nxt, str) else [])
                node = node[seg]
            elif isinstance(node, dict) and isinstance(seg, str):
                child = node.get(seg, _ABSENT)  # not setdefault: its default would be made for every leaf
                if child is _ABSENT:
                    child = node[seg] = [] if isinstance(nxt, int) else {}
                node = child
            else:
                break
        else:
            last = path[-1]
            if isinstance(node, list) and isinstance(last, int):
                while len(node) <= last:
                    node.append(None)
                node[last] = value
            elif isinstance(node, dict) and isinstance(last, str):
                node[last] = value
    return root


def leaf_tree(data: dict[str, Any]) -> dict[str, Any]:
    """``nest(flatten(data).items())`` built in one walk, with no path per leaf: the tree of the leaves alone
    (tables and array items left empty dropped, an empty array item before a fuller one kept as {})."""
    tree = _leaf_tree(data)
    return {} if tree is _ABSENT else tree


def _leaf_tree(data: Any) -> Any:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            kept = _leaf_tree(value)
            if kept is not _ABSENT:
                out[key] = kept
        return out or _ABSENT
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        items = [_leaf_tree(item) for item in data]
        while items and items[-1] is _ABSENT:
            items.pop()
        return [{} if item is _ABSENT else item for item in items] or _ABSENT
    return data


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """nest for key texts (``a.b[0].c`` -> value); a text that is not a key is left out."""
    leaves = []
    for text, value in flat.items():
        try:
            leaves.append((parse_key(text), value))
        except ValueError:
            continue
    return nest(leaves)
