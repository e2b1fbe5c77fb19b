"""Edit mode's writer: the edits to a deployment.toml, made by tomlkit on only the tables they reach.

A round-trip parse costs about 2 KB and 100 microseconds per key. The edits are recorded first (EditLog); the
file is cut at its table headers (the line scan, formats.toml.scan); each section no edit reaches, nor holds a
table an edit reaches, is parsed as one comment line that stands for its body, so tomlkit sees every table and
array item but reads only the bodies the edits need; the edits are made on that document as on the whole one,
and the bodies are put back in its output. Where the cut cannot be trusted (a line the scan may misread, a body
tomlkit would not read back the same way), the whole file is parsed, as before."""

from __future__ import annotations

import gc
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from ..hub import KeyPath, KeyPathError, parse_key
from .text import SourceText
from .toml import TomlDocument, added_key_line, parse_reopened_linearly
from .toml_lines import header_table, scan

_EDIT = tuple[str, KeyPath, Any]  # ("set", path, value) | ("delete", path, None) | ("rename", old, new)
_OTHER_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines breaks there too
_OPENS = re.compile(r"\"\"\"|'''|[\[{]")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TRIPLE = re.compile(r"\"\"\"|'''")


@dataclass
class EditLog:
    """Edit mode's changes to a file (migrate.toml.Editable), in order, to be made later."""

    edits: list[_EDIT] = field(default_factory=list)

    def set(self, path: KeyPath, value: Any) -> None:
        self.edits.append(("set", path, value))

    def delete(self, path: KeyPath) -> None:
        self.edits.append(("delete", path, None))

    def rename(self, old: KeyPath, new: KeyPath) -> None:
        self.edits.append(("rename", old, new))

    def paths(self) -> list[KeyPath]:
        return [p for kind, path, other in self.edits for p in ((path, other) if kind == "rename" else (path,))]

    def replay(self, doc: TomlDocument) -> None:
        for kind, path, other in self.edits:
            if kind == "set":
                doc.set(path, other)
            elif kind == "delete":
                doc.delete(path)
            else:
                doc.rename(path, other)


class Uncut(Exception):
    """The file cannot be cut at its headers with confidence: parse all of it."""


@dataclass
class Section:
    """One table of the file: its header line and the body up to the next header."""

    path: KeyPath  # the table the header opens (with item indices), () before the first header
    header: str  # the header line ('' before the first)
    body: str  # the lines up to the next header
    keys: set[str] | None = None  # its keys when each is one name on one line (no table in it); else None
    after_last_key: int = 0  # where in the body its last key's line ends


def sections(text: str) -> list[Section]:
    """The text cut at its table headers. Raises Uncut where a line may not be what the scan says."""
    if _OTHER_LINE_BREAKS.search(text):
        raise Uncut("a line break other than LF")
    lines = text.splitlines(keepends=True)
    out = [Section((), "", "", set())]
    body: list[str] = []
    size = 0  # of the body so far
    aot_counts: dict[KeyPath, int] = {}
    statement: list[str] = []  # an assignment whose value may span lines, and its key
    key_text = ""

    def close() -> None:
        if len(statement) > 1 or _TRIPLE.search(statement[0] if statement else ""):
            _check_statement("".join(statement), key_text)
        statement.clear()

    for line in scan(text):
        raw = lines[line.number - 1]
        if line.kind == "value":
            if not statement:
                raise Uncut(f"line {line.number}")
            statement.append(raw)
            body.append(raw)
            size += len(raw)
            out[-1].keys = None
            continue
        close()
        if line.kind == "assign":
            if _OPENS.search(raw, line.match.end()):
                statement.append(raw)
                key_text = line.match.group(1)
            _add_key(out[-1], line.match.group(1), size + len(raw))
        elif line.kind == "other":
            stripped = line.text.strip()
            if stripped and not stripped.startswith("#"):
                raise Uncut(f"line {line.number}")
        elif line.kind == "header":
            out[-1].body = "".join(body)
            body, size = [], 0
            try:
                path = header_table(line, parse_key(line.match.group(2)), aot_counts)
            except KeyPathError:
                raise Uncut(f"line {line.number}") from None
            out.append(Section(path, raw, "", set()))
            continue
        body.append(raw)
        size += len(raw)
    close()
    out[-1].body = "".join(body)
    return out


