"""Edit mode's writer: the edits to a deployment.toml, made by tomlkit on only the tables they reach.

A round-trip parse costs about 2 KB and 100 microseconds per key. The edits are recorded first (EditLog); the
file is cut at its table headers (the line scan, formats.toml.scan); each section no edit reaches, nor holds a
table an edit reaches, is parsed as one comment line that stands for its body, so tomlkit sees every table and
array item but reads only the bodies the edits need; the edits are made on that document as on the whole one,
and the bodies are put back in its output. Where the cut cannot be trusted (a line the scan may misread, a body
tomlkit would not read back the same way), the whole file is parsed, as before."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from ..hub import KeyPath, KeyPathError, parse_key
from .text import SourceText
from .toml import TomlDocument, parse_reopened_linearly, header_table, scan

_EDIT = tuple[str, KeyPath, Any]  # ("set", path, value) | ("delete", path, None) | ("rename", old, new)
_OTHER_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines breaks there too
_OPENS = re.compile(r"\"\"\"|'''|[\[{]")


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
    path: KeyPath  # the table the header opens (with item indices), () before the first header
    header: str  # the header line ('' before the first)
    body: str  # the lines up to the next header


def sections(text: str) -> list[Section]:
    """The text cut at its table headers. Raises Uncut where a line may not be what the scan says."""
    if _OTHER_LINE_BREAKS.search(text):
        raise Uncut("a line break other than LF")
    lines = text.splitlines(keepends=True)
    out = [Section((), "", "")]
    body: list[str] = []
    aot_counts: dict[KeyPath, int] = {}
    statement: list[str] = []  # an assignment whose value may span lines, and its key
    key_text = ""

    def close() -> None:
        if statement:
            _check_statement("".join(statement), key_text)
            statement.clear()

    for line in scan(text):
        raw = lines[line.number - 1]
        if line.kind == "value":
            if not statement:
                raise Uncut(f"line {line.number}")
            statement.append(raw)
            body.append(raw)
            continue
        close()
        if line.kind == "assign":
            if _OPENS.search(raw, line.match.end()):
                statement.append(raw)
                key_text = line.match.group(1)
        elif line.kind == "other":
            stripped = line.text.strip()
            if stripped and not stripped.startswith("#"):
                raise Uncut(f"line {line.number}")
        elif line.kind == "header":
            out[-1].body = "".join(body)
            body = []
            try:
                path = header_table(line, parse_key(line.match.group(2)), aot_counts)
            except KeyPathError:
                raise Uncut(f"line {line.number}") from None
            out.append(Section(path, raw, ""))
            continue
        body.append(raw)
    close()
    out[-1].body = "".join(body)
    return out


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


def reached(cut: list[Section], paths: list[KeyPath]) -> set[int]:
    """The sections whose table holds a path (or an ancestor's), or lies below one."""
    by_path: dict[KeyPath, list[int]] = {}
    prefixes: set[KeyPath] = set()
    for i, section in enumerate(cut):
        by_path.setdefault(section.path, []).append(i)
        prefixes.update(section.path[:n] for n in range(len(section.path)))
    out: set[int] = set()
    for path in paths:
        for n in range(len(path) + 1):
            out.update(by_path.get(path[:n], ()))
        if path in prefixes:
            out.update(i for i, s in enumerate(cut) if s.path[: len(path)] == path)
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


def _edited_in_sections(source: SourceText, name: str, log: EditLog) -> tuple[str, bool]:
    text = source.text
    cut = sections(text)
    keep = reached(cut, log.paths())
    mark = _marker(text)
    pieces = []
    kept: list[str] = []  # the bodies stood for, in order
    for i, section in enumerate(cut):
        pieces.append(section.header)
        head = section.body.rstrip(" \t\n")
        cut_at = section.body.find("\n", len(head))  # the body's blank lines stay: tomlkit looks at them
        if i in keep or not head or cut_at < 0:
            pieces.append(section.body)
            continue
        pieces += (f"#{mark} {len(kept)}\n", section.body[cut_at + 1:])
        kept.append(section.body[: cut_at + 1])
    outline = "".join(pieces)
    try:
        doc = parse_reopened_linearly(outline)
        doc.unwrap()
    except Exception:  # noqa: BLE001  whatever tomlkit makes of the outline, the whole file is the answer
        raise Uncut("the outline") from None
    document = TomlDocument.from_parsed(SourceText(outline, outline, False, False), name, doc)
    log.replay(document)
    if not document.edited:
        return source.original, False
    written = document.dumps()
    parts = re.split(rf"(?m)^#{mark} (\d+)\n", written)
    if [int(n) for n in parts[1::2]] != list(range(len(kept))):
        raise Uncut("a body moved")
    out = [parts[0]]
    for n, rest in zip(parts[1::2], parts[2::2], strict=True):
        out += (kept[int(n)], rest)
    return source.restore("".join(out)), True
