"""A values file read with ruamel's C parser into plain data and the place of each key in the text, and edits
written by patching that text: the bytes ruamel's round-trip writer (formats.values) gives for the same edits,
at a fraction of its cost.

Only files in a plain layout are read this way (block maps and sequences; one-line scalars whose round trip
keeps their text; no anchors, tags, duplicate keys, multi-line or block scalars); ``read_layout`` says None for
any other file, and the caller uses the round-trip document. Likewise ``patch`` says None for an edit it cannot
write (a key deleted or renamed, a container replaced, a list grown, a multi-line value), and the caller
replays the edits on the round-trip document.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z")
_INT = re.compile(r"(?:0|-?[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+\Z")
_QUOTED = re.compile(r"[ -~]*\Z")  # printable ASCII
_PLAIN_ESCAPES = re.compile(r'(?:[^\\"]|\\[\\"])*\Z')  # a double-quoted text whose escapes are \\ and \" only
_SHALLOW = 50  # nesting the strict check's limit (strict_yaml.MAX_DEPTH) is far above


class NotPlain(Exception):
    """The text is outside the plain layout (or the C parser refuses it): read it with the round-trip loader."""


@dataclass(slots=True)
class Entry:
    """A key of a block map: its line, and its value as written."""

    line: int  # 0-based
    value: Any
    style: str | None = None  # a scalar's quote, or None
    end_col: int = 0  # where the scalar's text ends on the key's line (a scalar value)
    last: int = 0  # the last line of the value's text
    sticky: bool = False  # the comments and blank lines after the value stay with it (what is added goes after them)


@dataclass(slots=True)
class Block:
    """A block map: the column of its keys and its entries, in order."""

    column: int
    conforms: bool  # at the column the round-trip writer gives it (else an edit in it takes the round trip)
    entries: dict[str, Entry] = field(default_factory=dict)


@dataclass
class Layout:
    """A plain-layout file's data, its lines, and where each map's keys and each list's items stand."""

    data: dict
    lines: list[str]
    blocks: dict[int, Block]  # id of a map of ``data`` -> where its keys stand
    items: dict[int, list]  # id of a block sequence of ``data`` -> its items as written
    unquoted: set[tuple[int, Any]] = field(default_factory=set)  # (id of a map, key) set to a value not a string:
    # the round trip forgets the quotes the key's value had
    indent: tuple[int, int, int] = (2, 2, 0)  # detect_indent of the text


