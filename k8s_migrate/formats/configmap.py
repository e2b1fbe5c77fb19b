"""Kubernetes manifests whose ConfigMaps embed a deployment.toml (``data."deployment.toml"``).

ruamel's C parser reads the manifest (every document, ``kind: List`` items too) and says where each embedded
deployment.toml sits; a manifest outside what that reading covers (anchors, tags, directives, keys that are not
strings, an embedded file that is not a literal block scalar, ...) or that it refuses is read by the strict
round-trip loader, which also gives the errors. The writer puts a new TOML text back into the same block scalar
in the original text, with the scalar's own header (``|``, ``|-``) and indentation, so every other byte of the
manifest (other keys, other documents, comments, spacing) stays as it was. A scalar that cannot be rewritten in
place (not a block scalar, ``|+``, an indentation indicator) is re-dumped by ruamel.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import UsageError
from .text import SourceText, decode
from .values_layout import NotPlain

EMBEDDED_KEY = "deployment.toml"
_BLOCK_HEADER = re.compile(r"^([|>])([-+]?)\s*(#.*)?$")


@dataclass
class EmbeddedToml:
    """One ConfigMap's deployment.toml: its text and where it sits in the manifest."""

    document: int  # index of the YAML document in the stream
    name: str  # "ConfigMap/<metadata.name>" (with "[i]" for items of a kind: List)
    text: str
    line: int  # 0-based: where the value starts (a block scalar's header)
    column: int
    key: str = EMBEDDED_KEY


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _is_configmap(node: Any) -> bool:
    return isinstance(node, dict) and node.get("kind") == "ConfigMap" and isinstance(node.get("data"), dict)


def _configmaps(doc: Any, label: str = "") -> Iterator[tuple[str, Any]]:
    if _is_configmap(doc):
        name = (doc.get("metadata") or {}).get("name") or "(unnamed)"
        yield f"{label}ConfigMap/{name}", doc
    elif isinstance(doc, dict) and isinstance(doc.get("items"), list):
        for i, item in enumerate(doc["items"]):
            yield from _configmaps(item, f"{label}{doc.get('kind', 'List')}.items[{i}] ")


def _round_trip_entries(documents: list[Any]) -> list[tuple[EmbeddedToml, Any]]:
    """Each embedded deployment.toml of the round-trip documents, with its ``data`` mapping."""
    found = []
    for i, doc in enumerate(documents):
        for cm_name, cm in _configmaps(doc):
            if isinstance(cm["data"].get(EMBEDDED_KEY), str):
                line, column = cm["data"].lc.value(EMBEDDED_KEY)
                found.append((EmbeddedToml(i, cm_name, str(cm["data"][EMBEDDED_KEY]), line, column), cm["data"]))
    return found


def read_round_trip(text: str, name: str) -> tuple[list[Any], list[EmbeddedToml]]:
    """The documents (strict round-trip loader) and their embedded files."""
    from .strict_yaml import load_all

    documents = load_all(_yaml(), text, name)
    return documents, [entry for entry, _ in _round_trip_entries(documents)]


class ConfigMapManifest:
    """A manifest stream, read once; edits go back into the original text."""

    def __init__(self, source: SourceText, name: str):
        self.source, self.name = source, name
        found = read_embedded(source.text)
        self._documents: list[Any] | None = None
        if found is None:
            self._documents, found = read_round_trip(source.text, name)
        self.embedded = found
        self._new: dict[int, str] = {}

    def replace(self, index: int, text: str) -> None:
        if text != self.embedded[index].text:
            self._new[index] = text

    def dumps(self) -> str:
        if not self._new:
            return self.source.original
        text = self.source.text
        # from the end, so earlier positions stay valid
        for index in sorted(self._new, key=lambda i: value_line(self.embedded[i]), reverse=True):
            text = splice_block(text, self.embedded[index], self._new[index]) or self._redump()
        return self.source.restore(text)

    def _redump(self) -> str:
        """Fallback: re-dump the whole stream with ruamel (comments kept, spacing may change)."""
        from ruamel.yaml.scalarstring import LiteralScalarString

        from .strict_yaml import load_all

        if self._documents is None:
            self._documents = load_all(_yaml(), self.source.text, self.name)
        containers = [data for _, data in _round_trip_entries(self._documents)]
        for index, new in self._new.items():
            containers[index][self.embedded[index].key] = LiteralScalarString(new)
        out = io.StringIO()
        _yaml().dump_all(self._documents, out)
        return out.getvalue()


