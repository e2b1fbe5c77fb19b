"""deployment.toml <-> hub, through a tomlkit round-trip document edited in place."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Iterator

import tomlkit
from tomlkit._utils import escape_string
from tomlkit.container import Container, OutOfOrderTableProxy, ends_with_whitespace
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import (
    AoT,
    Array,
    Bool,
    Comment,
    InlineTable,
    Item,
    KeyType,
    Null,
    SingleKey,
    String,
    StringType,
    Table,
    Trivia,
    Whitespace,
)

from ..errors import UsageError
from ..hub import HubKey, KeyPath, format_key
from .text import SourceText
from .toml_lines import TomlValues, check_strict, header_lines, line_numbers, read_plain

_SCALAR_TYPES = (str, int, float, bool)


def parse_toml(source: SourceText, name: str) -> tomlkit.TOMLDocument:
    if "\x00" in source.text:
        raise UsageError("binary data, not a TOML file", name)
    check_strict(source.text, name)
    try:
        doc = parse_reopened_linearly(source.text)
        try:
            doc.unwrap()
        except TOMLKitError:
            doc = _regrouped(source.text, doc)
        return doc
    except ParseError as exc:  # tomllib has read the text: valid TOML that tomlkit cannot hold
        message = _parse_message(exc)
        raise UsageError(_CANNOT_HOLD.format(message), name, exc.line or _failing_line(source.text, message)) from None
    except (TOMLKitError, ValueError, IndexError, KeyError, RecursionError) as exc:
        raise UsageError(_CANNOT_HOLD.format(exc), name, _failing_line(source.text, str(exc))) from None


_CANNOT_HOLD = ("valid TOML that tomlkit, the library that edits a file in place, cannot hold ({}); "
                "--mode rebase reads it")


def parse_reopened_linearly(text: str) -> tomlkit.TOMLDocument:
    """tomlkit.parse, the same document, for a text tomllib has accepted. A table reopened after other tables
    (``[a.x]``, ``[b.x]``, ``[a.y]``: Helm renders such files) costs tomlkit time in proportion to its earlier parts,
    each time: it grows the tuple of the table's places one copy at a time, validates the merged table with deep
    copies of every part, and builds a merged view of all parts on each addition below it. Here the places are
    gathered in lists and made tuples once, at the end; the validation is tomllib's, already done."""
    gathered: dict[int, tuple[Container, dict[Any, list[int]]]] = {}
    original = Container._raw_append

    def raw_append(container: Container, key: Any, item: Any) -> None:
        earlier = container._map.get(key) if key is not None else None
        original(container, key, item)
        if type(earlier) is int:  # the table's places so far are in `gathered`; the map names its latest part
            last = len(container._body) - 1
            places = gathered.setdefault(id(container), (container, {}))[1]
            places.setdefault(key, [earlier]).append(last)
            container._map[key] = last

    Container._raw_append = raw_append  # type: ignore[method-assign,assignment]
    try:
        doc = tomlkit.parse(text)
    finally:
        Container._raw_append = original  # type: ignore[method-assign]
    for container, places in gathered.values():
        for key, indices in places.items():
            container._map[key] = tuple(indices)
    return doc


class _SplitTable(OutOfOrderTableProxy):
    """tomlkit's view of a table split over the file (its parts merged), built in one pass over the parts. tomlkit's
    own grows the tuple of a reopened key's places and the list of an array of tables split over the parts one copy
    at a time, looks up each key's parts in a list, and validates the merge with deep copies of every part: per
    view, time in proportion to the parts squared. The parts are a document tomllib has accepted (parse_toml)."""

    def __init__(self, container: Container, indices: tuple[int, ...]) -> None:
        self._container = container
        internal: Any = Container(True)
        self._internal_container = internal
        self._tables = []
        self._tables_map = {}
        reopened: dict[Any, list[int]] = {}
        arrays: dict[Any, list[Table]] = {}  # an array of tables that later parts add items to: all its items
        for i in indices:
            part = container._body[i][1]
            if not isinstance(part, Table):
                continue
            self._tables.append(part)
            table_idx = len(self._tables) - 1
            for k, v in part.value.body:
                index = internal._map.get(k) if k is not None else None
                earlier: Any = internal._body[index][1] if type(index) is int else None
                if isinstance(v, AoT) and isinstance(earlier, AoT) and k not in reopened:
                    arrays.setdefault(k, list(earlier.body)).extend(v.body)
                else:
                    internal._raw_append(k, v)
                    if type(index) is int:
                        last = len(internal._body) - 1
                        reopened.setdefault(k, [index]).append(last)
                        internal._map[k] = last
                tables = self._tables_map.setdefault(k, [])  # type: ignore[arg-type]
                if not tables or tables[-1] != table_idx:
                    tables.append(table_idx)
                if k is not None:
                    dict.__setitem__(self, k.key, v)
        for k, items in arrays.items():
            index = internal._map[k]
            merged = AoT(items, parsed=True)
            internal._body[index] = (internal._body[index][0], merged)
            dict.__setitem__(internal, k.key, merged.value)
            dict.__setitem__(self, k.key, merged)
        for k, places in reopened.items():
            internal._map[k] = tuple(places)