def read_layout(text: str) -> Layout | None:
    """The file's data and layout, or None when the file is outside the plain layout."""
    if not text.isascii() or not text.endswith("\n") or "\t" in text or text.lstrip().startswith(("---", "%")):
        return None
    from ruamel.yaml.main import CParser

    if CParser is None:  # ruamel.yaml.clib is not installed
        return None
    from .strict_yaml import LexicalProblem, check_with_c_scanner

    try:
        reader = _Reader(CParser(text), text)
        layout = reader.document()
        if reader.lexical_doubt or "\r" in text:  # a '\r' ends a line for the scanner, not for the check's lines
            check_with_c_scanner(text, CParser)
        return layout
    except (NotPlain, LexicalProblem, RecursionError):
        return None
    except Exception:  # the C parser's errors: the round-trip loader reports them as it always has
        return None


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file writes them, so dumping keeps its lines."""
    mapping, sequence, offset = 2, 2, 0
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        stripped = line.rstrip()
        if not stripped.endswith(":") or stripped.lstrip().startswith("#"):
            continue
        base = len(line) - len(line.lstrip())
        nxt = lines[i + 1]
        inner = len(nxt) - len(nxt.lstrip())
        if nxt.lstrip().startswith("- "):
            offset = inner - base
            sequence = offset + 2
            break
    for i, line in enumerate(lines[:-1]):
        stripped = line.rstrip()
        nxt = lines[i + 1]
        if stripped.endswith(":") and nxt.strip() and not nxt.lstrip().startswith(("- ", "#")):
            diff = (len(nxt) - len(nxt.lstrip())) - (len(line) - len(line.lstrip()))
            if diff > 0:
                mapping = diff
                break
    return mapping, max(sequence, offset + 2), offset


class _Reader:
    def __init__(self, parser: Any, text: str):
        self.parser = parser
        self.lines = text.split("\n")
        self.blocks: dict[int, Block] = {}
        self.items: dict[int, list] = {}
        self.resolver = _implicit_resolvers()
        self.indent = detect_indent(text)  # the round-trip writer's indentation: the file must keep to it
        self.depth = 0
        # The strict check (strict_yaml.check_with_c_scanner, a second scan of the whole text) can refuse a file
        # this reader takes only for a '#' right after a quoted scalar or in a flow sequence's line (a plain
        # scalar takes a '#' it touches, and an indicator is followed by a space), a plain '-' in a flow
        # sequence, or a deep nesting: read_layout runs it for a file where the reader saw one of these.
        self.lexical_doubt = False

    def next(self, kind: str) -> Any:
        event = self.parser.get_event()
        if type(event).__name__ != kind:
            raise NotPlain(kind)
        return event

    def document(self) -> Layout:
        self.next("StreamStartEvent")
        start = self.next("DocumentStartEvent")
        if getattr(start, "explicit", False):
            raise NotPlain("---")
        data = self.node(self.parser.get_event(), -self.indent[0])
        end = self.next("DocumentEndEvent")
        if getattr(end, "explicit", False) or not isinstance(data, dict) or id(data) not in self.blocks:
            raise NotPlain("document")
        self.next("StreamEndEvent")
        return Layout(data, self.lines, self.blocks, self.items, indent=self.indent)

    def node(self, event: Any, key_column: int) -> Any:
        """A value under a key at ``key_column``."""
        kind = type(event).__name__
        if getattr(event, "anchor", None) is not None or getattr(event, "tag", None) is not None:
            raise NotPlain("anchor or tag")
        if kind == "ScalarEvent":
            return self.scalar(event)[0]
        if kind not in ("MappingStartEvent", "SequenceStartEvent"):
            raise NotPlain(kind)
        self.depth += 1
        if self.depth > _SHALLOW:
            self.lexical_doubt = True
        value = (self.mapping(event, key_column + self.indent[0]) if kind == "MappingStartEvent"
                 else self.sequence(event, key_column))
        self.depth -= 1
        return value

    def scalar(self, event: Any) -> tuple[Any, int]:
        """The value of a one-line scalar and the column where its text ends."""
        start, end, text, style = event.start_mark, event.end_mark, event.value, event.style or None
        if end.line != start.line:
            raise NotPlain("multi-line scalar")
        if style in ("'", '"'):
            written = self.lines[start.line][start.column + 1:end.column - 1]
            if not _QUOTED.match(text) or (style == '"' and "\\" in written and not _PLAIN_ESCAPES.match(written)):
                raise NotPlain("escapes")
            if self.lines[end.line][end.column:end.column + 1] == "#":
                self.lexical_doubt = True
            return text, end.column
        if style is not None:
            raise NotPlain("block scalar")
        if text == "":
            if end.index != start.index:
                raise NotPlain("null")
            return None, end.column
        return self.plain(text), end.column

    def resolves(self, text: str) -> str | None:
        """The tag a plain scalar resolves to, other than a string's."""
        return next((tag for tag, regexp in self.resolver.get(text[0], ()) if regexp.match(text)), None)

    def plain(self, text: str) -> Any:
        found = self.resolves(text)
        if found is None:
            return text
        if found.endswith(":bool") and text in ("true", "false"):
            return text == "true"
        if found.endswith(":int") and _INT.match(text):
            return int(text)
        if found.endswith(":float") and _FLOAT.match(text):
            return float(text)
        raise NotPlain(found)

    def flow_sequence(self, event: Any) -> list:
        """A flow sequence of scalars on one line (kept as written: any edit of it takes the round trip)."""
        out = []
        while True:
            item = self.parser.get_event()
            if type(item).__name__ == "SequenceEndEvent":
                break
            if (type(item).__name__ != "ScalarEvent" or item.anchor is not None or item.tag is not None
                    or item.start_mark.line != event.start_mark.line):
                raise NotPlain("flow collection")
            if not item.style and item.value.startswith("-"):
                self.lexical_doubt = True
            out.append(self.scalar(item)[0])
        if item.end_mark.line != event.start_mark.line:
            raise NotPlain("flow collection")
        if "#" in self.lines[item.end_mark.line][event.start_mark.column:item.end_mark.column + 1]:
            self.lexical_doubt = True
        self.items[id(out)] = list(out)
        self.last_line, self.last_sticky = item.end_mark.line, self.commented(item.end_mark.line, item.end_mark.column)
        return out

    def empty_flow(self, event: Any, closer: str) -> None:
        end = self.parser.get_event()
        if type(end).__name__ != closer or end.end_mark.line != event.start_mark.line:
            raise NotPlain("flow collection")
        if "#" in self.lines[end.end_mark.line][event.start_mark.column:end.end_mark.column + 1]:
            self.lexical_doubt = True
        self.last_line, self.last_sticky = end.end_mark.line, self.commented(end.end_mark.line, end.end_mark.column)

    def mapping(self, event: Any, column: int) -> dict:
        out: dict[str, Any] = {}
        if event.flow_style:
            self.empty_flow(event, "MappingEndEvent")
            return out
        block = Block(event.start_mark.column, event.start_mark.column == column)
        while True:
            key = self.parser.get_event()
            kind = type(key).__name__
            if kind == "MappingEndEvent":
                break
            if (kind != "ScalarEvent" or key.style or key.anchor is not None or key.tag is not None
                    or not _PLAIN_KEY.match(key.value) or self.resolves(key.value)
                    or key.start_mark.column != block.column):
                raise NotPlain("key")
            name, line = key.value, key.start_mark.line
            if name in out:
                raise NotPlain("duplicate key")
            value_event = self.parser.get_event()
            entry = Entry(line, None)
            if type(value_event).__name__ == "ScalarEvent":
                if value_event.anchor is not None or value_event.tag is not None or value_event.start_mark.line != line:
                    raise NotPlain("scalar")
                entry.value, entry.end_col = self.scalar(value_event)
                entry.style = value_event.style or None
                entry.last = line
                entry.sticky = value_event.end_mark.index > value_event.start_mark.index or self.commented(
                    line, entry.end_col)
            else:
                entry.value = self.node(value_event, column)
                entry.last, entry.sticky = self.last_line, self.last_sticky
            out[name] = entry.value
            block.entries[name] = entry
            self.last_line, self.last_sticky = entry.last, entry.sticky
        self.blocks[id(out)] = block
        return out

    def sequence(self, event: Any, key_column: int) -> list:
        out: list[Any] = []
        if event.flow_style:
            return self.flow_sequence(event)
        sequence = self.indent[1]
        while True:
            item = self.parser.get_event()
            kind = type(item).__name__
            if kind == "SequenceEndEvent":
                break
            if kind == "SequenceStartEvent" and not item.flow_style:
                raise NotPlain("a sequence in a sequence")
            if kind == "ScalarEvent":
                if item.anchor is not None or item.tag is not None:
                    raise NotPlain("scalar")
                value, end = self.scalar(item)
                out.append(value)
                self.last_line = item.start_mark.line
                self.last_sticky = item.end_mark.index > item.start_mark.index or self.commented(self.last_line, end)
            else:
                out.append(self.node(item, key_column + sequence - self.indent[0]))
        self.items[id(out)] = list(out)
        self.last_sticky = True  # the comments after a block sequence stay with it, whatever its last item
        return out

    last_line = 0
    last_sticky = False

    def commented(self, line: int, column: int) -> bool:
        return self.lines[line][column:].lstrip(" ").startswith("#")