def value_line(entry: EmbeddedToml) -> int:
    return entry.line


def splice_block(text: str, entry: EmbeddedToml, new: str) -> str | None:
    """``text`` with the block scalar of ``entry`` holding ``new``; None when it cannot be done in place."""
    line_no, col = entry.line, entry.column
    lines = text.splitlines(keepends=True)
    header = lines[line_no][col:].rstrip("\n")
    m = _BLOCK_HEADER.match(header)
    if not m or m.group(2) == "+" or not new.strip() or new.lstrip("\n")[:1] in (" ", "\t"):
        return None
    start = line_no + 1
    content = [i for i in range(start, len(lines)) if lines[i].strip()]
    if not content:
        return None
    indent = len(lines[content[0]]) - len(lines[content[0]].lstrip(" "))
    end = start
    for i in range(start, len(lines)):
        if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip(" ")) < indent:
            break
        if lines[i].strip():
            end = i + 1
    body = _block_body(lines[start:end], entry.text, new, " " * indent)
    if end == len(lines) and not lines[-1].endswith("\n"):
        body = body[:-1]
    result = "".join(lines[:start]) + body + "".join(lines[end:])
    return result if _reads_back(result, entry, new) else None


def _block_body(region: list[str], old: str, new: str, pad: str) -> str:
    """The scalar's new lines: lines equal to the old text keep their raw form (padding of blank lines too)."""
    from difflib import SequenceMatcher

    old_lines, new_lines = old.rstrip("\n").split("\n"), new.rstrip("\n").split("\n")
    region = [line if line.endswith("\n") else line + "\n" for line in region]
    blank = _blank_line_form(region, len(pad))
    render = lambda line: f"{pad}{line}\n" if line else blank  # noqa: E731
    if len(region) != len(old_lines) or all(map(str.__eq__, region, map(render, old_lines))):
        return "".join(render(line) for line in new_lines)  # (every old line written as it renders: no diff needed)
    out = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        out.extend(region[i1:i2] if op == "equal" else [render(line) for line in new_lines[j1:j2]])
    return "".join(out)


def _blank_line_form(region: list[str], indent: int) -> str:
    """How the scalar writes its empty lines: bare, or padded with spaces (kept as the user had it)."""
    from collections import Counter

    blanks = Counter(line for line in region if not line.strip() and len(line.rstrip("\n")) <= indent)
    return blanks.most_common(1)[0][0] if blanks else "\n"


def _reads_back(text: str, entry: EmbeddedToml, new: str) -> bool:
    found = _fast_values(text, entry.document, entry.name, entry.key)
    if found is None:
        try:
            docs = list(_yaml().load_all(text))
            found = [cm["data"].get(entry.key) for n, cm in _configmaps(docs[entry.document]) if n == entry.name]
        except Exception:  # a splice that breaks the YAML is not used
            return False
    return bool(found) and str(found[0]).rstrip("\n") == new.rstrip("\n")


_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # where line counts may disagree


class _Number:
    """A plain scalar read as a number: never a ConfigMap's kind, name or embedded file; naming something with
    it (a label, a truth test) leaves the manifest to the round-trip loader."""

    __slots__ = ()

    def __bool__(self) -> bool:
        raise NotPlain("a number where a name is read")

    def __format__(self, spec: str) -> str:
        raise NotPlain("a number where a name is read")