def _add_key(section: Section, key_text: str, end: int) -> None:
    if section.keys is None:
        return
    try:
        key = (key_text,) if _BARE_KEY.fullmatch(key_text) else parse_key(key_text)
    except KeyPathError:
        key = ()
    if len(key) != 1 or not isinstance(key[0], str) or key[0] in section.keys:
        section.keys = None
        return
    section.keys.add(key[0])
    section.after_last_key = end


def _check_statement(text: str, key_text: str) -> None:
    """An assignment the scan took to span lines (or that could): tomllib reads exactly one key from it."""
    try:
        found: Any = tomllib.loads(text)
        path = parse_key(key_text)
    except (tomllib.TOMLDecodeError, KeyPathError, RecursionError):
        raise Uncut("a value over lines") from None
    for seg in path:
        if not isinstance(found, dict) or list(found) != [seg]:
            raise Uncut("a value over lines")
        found = found[seg]


@dataclass
class SectionIndex:
    """A cut's sections by the table each opens, and by each table above them."""

    by_path: dict[KeyPath, list[int]]
    below: dict[KeyPath, list[int]]

    @classmethod
    def of(cls, cut: list[Section]) -> SectionIndex:
        by_path: dict[KeyPath, list[int]] = {}
        below: dict[KeyPath, list[int]] = {}
        for i, section in enumerate(cut):
            by_path.setdefault(section.path, []).append(i)
            for n in range(len(section.path)):
                below.setdefault(section.path[:n], []).append(i)
        return cls(by_path, below)


def reached(index: SectionIndex, paths: list[KeyPath]) -> set[int]:
    """The sections whose table holds a path (or an ancestor's), or lies below one."""
    out: set[int] = set()
    for path in paths:
        for n in range(len(path) + 1):
            out.update(index.by_path.get(path[:n], ()))
        out.update(index.below.get(path, ()))
    return out


def _marker(text: str) -> str:
    mark = "k8s-migrate-body"
    while mark in text:
        mark += "-"
    return mark


def edited_text(source: SourceText, name: str, log: EditLog, whole: TomlDocument | None = None
                ) -> tuple[str, bool]:
    """The file with the log's edits made (tomlkit's output, as for the whole document), and whether any edit
    changed it. ``whole``: the document already parsed (a file tomllib does not read the whole of)."""
    if whole is None:
        try:
            return _edited_in_sections(source, name, log)
        except Uncut:
            whole = TomlDocument(source, name)
    log.replay(whole)
    return whole.dumps(), whole.edited


def _stub_end(body: str) -> int:
    """Where the part of a body a comment line can stand for ends: its blank lines stay (tomlkit looks at them).
    -1: nothing to stand for, or no line break after it."""
    head = body.rstrip(" \t\n")
    end = body.find("\n", len(head))
    return end + 1 if head and end >= 0 else -1


def added_keys(cut: list[Section], index: SectionIndex, log: EditLog) -> tuple[dict[int, list[str]], EditLog]:
    """The sections whose only edits add keys new to them, each written right after the table's last key as
    tomlkit writes it: the lines to add to each; and the log of the other edits."""
    owner: dict[int, int] = {}  # edit -> the section it adds a key to
    for e, (kind, path, _) in enumerate(log.edits):
        places = index.by_path.get(path[:-1], ())
        if kind != "set" or len(places) != 1 or not path[:-1] or path[:-1] in index.below or \
                not isinstance(path[-1], str):
            continue
        section = cut[places[0]]
        if section.keys is None or path[-1] in section.keys or not section.header.startswith("[") or \
                not section.after_last_key or _stub_end(section.body) < 0:
            continue
        owner[e] = places[0]
    while True:
        others = EditLog([edit for e, edit in enumerate(log.edits) if e not in owner])
        mixed = reached(index, others.paths())
        names: dict[int, list[Any]] = {}
        for e, i in owner.items():
            names.setdefault(i, []).append(log.edits[e][1][-1])
        mixed |= {i for i, added in names.items() if len(set(added)) < len(added)}
        if not mixed & set(owner.values()):
            break
        owner = {e: i for e, i in owner.items() if i not in mixed}
    lines: dict[int, list[str]] = {}
    for e, i in owner.items():
        _, path, value = log.edits[e]
        line = added_key_line(str(path[-1]), value)
        if line is None:
            return {}, log
        lines.setdefault(i, []).append(line)
    return lines, others