def _implicit_resolvers() -> dict[str, list[tuple[str, Any]]]:
    """ruamel's round-trip resolvers for YAML 1.2 (its default), first character -> (tag, pattern)."""
    from ruamel.yaml.resolver import VersionedResolver

    table = VersionedResolver().versioned_resolver
    return {first: [(tag, regexp) for tag, regexp in pairs] for first, pairs in table.items() if first}


class Writer:
    """The round-trip writer's text for keys added and scalars changed, one small dump per distinct line."""

    def __init__(self, yaml: Any, indent: tuple[int, int, int]):
        """``yaml``: the round-trip writer; ``indent``: the file's (mapping, sequence, offset)."""
        self.yaml = yaml
        mapping, self.sequence, self.offset = indent
        self.yaml.indent(mapping=mapping, sequence=self.sequence, offset=self.offset)
        self.memo: dict[tuple[str, type, Any], list[str] | None] = {}
        self.written: set[int] = set()  # the maps and lists written, the file's own included
        self.shared = False

    def lines(self, key: str, value: Any) -> list[str]:
        """``key: value`` as the round-trip writer puts it at column 0."""
        memo_key = (key, type(value), value) if _hashable(value) else None
        if memo_key is not None and memo_key in self.memo:
            found = self.memo[memo_key]
            assert found is not None
            return found
        from ruamel.yaml.comments import CommentedMap

        self._note_containers(value)
        out = io.StringIO()
        self.yaml.dump(CommentedMap([(key, value)]), out)
        lines = out.getvalue().split("\n")[:-1]
        if memo_key is not None:
            self.memo[memo_key] = lines
        return lines


    def _note_containers(self, value: Any) -> None:
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, (dict, list)):
                self.shared = self.shared or id(node) in self.written
                self.written.add(id(node))
                stack.extend(node.values() if isinstance(node, dict) else node)


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def patch(layout: Layout, data: dict, writer: Writer) -> str | None:
    """The text with ``data``'s changes from the layout's data written in, or None when an edit is not one of
    a scalar changed in place or keys added at the end of a block map."""
    writer.written.update(layout.blocks, layout.items)
    replaced: dict[int, str] = {}
    inserted: dict[int, list[str]] = {}
    try:
        _patch_map(layout, data, writer, replaced, inserted)
    except NotPlain:
        return None
    if writer.shared:  # a map or list written twice: the round trip writes an anchor and an alias
        return None
    out: list[str] = []
    lines = layout.lines
    for number, line in enumerate(lines[:-1]):
        out.extend(inserted.get(number, ()))
        out.append(replaced.get(number, line))
    out.extend(inserted.get(len(lines) - 1, ()))
    return "\n".join(out) + "\n"