class _Events:
    """Every document of a manifest from the C parser's events, as plain dicts, lists and scalars; NotPlain
    for what the round-trip loader reads otherwise or refuses (anchors, aliases, tags, directives, keys that
    are not strings, duplicate keys, scalars that resolve to neither a string, a number, a bool nor null)."""

    def __init__(self, text: str):
        from ruamel.yaml.main import CParser

        from .values_layout import _implicit_resolvers

        self.parser = CParser(text)
        self.resolver = _implicit_resolvers()
        self.places: dict[int, tuple[int, int, str | None]] = {}  # id of a map -> its embedded file's place

    def documents(self) -> list[Any]:
        self.expect("StreamStartEvent")
        out: list[Any] = []
        while True:
            event = self.parser.get_event()
            if type(event).__name__ == "StreamEndEvent":
                return out
            if type(event).__name__ != "DocumentStartEvent" or event.version or event.tags:
                raise NotPlain("directive")
            out.append(self.node(self.parser.get_event()))
            self.expect("DocumentEndEvent")

    def expect(self, kind: str) -> None:
        if type(self.parser.get_event()).__name__ != kind:
            raise NotPlain(kind)

    def node(self, event: Any) -> Any:
        kind = type(event).__name__
        if kind == "AliasEvent" or event.anchor is not None or event.tag is not None:
            raise NotPlain("anchor, alias or tag")
        if kind == "ScalarEvent":
            return self.scalar(event)
        if kind == "SequenceStartEvent":
            items = []
            while type(item := self.parser.get_event()).__name__ != "SequenceEndEvent":
                items.append(self.node(item))
            return items
        return self.mapping()

    def mapping(self) -> dict:
        out: dict[str, Any] = {}
        while type(key_event := self.parser.get_event()).__name__ != "MappingEndEvent":
            if type(key_event).__name__ != "ScalarEvent" or key_event.anchor is not None or key_event.tag is not None:
                raise NotPlain("key")
            key = self.scalar(key_event)
            if not isinstance(key, str) or key in out:
                raise NotPlain("a key that is not a string, or a duplicate key")
            event = self.parser.get_event()
            if key in ("kind", "name") and type(event).__name__ == "ScalarEvent" and (
                    event.end_mark.line != event.start_mark.line or event.style not in ("", None, "'", '"')):
                raise NotPlain("a kind or name over lines")
            if key == EMBEDDED_KEY and type(event).__name__ == "ScalarEvent":
                self.places[id(out)] = (event.start_mark.line, event.start_mark.column, event.style)
            out[key] = self.node(event)
        return out

    def scalar(self, event: Any) -> Any:
        text = event.value
        if event.style:
            return text
        if text == "":
            return None
        tag = next((tag for tag, regexp in self.resolver.get(text[0], ()) if regexp.match(text)), None)
        if tag is None:
            return text
        if tag.endswith(":null"):
            return None
        if tag.endswith(":bool"):
            return text.lower() == "true"
        if tag.endswith((":int", ":float")):
            return _Number()
        raise NotPlain(tag)


def _fast_documents(text: str) -> tuple[list[Any], _Events]:
    """The documents as the C parser reads them, after the strict lexical check (over the C scanner's tokens)."""
    from ruamel.yaml.main import CParser

    from .strict_yaml import check_with_c_scanner

    if CParser is None or _LINE_BREAKS.search(text):
        raise NotPlain("no C parser, or line breaks other than \\n")
    check_with_c_scanner(text, CParser)
    events = _Events(text)
    return events.documents(), events


def read_embedded(text: str) -> list[EmbeddedToml] | None:
    """The embedded files as the round-trip loader finds them, read with the C parser; None when the manifest
    needs the round-trip loader (outside what ``_Events`` reads, an embedded file that is not a literal block
    scalar, no embedded file, or any error: the round-trip loader reports it). Valid YAML that the round-trip
    loader cannot keep (its "overlap in comment" and other comment faults) is read here."""
    from .strict_yaml import LexicalProblem

    try:
        documents, events = _fast_documents(text)
        found = []
        for i, doc in enumerate(documents):
            for cm_name, cm in _configmaps(doc):
                value = cm["data"].get(EMBEDDED_KEY)
                if isinstance(value, str):
                    line, column, style = events.places[id(cm["data"])]
                    if style != "|":
                        raise NotPlain("an embedded file that is not a literal block scalar")
                    found.append(EmbeddedToml(i, cm_name, value, line, column))
        return found or None  # none found: the round-trip loader's error, if it has one, is the better message
    except (NotPlain, LexicalProblem, RecursionError):
        return None
    except Exception:  # the C parser's errors: the round-trip loader reports them
        return None


def _fast_values(text: str, document: int, name: str, key: str) -> list[Any] | None:
    """``key`` of the data of each ConfigMap called ``name`` in the document, read with the C parser; None when
    the text needs the round-trip loader."""
    from .strict_yaml import LexicalProblem

    try:
        documents, _ = _fast_documents(text)
        return [cm["data"].get(key) for n, cm in _configmaps(documents[document]) if n == name]
    except (NotPlain, LexicalProblem, RecursionError):
        return None
    except Exception:  # the C parser's errors: the round-trip loader says whether the text reads
        return None


def read_manifest(data: bytes, name: str) -> ConfigMapManifest:
    manifest = ConfigMapManifest(decode(data, name), name)
    if not manifest.embedded:
        raise UsageError(f"no ConfigMap with a data.\"{EMBEDDED_KEY}\" key in this manifest", name)
    return manifest


def looks_like_configmap(text: str) -> bool:
    """A cheap test for batch discovery: a manifest that may embed a deployment.toml."""
    return "ConfigMap" in text and EMBEDDED_KEY in text