_SplitTable.__name__ = _SplitTable.__qualname__ = "OutOfOrderTableProxy"  # as messages name it
if hasattr(OutOfOrderTableProxy, "_merge_aot_fragment"):  # the tomlkit whose proxy _SplitTable builds the same
    tomlkit.container.OutOfOrderTableProxy = _SplitTable  # type: ignore[misc]



def _regrouped(text: str, doc: Any) -> Any:
    """tomlkit cannot read back an array-of-tables item that is reopened after another table
    (``[[a.b]]``, ``[x]``, ``[[a.b.c]]``), though TOML allows it. Move each such section up to the item
    it belongs to, and parse again."""
    regrouped = "".join(regroup_sections(text))
    regrouped = regrouped.rstrip("\n") + "\n" * (len(text) - len(text.rstrip("\n")))
    if regrouped == text:
        return doc
    fixed = tomlkit.parse(regrouped)
    fixed.unwrap()
    return fixed


def regroup_sections(text: str) -> list[str]:
    from ..hub import KeyPathError, parse_key

    lines = text.splitlines(keepends=True)
    headers = header_lines(text)
    out_sections: list[tuple[KeyPath, bool, str]] = []
    bounds = []
    for number in sorted(headers):
        index = number - 1
        while index > 0 and lines[index - 1].lstrip().startswith("#") and (index - 1) + 1 not in headers:
            index -= 1
        bounds.append((index, number))
    starts = [b[0] for b in bounds] + [len(lines)]
    preamble = "".join(lines[: starts[0]]) if bounds else text
    for (begin, number), end in zip(bounds, starts[1:], strict=True):
        kind, key_text = headers[number]
        try:
            path = parse_key(key_text)
        except KeyPathError:
            return [text]
        out_sections.append((path, kind == "[[", "".join(lines[begin:end])))
    result: list[tuple[KeyPath | None, bool, str]] = []
    for path, is_aot, chunk in out_sections:
        owner = None
        for i in range(len(result) - 1, -1, -1):
            other, other_aot, _ = result[i]
            if other_aot and other is not None and len(path) > len(other) and path[: len(other)] == other:
                owner = other
                break
        if owner is None:
            result.append((path, is_aot, chunk))
            continue
        last = max(i for i, (other, _, _) in enumerate(result)
                   if other is not None and other[: len(owner)] == owner)
        if chunk and not chunk.endswith("\n"):
            chunk += "\n"
        if chunk and not chunk.endswith("\n\n") and last + 1 < len(result):
            chunk += "\n"  # the table it now stands before keeps its blank line
        result.insert(last + 1, (path, is_aot, chunk))
    return [preamble, *(chunk for _, _, chunk in result)]


def _parse_message(exc: ParseError) -> str:
    message = re.sub(r"\s+at line \d+ col \d+$", "", str(exc))
    return message.replace("Unexpected character: '\\x00'", "unexpected end of file")