def _patch_map(layout: Layout, node: dict, writer: Writer, replaced: dict[int, str],
               inserted: dict[int, list[str]]) -> None:
    block = layout.blocks.get(id(node))
    if block is None:
        raise NotPlain("a map the file does not write as a block")
    entries = block.entries
    keys = list(node)
    if keys[:len(entries)] != list(entries):
        raise NotPlain("keys removed or reordered")
    for key, entry in entries.items():
        value = node[key]
        if isinstance(entry.value, (dict, list)):
            if value is not entry.value:
                raise NotPlain("a map or list replaced")
            _patch_container(layout, value, writer, replaced, inserted)
        elif type(value) is not type(entry.value) or value != entry.value:
            _conforms(block)
            style = None if (id(node), key) in layout.unquoted else entry.style
            replaced[entry.line] = _changed_line(layout.lines[entry.line], block.column, key, entry, value, style,
                                                 writer)
    added = keys[len(entries):]
    if added:
        _conforms(block)
        last = entries[keys[len(entries) - 1]]
        at = _next_content_line(layout.lines, last.last + 1) if last.sticky else last.last + 1
        pad = " " * block.column
        target = inserted.setdefault(at, [])
        for key in added:
            target.extend(pad + line for line in writer.lines(key, node[key]))


def _conforms(block: Block) -> None:
    if not block.conforms:
        raise NotPlain("an edit in a map indented otherwise than the round-trip writer indents it")


def _patch_container(layout: Layout, value: Any, writer: Writer, replaced: dict[int, str],
                     inserted: dict[int, list[str]]) -> None:
    if isinstance(value, dict):
        if value or id(value) in layout.blocks:
            _patch_map(layout, value, writer, replaced, inserted)
        return
    written = layout.items.get(id(value))
    if written is None or len(written) != len(value):
        raise NotPlain("a list grown or shrunk")
    for item, before in zip(value, written, strict=True):
        if isinstance(before, (dict, list)):
            if item is not before:
                raise NotPlain("a map or list replaced")
            _patch_container(layout, item, writer, replaced, inserted)
        elif type(item) is not type(before) or item != before:
            raise NotPlain("a list item changed")


def _next_content_line(lines: list[str], start: int) -> int:
    """The first line from ``start`` that is neither blank nor a comment (the round-trip writer keeps those with
    the entry before them), or the end."""
    for number in range(start, len(lines) - 1):
        stripped = lines[number].lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return number
    return len(lines) - 1


def _changed_line(line: str, column: int, key: str, entry: Entry, value: Any, style: str | None,
                  writer: Writer) -> str:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(value, (dict, list)) or (isinstance(value, str) and "\n" in value):
        raise NotPlain("a scalar replaced by a container or a multi-line string")
    if isinstance(value, str) and style in ("'", '"'):
        value = (DoubleQuotedScalarString if style == '"' else SingleQuotedScalarString)(value)
    written = writer.lines(key, value)
    if len(written) != 1:
        raise NotPlain("a multi-line value")
    lead = line[:column]
    dash = " " * (column - writer.sequence + writer.offset) + "-".ljust(writer.sequence - writer.offset)
    if lead.strip() and lead != dash:
        raise NotPlain("a sequence item's dash where the round-trip writer does not put it")
    new = lead + written[0]
    rest = line[entry.end_col:]
    comment = rest.lstrip(" ")
    if comment.startswith("#"):
        at = entry.end_col + len(rest) - len(comment)
        new += " " * max(at - len(new), 1) + comment
    elif comment:
        raise NotPlain("text after a value")
    return line if "".join(new.split()) == "".join(line.split()) else new