def outline(text: str, log: EditLog) -> tuple[str, str, list[str], EditLog, bool]:
    """The text with a comment line (``#MARK n``) for each body no edit needs tomlkit to read, those bodies (with
    the keys new to them written in), the edits tomlkit makes, and whether any key was written in. A run of
    sections under top-level tables no edit names is one comment line: only its first header stays."""
    cut = sections(text)
    index = SectionIndex.of(cut)
    edited_heads = {path[0] for path in log.paths() if path}
    added, log = added_keys(cut, index, log)
    keep = reached(index, log.paths())
    plain = plain_heads(cut, index) - edited_heads
    free = [i > 0 and section.path[0] in plain for i, section in enumerate(cut)]
    mark = _marker(text)
    pieces = []
    kept: list[str] = []  # the bodies stood for, in order
    i = 0
    while i < len(cut):
        section = cut[i]
        pieces.append(section.header)
        run = i + 1  # the sections whose headers and bodies the comment line stands for too
        while free[i] and run < len(cut) and free[run]:
            run += 1
        body, end = _run_body(cut, i, run)
        if end < 0 and run > i + 1:  # the last one's last line has no line break: it is a run of its own
            run -= 1
            body, end = _run_body(cut, i, run)
        if i in keep or end < 0:
            pieces.append(body)
            i = run
            continue
        pieces += (f"#{mark} {len(kept)}\n", body[end:])
        body = body[:end]
        if i in added:
            body = body[: section.after_last_key] + "".join(added[i]) + body[section.after_last_key:]
        kept.append(body)
        i = run
    return "".join(pieces), mark, kept, log, bool(added)


def plain_heads(cut: list[Section], index: SectionIndex) -> set[Any]:
    """The top-level tables whose sections tomlkit keeps as written, whatever is edited elsewhere: each a table of
    its own (``[t.a]``: no array of tables, no header below another), none begun by a key before the first header
    (tomlkit merges the parts of an array of tables and of a table reopened below its sub-tables)."""
    if cut[0].keys is None:
        return set()
    heads: set[Any] = set()
    mixed: set[Any] = set(cut[0].keys)
    for section in cut[1:]:
        head = section.path[0]
        if section.path in index.below or section.header.lstrip().startswith("[["):
            mixed.add(head)
        else:
            heads.add(head)
    return heads - mixed


def _run_body(cut: list[Section], first: int, end: int) -> tuple[str, int]:
    """The text of a section's body and the whole sections up to ``end``, and where its part a comment line can
    stand for ends (_stub_end)."""
    body = cut[first].body + "".join(s.header + s.body for s in cut[first + 1:end])
    return body, _stub_end(body)


def _edited_in_sections(source: SourceText, name: str, log: EditLog) -> tuple[str, bool]:
    text, mark, kept, log, added = outline(source.text, log)  # the cut is gone: a large file's tables are many
    gc.freeze()  # what is alive now is not tomlkit's: the collection below looks only at the outline's document
    try:
        written = _outline_edited(text, name, log, added)
        gc.collect()  # tomlkit's keys refer to themselves: only the collector frees them
    finally:
        gc.unfreeze()
    if written is None:
        return source.original, False
    parts = re.split(rf"(?m)^#{mark} (\d+)\n", written)
    if [int(n) for n in parts[1::2]] != list(range(len(kept))):
        raise Uncut("a body moved")
    out = [parts[0]]
    for n, rest in zip(parts[1::2], parts[2::2], strict=True):
        out += (kept[int(n)], rest)
    return source.restore("".join(out)), True


def _outline_edited(text: str, name: str, log: EditLog, added: bool) -> str | None:
    """The outline with the log's edits made by tomlkit; None when nothing changed."""
    try:
        doc = parse_reopened_linearly(text)
        doc.unwrap()
        as_read = doc.as_string() == text  # tomlkit writes some shapes in another order once edited
    except Exception:  # noqa: BLE001  whatever tomlkit makes of the outline, the whole file is the answer
        raise Uncut("the outline") from None
    if not as_read:
        raise Uncut("tomlkit writes the tables in another order")
    document = TomlDocument.from_parsed(SourceText(text, text, False, False), name, doc)
    log.replay(document)
    if not document.edited and not added:
        return None
    return document.dumps()