def _failing_line(text: str, message: str) -> int | None:
    """The first line at which the document fails with ``message`` (tomlkit gives no line for some errors)."""
    lines = text.splitlines(keepends=True)

    def fails(count: int) -> bool:
        try:
            tomlkit.parse("".join(lines[:count]))
        except ParseError as exc:
            return _parse_message(exc) == message
        except (TOMLKitError, ValueError, IndexError, KeyError, RecursionError) as exc:
            return str(exc) == message
        return False

    low, high = 1, len(lines)
    if not fails(high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fails(middle) else (middle + 1, high)
    return low


class TomlDocument:
    """A deployment.toml: the round-trip document plus what the hub needs to know about it."""

    def __init__(self, source: SourceText, name: str = "deployment.toml", doc: Any = None):
        self.source = source
        self.name = name
        self.doc = parse_toml(source, name) if doc is None else doc
        self.edited = False
        self._containers: dict[KeyPath, Any] = {}  # tables and items found by path, until something is removed
        self.text_tables: TextTables | None = None  # new tables written as text (a rebase's output, write_as_text)

    def write_new_tables_as_text(self, holding: set[KeyPath] | frozenset[KeyPath] = frozenset()) -> None:
        """From now on, a new table of keys that follows another new one in the same parent is kept as text (see
        TextTables), unless it is one of ``holding`` (the tables something will be put below); an operation the
        text does not cover raises TextTablesMissed."""
        self.text_tables = TextTables(holding)

    def _shape_changed(self) -> None:
        self._containers.clear()
        _forget_views()

    @classmethod
    def from_parsed(cls, source: SourceText, name: str, doc: Any) -> "TomlDocument":
        """A document whose parse is already done (a cached baseline)."""
        return cls(source, name, doc)

    # ---- reading -------------------------------------------------------------------------
    def leaves(self) -> list[HubKey]:
        lines = line_numbers(self.source.text)
        out = []
        for path, item in walk(self.doc):
            comment = item.trivia.comment.lstrip("#").strip() if hasattr(item, "trivia") else ""
            out.append(HubKey(path, unwrap(item), lines.get(path), comment=comment or None))
        return out

    def data(self) -> dict[str, Any]:
        return self.doc.unwrap()

    # ---- writing -------------------------------------------------------------------------
    def dumps(self) -> str:
        if not self.edited:
            return self.source.original
        _LAYOUTS.clear()  # the insertion caches hold tables: written out, the document may go
        _TABLE_FREE.clear()
        _forget_views()
        if self.text_tables is not None and self.text_tables.runs:
            return self.source.restore(self.text_tables.written(self.doc))
        return self.source.restore(tomlkit.dumps(self.doc))

    def get(self, path: KeyPath) -> Item | None:
        if self.text_tables is not None:
            found = self.text_tables.get(path)
            if found is not _NO_SHORTCUT:
                return found
        node: Any = self._containers.get(path[:-1])
        if node is not None:
            path = path[-1:]
        else:
            node = self.doc
        for seg in path:
            found = _entry(node, seg) if isinstance(seg, str) else _NO_SHORTCUT
            if found is not _NO_SHORTCUT:
                node = found
                if node is None:
                    return None
                continue
            try:
                node = node[_key(seg) if isinstance(seg, str) else seg]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def set(self, path: KeyPath, value: Any, comment: str | None = None, above: list[str] | None = None,
            header_above: list[str] | None = None) -> None:
        """Set a value; a new key gets ``above`` (comment lines) before it, and a new table the
        ``header_above`` lines before its header: the operator's comments come along."""
        parent = None
        if self.text_tables is not None:
            parent = self.text_tables.take(self, path, value, comment, above or header_above)
            if parent is True:
                self.edited = True
                return
        try:  # not a context manager: this runs for every key a rebase writes
            self._set(path, value, comment, above, header_above)
        except _SHAPE_ERRORS as exc:
            raise _shape_conflict(path, exc) from None
        if parent is not None and self.text_tables is not None:
            self.text_tables.started(parent, path[-2])

    def _set(self, path: KeyPath, value: Any, comment: str | None = None, above: list[str] | None = None,
             header_above: list[str] | None = None) -> None:
        parent = self._container(path[:-1], create=True, header_above=header_above)
        key = path[-1]
        new = _item(value)
        existing = _child(parent, key)
        if isinstance(existing, bool) and isinstance(key, str):
            existing = _raw_child(parent, key, existing)
        if existing is not None:
            if isinstance(existing, (Table, InlineTable, AoT, OutOfOrderTableProxy)) or isinstance(new, (Table, AoT)):
                self._shape_changed()
                _LAYOUTS.clear()
            _own_trivia(new)
            if hasattr(existing, "trivia") and hasattr(new, "trivia"):
                new.trivia.comment_ws = existing.trivia.comment_ws
                new.trivia.comment = existing.trivia.comment
                new.trivia.indent = existing.trivia.indent
                new.trivia.trail = existing.trivia.trail
            assert isinstance(key, str), "a container holds its entries by name; an array item is not replaced here"
            _body(parent, key)._replace(key, key, new)
            if _is_proxy(parent):
                _forget_views()
            if comment and hasattr(new, "trivia"):
                new.comment(comment)
        else:
            if comment and hasattr(new, "trivia"):
                _own_trivia(new)
                new.comment(comment)
            if above and not _holds_tables(parent):  # tomlkit writes sub-tables after the keys: the lines would part
                _add_comments(parent, above)
            if _is_proxy(parent):
                assert isinstance(key, str), "a table split over the file holds keys by name"
                _own_trivia(new)
                parent[key] = new  # a table split over the file has no add()
                _forget_views()
            elif not _add_leaf(parent, key, new) and not _after_last_key(parent, key, _own_trivia(new)):
                with _linear_append(parent, new):
                    parent.add(key, new)
        self.edited = True

    def delete(self, path: KeyPath) -> None:
        if self.text_tables is not None:
            self.text_tables.untouched(path)
        parent = self._container(path[:-1], create=False)
        if parent is None or _child(parent, path[-1]) is None:
            return
        del parent[path[-1]]
        self._shape_changed()
        self.edited = True
        self._prune(path[:-1])

    def rename(self, old: KeyPath, new: KeyPath) -> None:
        """Rename in place when only the last key changes; otherwise move the value (and its comment)."""
        item = self.get(old)
        if item is None:
            return
        parent = self._container(old[:-1], create=False)
        if (old[:-1] == new[:-1] and isinstance(old[-1], str) and isinstance(new[-1], str)
                and not isinstance(parent, AoT) and _child(parent, new[-1]) is None):
            _body(parent, old[-1])._replace(old[-1], new[-1], item)
            self._shape_changed()
            self.edited = True
            return
        raw = self._raw(old)
        comment = raw.trivia.comment.lstrip("#").strip() if hasattr(raw, "trivia") else None
        value = unwrap(item)
        self.delete(old)
        self.set(new, value, comment or None)

    def _raw(self, path: KeyPath) -> Any:
        """The tomlkit item itself: ``get`` gives booleans as plain bools, without their comment."""
        parent = self._container(path[:-1], create=False)
        if isinstance(path[-1], str) and parent is not None and not isinstance(parent, AoT):
            try:
                return _body(parent, path[-1]).item(path[-1])
            except (KeyError, AttributeError):
                pass
        return self.get(path)

    def append_item(self, aot_path: KeyPath, fields: dict[str, Any]) -> int:
        """Append a table to an array of tables (created when missing); returns its index."""
        if self.text_tables is not None:
            self.text_tables.untouched(aot_path)
        try:
            return self._append_item(aot_path, fields)
        except _SHAPE_ERRORS as exc:
            raise _shape_conflict(aot_path, exc) from None

    def _append_item(self, aot_path: KeyPath, fields: dict[str, Any]) -> int:
        parent = self._container(aot_path[:-1], create=True, super_last=True)
        table = tomlkit.table()
        for k, v in fields.items():
            table.add(k, tomlkit.item(v))
        existing = _child(parent, aot_path[-1])
        _forget_views()  # the array may be a split table's merged view of its parts' arrays: made afresh each time
        if isinstance(existing, AoT):
            existing.append(table)
            index = len(existing) - 1
        else:
            self._shape_changed()
            parent.add(aot_path[-1], tomlkit.aot())
            _child(parent, aot_path[-1]).append(table)
            index = 0
        self.edited = True
        return index

    def _container(self, path: KeyPath, create: bool, header_above: list[str] | None = None,
                   super_last: bool = False):
        """The table (or array item) at ``path``, created when missing with ``create``."""
        found = self._containers.get(path)
        if found is not None:
            return found
        node = self._find_container(path, create, header_above, super_last)
        if node is not None and not isinstance(node, (AoT, OutOfOrderTableProxy)) and \
                not any(isinstance(self.get(path[:i]), OutOfOrderTableProxy) for i in range(1, len(path))):
            self._containers[path] = node
        return node

    def _find_container(self, path: KeyPath, create: bool, header_above: list[str] | None, super_last: bool):
        node: Any = self.doc
        for i, seg in enumerate(path):
            child = _child(node, seg)
            if child is None:
                if not create or isinstance(seg, int):
                    return None
                child = tomlkit.table(is_super_table=super_last or _needs_super(path, i))
                if i == len(path) - 1:
                    # the comments that stood above the table's header open its body: a parent may be
                    # a super table, which would grow a header of its own if it held them
                    _add_comments(child, header_above)
                if isinstance(node, OutOfOrderTableProxy):
                    node[seg] = child  # a table split over the file has no add()
                    _forget_views()
                else:
                    node.add(seg, child)
                child = _child(node, seg)
            node = child
        return node

    def drop_if_empty(self, path: KeyPath) -> bool:
        """A table or array item left with nothing in it goes, with the arrays and tables that leaves empty."""
        node = self.get(path)
        empty = isinstance(node, (Table, InlineTable, OutOfOrderTableProxy, AoT)) and len(node) == 0
        self._prune(path)
        return empty

    def _prune(self, path: KeyPath) -> None:
        """Drop the tables, array items and arrays that our deletions left empty (never the document)."""
        while path:
            node = self.get(path)
            if not isinstance(node, (Table, InlineTable, OutOfOrderTableProxy, AoT)) or len(node) > 0:
                return
            parent = self._container(path[:-1], create=False)
            del parent[path[-1]]
            self._shape_changed()
            path = path[:-1]


class TextTablesMissed(Exception):
    """An operation on a table kept as text that the text does not cover: redo the document without text tables."""


@dataclass
class _Run:
    """New tables in one parent, one after the other: the first a tomlkit table, the others kept as text."""

    first: Table
    tables: list[KeyPath]


class TextTables:
    """A rebase writes each key of the user's own tables into the new stock document: a file of many small tables
    made that many tomlkit tables (a few KB and tens of microseconds each). A new table of one-line keys that follows
    another new table in the same parent (a run) is kept as its keys' lines instead, written as tomlkit writes
    them (TomlDocument.set on a new table: tests/test_perf_equivalence.py holds the two to the same text), and put
    in after the run's first table when the document is written. Reading its keys works; any other use of it
    (replacing or deleting a key, a table below it, the table itself) raises TextTablesMissed."""

    def __init__(self, holding: set[KeyPath] | frozenset[KeyPath] = frozenset()) -> None:
        self.holding = holding  # tables that will hold more than keys: tomlkit tables
        self.keys: dict[KeyPath, dict[Any, tuple[Any, str]]] = {}  # table -> its keys: value, line
        self.open: dict[int, tuple[Container, _Run]] = {}  # id(parent's body) -> its latest run
        self.runs: list[_Run] = []  # the runs that keep tables as text

    def get(self, path: KeyPath) -> Any:
        """A key of a table kept as text (None when it has none); _NO_SHORTCUT when the path is elsewhere."""
        known = self.keys.get(path[:-1])
        if known is not None:
            found = known.get(path[-1])
            return None if found is None else found[0]
        self.untouched(path)
        return _NO_SHORTCUT

    def untouched(self, path: KeyPath) -> None:
        """Raises when the path is a table kept as text or lies below one."""
        for n in range(1, len(path) + 1):
            if path[:n] in self.keys:
                raise TextTablesMissed(format_key(path))

    def take(self, doc: TomlDocument, path: KeyPath, value: Any, comment: str | None, lines_above: Any) -> Any:
        """True: the key is kept as text. Else the body of the parent of the new table the general way is about to
        make (None when it makes none): the table then starts a run (started)."""
        table, name = path[:-1], path[-1]
        known = self.keys.get(table)
        if known is not None:
            line = None if lines_above or name in known or not isinstance(name, str) else \
                leaf_line(name, value, comment)
            if line is None:
                raise TextTablesMissed(format_key(path))
            known[name] = (value, line)
            return True
        self.untouched(path)
        if not table or lines_above or not isinstance(name, str) or not all(isinstance(s, str) for s in table) or \
                table in self.holding:
            return None
        parent: Any = doc._container(table[:-1], create=False) if len(table) > 1 else doc.doc
        if parent is doc.doc:
            body = parent
        elif _is_table(parent) and " " not in parent.trivia.indent:
            body = parent.value
        else:
            return None
        if _child(parent, table[-1]) is not None:
            return None
        line = leaf_line(name, value, comment)
        held = self.open.get(id(body))
        if line is None or held is None or held[0] is not body or not body._body or body._parsed or \
                body._body[-1][1] is not held[1].first or ends_with_whitespace(held[1].first):
            return body  # tomlkit writes its header after a blank line only after a table that ends in a key
        run = held[1]
        if not run.tables:
            self.runs.append(run)
        run.tables.append(table)
        self.keys[table] = {name: (value, line)}
        return True

    def started(self, body: Container, name: Any) -> None:
        made = body._body[-1][1] if body._body else None
        if isinstance(made, Table) and body._body[-1][0] == name:
            self.open[id(body)] = (body, _Run(made, []))

    def written(self, doc: Any) -> str:
        """The document's text with each run's tables after its first one."""
        mark = f"k8s-migrate-tables-{id(self):x}"  # a line no document holds: each must be found once
        for n, run in enumerate(self.runs):
            if any(_is_table_or_items(v) for _, v in run.first.value.body):
                raise TextTablesMissed("a table below a run's first table")
            run.first.value._body.append((None, Comment(Trivia(comment_ws="", comment=f"#{mark} {n}", trail="\n"))))
        text = tomlkit.dumps(doc)
        pieces, done, found = [], 0, set()
        for match in re.finditer(rf"(?m)^#{mark} (\d+)\n", text):
            run = self.runs[int(match.group(1))]
            start = text.rfind("\n[", 0, match.start()) + 1
            header = text[start: text.find("\n", start)]
            first = SingleKey(str(run.first.name)).as_string()
            inner = header[1:-1]
            if int(match.group(1)) in found or not header.endswith("]") or \
                    not (inner == first or inner.endswith("." + first)):
                raise TextTablesMissed("a run's first table is not where it was")
            prefix = inner[: len(inner) - len(first)]
            pieces.append(text[done: match.start()])
            for table in run.tables:
                pieces += (f"\n[{prefix}{SingleKey(str(table[-1])).as_string()}]\n",
                           *(line for _, line in self.keys[table].values()))
            done = match.end()
            found.add(int(match.group(1)))
        if len(found) != len(self.runs):
            raise TextTablesMissed("a run's first table is gone")
        pieces.append(text[done:])
        return "".join(pieces)


def read_values(source: SourceText, name: str, own: bool = False) -> TomlValues | TomlDocument:
    """The user's file for a rebase: its values and lines, or the round-trip document when a value holds what
    tomllib does not keep (the way a datetime's offset is written: tomlkit names it as written). ``own``: values
    the caller may edit (not the reading shared with detection)."""
    values = read_plain(source, name, own)
    return values if values is not None else TomlDocument(source, name)


_SHAPE_ERRORS = (TOMLKitError, AttributeError, TypeError)


def _shape_conflict(path: KeyPath, exc: Exception) -> UsageError:
    """A key whose parent is a value here but a table there (or a table vs an array of tables) cannot be written."""
    return UsageError(f"cannot write {format_key(path)}: a parent key has another type here (value, table or "
                      f"array of tables) than the migration needs ({' '.join(str(exc).split())})")


def leaf_line(name: str, value: Any, comment: str | None) -> str | None:
    """The line TomlDocument.set writes for a key new to a new table; None when the value is written as a table."""
    new = _item(value)
    if not _is_plain_leaf(new):
        return None
    if comment:
        _own_trivia(new)
        new.comment(comment)
    return _RENDER_LEAF(_new_key(name), new)


_RENDER_LEAF = Container(True)._render_simple_item


def added_key_line(name: str, value: Any) -> str | None:
    """The line TomlDocument.set writes for a key new to a table that holds keys and no table (_add_leaf puts it
    right after the table's last key); None when the value is written as a table."""
    new = _item(value)
    if not _is_plain_leaf(new):
        return None
    key = _new_key(name)
    return f"{key.as_string()}{key.sep}{new.as_string()}\n"


def _item(value: Any) -> Item:
    """tomlkit.item, but an array of scalars is built in one go: tomlkit appends element by element and
    re-indexes the whole array each time (a 10,000-element array took a minute)."""
    if not (isinstance(value, list) and len(value) > 1 and all(isinstance(v, _SCALAR_TYPES) for v in value)):
        if type(value) is str and not _NEEDS_ESCAPE.search(value):
            return _PlainString(value)
        return _scalar(value)
    elements: list[Item] = []
    for v in value:
        if elements:
            elements.append(Whitespace(", "))
        elements.append(_scalar(v))
    return Array(elements, Trivia())


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def _scalar(value: Any) -> Item:
    """tomlkit.item; a string with nothing to escape is made directly (tomlkit's escaping visits each character
    in Python, even when there is nothing to escape: seconds for a 10 MB value)."""
    if type(value) is str and not _NEEDS_ESCAPE.search(value):
        string = str.__new__(String, value)  # String(StringType.SLB, value, value, Trivia()), without its __init__s
        string._trivia, string._t, string._original = Trivia(), StringType.SLB, value
        return string
    return tomlkit.item(value)


_NO_SHORTCUT = object()


def _type_test(classes: Any, unless: Any = ()) -> Callable[[Any], bool]:
    """isinstance(node, classes) and not isinstance(node, unless), answered once per type: tomlkit's tables and
    containers are abstract base classes, whose isinstance goes through a Python-level check (a fifth of the
    rebase's calls on a large file)."""
    answers: dict[type, bool] = {}

    def test(node: Any) -> bool:
        answer = answers.get(type(node))
        if answer is None:
            answer = answers[type(node)] = isinstance(node, classes) and not isinstance(node, unless)
        return answer

    return test


_is_container = _type_test(Container)
_is_table = _type_test(Table)
_is_aot = _type_test(AoT)
_is_proxy = _type_test(OutOfOrderTableProxy)
_is_table_or_items = _type_test((Table, AoT))
_is_branch = _type_test((Table, InlineTable, AoT, OutOfOrderTableProxy))
_is_plain_leaf = _type_test(Item, unless=(Table, AoT, Whitespace))


def _entry(node: Any, name: str) -> Any:
    """``node[name]`` for a table's entry, straight from its index (None when absent): tomlkit's lookup makes a key
    object and walks three layers of calls. _NO_SHORTCUT when the node is another kind."""
    body = node if _is_container(node) else node.value if _is_table(node) else \
        node._internal_container if _is_proxy(node) else None
    if body is None:
        return _NO_SHORTCUT
    index = body._map.get(name)  # a tomlkit key hashes and compares as its name
    if index is None:
        return None
    if type(index) is not int:
        return _split_view(body, name, index)
    item = body._body[index][1]
    return item.value if isinstance(item, Bool) else item


_SPLIT_VIEWS: dict[tuple[int, str], tuple[Container, tuple[int, ...], OutOfOrderTableProxy]] = {}


def _split_view(body: Container, name: str, places: tuple[int, ...]) -> OutOfOrderTableProxy:
    """The merged view of a table split over the file, made once while its parts stay as they are: tomlkit makes
    one on every lookup, each in time in proportion to the parts (a lookup per key made a rebase quadratic).
    A view sees changes made below its parts' entries (they are the document's own tables); whatever changes a
    part's entries themselves (an entry added, replaced or removed through a view, a table added or dropped)
    forgets every view (_forget_views)."""
    known = _SPLIT_VIEWS.get((id(body), name))
    if known is not None and known[0] is body and known[1] is places:
        return known[2]
    view = tomlkit.container.OutOfOrderTableProxy(body, places)  # _SplitTable where it is installed
    if len(_SPLIT_VIEWS) > 10_000:
        _SPLIT_VIEWS.clear()
    _SPLIT_VIEWS[(id(body), name)] = (body, places, view)
    return view


def _forget_views() -> None:
    _SPLIT_VIEWS.clear()


def _after_last_key(node: Any, key: Any, new: Any) -> bool:
    """Put a new key right after the table's last key, so comment lines that close the table (a note for
    the next table, the end of the file) stay below it. False when there is no such place."""
    from tomlkit.items import Comment, Whitespace

    body = node if isinstance(node, Container) else getattr(node, "value", None)
    if not isinstance(body, Container) or not isinstance(key, str):
        return False
    items = body.body
    if not items or not isinstance(items[-1][1], (Comment, Whitespace)):
        return False
    last = next((k for k, v in reversed(items) if k is not None and not isinstance(v, (Table, AoT))), None)
    if last is None or any(isinstance(v, (Table, AoT)) for _, v in items):
        return False
    try:
        body._insert_after(last, key, new)
    except Exception:  # tomlkit refuses some shapes: the caller appends instead
        return False
    return True


_TABLE_FREE: dict[int, tuple[Container, int]] = {}


@contextmanager
def _linear_append(node: Any, new: Any) -> Iterator[None]:
    """tomlkit finds where a new key goes by scanning the whole table for its first sub-table, so adding n keys
    to one table costs n^2. In a table known to hold no sub-table the place is after its last item, found from
    the end; the table-free check is redone only when something else changed the table."""
    body = node if isinstance(node, Container) else getattr(node, "value", None)
    if not isinstance(body, Container) or isinstance(new, (Table, AoT)) or isinstance(node, OutOfOrderTableProxy):
        yield
        return
    known = _TABLE_FREE.get(id(body))
    table_free = (known is not None and known[0] is body and known[1] == len(body.body)) or not _holds_tables(body)
    if not table_free:
        yield
        return
    items = body.body
    index = len(items)
    while index and _trailing_filler(items[index - 1][1]):
        index -= 1
    # tomlkit asks this method where a new key goes; for the duration of the append it answers from the end
    body._get_last_index_before_table = lambda: index  # type: ignore[method-assign]
    try:
        yield
    finally:
        del body._get_last_index_before_table
    if len(_TABLE_FREE) > 10_000:
        _TABLE_FREE.clear()
    _TABLE_FREE[id(body)] = (body, len(body.body))


def _holds_tables(node: Any) -> bool:
    if isinstance(node, OutOfOrderTableProxy):
        return True
    body = node if isinstance(node, Container) else getattr(node, "value", None)
    if not isinstance(body, Container):
        return True
    return any(isinstance(item, (Table, AoT)) for _, item in body.body)


def _add_comments(node: Any, lines: list[str] | None) -> None:
    for line in lines or ():
        try:
            node.add(tomlkit.comment(line.lstrip("#").strip()))
        except (AttributeError, TypeError, ValueError):  # a container that takes no comment here
            return


def _needs_super(path: KeyPath, i: int) -> bool:
    return i < len(path) - 1


def _body(node: Any, key: Any = None) -> Container:
    """The container that really holds ``key`` (a table split over the file is several tables)."""
    if isinstance(node, OutOfOrderTableProxy):
        for table in node._tables:
            if key in table:
                return _body(table, key)
        return _body(node._tables[-1], key)
    return node if isinstance(node, Container) else node.value


def _trailing_filler(item: Any) -> bool:
    return isinstance(item, Null) or (isinstance(item, Whitespace) and not item.is_fixed())


def _child(node: Any, seg: Any) -> Any:
    if node is None:
        return None
    try:
        if isinstance(seg, int):
            return node[seg] if isinstance(node, AoT) and seg < len(node) else None
        found = _entry(node, seg)
        if found is not _NO_SHORTCUT:
            return found
        key = _key(seg)
        # tomlkit's `in` is a plain lookup; its get() raises and catches an exception for every absent key
        return node[key] if key in node else None  # noqa: SIM401
    except (KeyError, IndexError, TypeError):
        return None


@lru_cache(maxsize=65536)
def _key(text: str) -> SingleKey:
    """tomlkit makes a key object for every lookup by name, checking each character: ours are made once."""
    return _new_key(text)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _new_key(text: str) -> SingleKey:
    """SingleKey(text), without its character-by-character checks (seconds for a file of many keys)."""
    if _BARE_KEY.fullmatch(text):
        return _BareKey(text)
    return _QuotedKey(text)


class _BareKey(SingleKey):
    """A new bare key: its name in a slot, the rest on the class (no instance dict, nor the self-referencing
    list of tomlkit's keys that only the cycle collector frees). Setting an attribute gives the key its own."""

    __slots__ = ("key",)
    t = KeyType.Bare
    sep = " = "
    _dotted = False

    def __init__(self, text: str) -> None:
        self.key = text

    @property
    def _original(self) -> str:  # type: ignore[override]
        return self.key

    @property
    def _keys(self) -> list[SingleKey]:  # type: ignore[override]
        return [self]


class _QuotedKey(_BareKey):
    """A new key written in quotes (quoted when written: a file of many such keys holds each name once)."""

    __slots__ = ()
    t = KeyType.Basic

    @property
    def _original(self) -> str:  # type: ignore[override]
        return f'"{escape_string(self.key) if _NEEDS_ESCAPE.search(self.key) else self.key}"'


@dataclass
class _Layout:
    """What a table's body looked like after our last insertion into it: its length, whether it holds
    tables, and where its last key is (index, key)."""
    body: Container
    length: int
    table_free: bool
    last: tuple[int, Any] | None


_LAYOUTS: dict[int, _Layout] = {}
_PLAIN_TRIVIA = Trivia()


class _PlainString(String):
    """A basic string with nothing to escape, on a line of its own: most values a rebase writes. What every such
    string has in common lives on the class (one trivia for all, never changed: whoever would change it gives the
    item its own first, see _own_trivia), so each costs no instance dict: a tenth of a large file's memory."""

    __slots__ = ()
    _t = StringType.SLB
    _trivia = _PLAIN_TRIVIA

    def __new__(cls, value: str) -> "_PlainString":
        return str.__new__(cls, value)

    def __init__(self, value: str) -> None:
        pass

    @property
    def _original(self) -> str:  # type: ignore[override]
        return str(self)

    def __reduce_ex__(self, protocol: int) -> tuple[type, tuple[object, ...]]:  # type: ignore[override]
        """A copy (tomlkit copies items to validate out-of-order tables) is a plain String with its own trivia."""
        return String, (self._t, str(self), self._original, replace(self._trivia))


def _own_trivia(item: Any) -> Any:
    """The item, with a trivia of its own (a copy of the shared one) before anything changes it."""
    if type(item) is _PlainString and item._trivia is _PLAIN_TRIVIA:
        item._trivia = Trivia()
    return item


def _layout(body: Container) -> _Layout:
    items = body._body
    known = _LAYOUTS.get(id(body))
    if known is not None and known.body is body and known.length == len(items) and \
            (known.last is None or items[known.last[0]][0] is known.last[1]):
        return known
    table_free = not any(map(_is_table_or_items, (v for _, v in items)))
    last = next(((i, items[i][0]) for i in range(len(items) - 1, -1, -1) if items[i][0] is not None), None)
    if len(_LAYOUTS) > 10_000:
        _LAYOUTS.clear()
    layout = _LAYOUTS[id(body)] = _Layout(body, len(items), table_free, last)
    return layout


def _add_leaf(node: Any, name: Any, new: Any) -> bool:
    """A new key-value added to a table that holds no sub-table, exactly where and how ``_after_last_key``
    or tomlkit's add() would put it, in constant time (both scan or renumber the whole table per key).
    False when the shape is not that simple: the caller takes the general way."""
    in_table = _is_table(node)
    body: Any = node if _is_container(node) else node.value if in_table else None
    if not _is_container(body) or body._parsed or not isinstance(name, str) or not _is_plain_leaf(new):
        return False
    layout = _layout(body)
    if not layout.table_free:
        return False
    key = _new_key(name)
    if key in body._map:
        return False
    if in_table and " " in node.trivia.indent:
        _own_trivia(new)  # the table's indentation goes to the new item's own trivia
    items = body._body
    if items and isinstance(items[-1][1], (Comment, Whitespace)) and layout.last is not None:
        index = layout.last[0] + 1  # right after the last key (_after_last_key)
        current = items[index - 1][1]
        if "\n" not in current.trivia.trail:
            current.trivia.trail += "\n"
        items.insert(index, (key, new))
        body._map[key] = index
        dict.__setitem__(body, name, new.value)
    else:
        index = len(items)
        while index and _trailing_filler(items[index - 1][1]):
            index -= 1
        if index < len(items):
            after = items[index][1]
            if not (isinstance(after, Whitespace) or "\n" in after.trivia.indent):
                after.trivia.indent = "\n" + after.trivia.indent
        if index:
            previous = items[index - 1][1]
            if not (isinstance(previous, Whitespace) or "\n" in previous.trivia.trail):
                previous.trivia.trail += "\n"
        items.insert(index, (key, new))
        body._map[key] = index
        dict.__setitem__(body, name, new.value)
        if in_table:
            _table_added(node, name, new)
    layout.length, layout.last = len(items), (index, key)
    return True


def _table_added(table: Table, name: str, new: Item) -> None:
    """What tomlkit's Table.append does after its container took the item: the table's own view, and the
    table's indentation given to the item."""
    dict.__setitem__(table, name, new)
    if " " not in table.trivia.indent:
        return
    match = re.match(r"(?s)^[^ ]*([ ]+).*$", table.trivia.indent)
    if match:
        own = re.match("(?s)^([^ ]*)(.*)$", new.trivia.indent)
        new.trivia.indent = own.group(1) + match.group(1) + own.group(2) if own else match.group(1)


def unwrap(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _raw_child(node: Any, key: str, child: Any) -> Any:
    """tomlkit hands out booleans as plain bools; fetch the item so its comment comes along."""
    if not isinstance(child, bool):
        return child
    try:
        return _body(node, key).item(key)
    except (KeyError, AttributeError):
        return child


def walk(node: Any, prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every leaf under a node; arrays of scalars (and of inline tables) are leaves, tables are not."""
    if _is_aot(node):
        for i, table in enumerate(node):
            yield from walk(table, prefix + (i,))
        return
    body = node if _is_container(node) else node.value if _is_table(node) else None
    for key in dict.keys(body) if body is not None else node.keys():
        path = prefix + (key,)
        index = body._map.get(key) if body is not None else None  # see _entry
        child = body._body[index][1] if body is not None and type(index) is int else _raw_child(node, key, node[key])
        if _is_branch(child):
            yield from walk(child, path)
        else:
            yield path, child


