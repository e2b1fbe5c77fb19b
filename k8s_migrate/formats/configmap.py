"""Kubernetes manifests whose ConfigMaps embed a deployment.toml (``data."deployment.toml"``).

ruamel reads the manifest (every document, ``kind: List`` items too) and says where each embedded
deployment.toml sits. The writer puts a new TOML text back into the same block scalar in the original
text, with the scalar's own header (``|``, ``|-``) and indentation, so every other byte of the
manifest (other keys, other documents, comments, spacing) stays as it was. A scalar that cannot be
rewritten in place (not a block scalar, ``|+``, an indentation indicator) is re-dumped by ruamel.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import UsageError
from .text import SourceText, decode

EMBEDDED_KEY = "deployment.toml"
_BLOCK_HEADER = re.compile(r"^([|>])([-+]?)\s*(#.*)?$")


@dataclass
class EmbeddedToml:
    """One ConfigMap's deployment.toml: its text and where it sits in the manifest."""

    document: int  # index of the YAML document in the stream
    name: str  # "ConfigMap/<metadata.name>" (with "[i]" for items of a kind: List)
    text: str
    container: Any  # the ruamel ``data`` mapping
    key: str


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


class ConfigMapManifest:
    """A manifest stream, read once with ruamel; edits go back into the original text."""

    def __init__(self, source: SourceText, name: str):
        from .strict_yaml import load_all

        self.source, self.name = source, name
        self.documents = load_all(_yaml(), source.text, name)
        self.embedded = [
            EmbeddedToml(i, cm_name, str(cm["data"][EMBEDDED_KEY]), cm["data"], EMBEDDED_KEY)
            for i, doc in enumerate(self.documents)
            for cm_name, cm in _configmaps(doc)
            if isinstance(cm["data"].get(EMBEDDED_KEY), str)
        ]
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
            text = splice_block(text, self.embedded[index], self._new[index]) or self._redump(text, index)
        return self.source.restore(text)

    def _redump(self, text: str, index: int) -> str:
        """Fallback: re-dump the whole stream with ruamel (comments kept, spacing may change)."""
        from ruamel.yaml.scalarstring import LiteralScalarString

        entry = self.embedded[index]
        entry.container[entry.key] = LiteralScalarString(self._new[index])
        for other, new in self._new.items():
            e = self.embedded[other]
            e.container[e.key] = LiteralScalarString(new)
        out = io.StringIO()
        _yaml().dump_all(self.documents, out)
        return out.getvalue()


def value_line(entry: EmbeddedToml) -> int:
    return entry.container.lc.value(entry.key)[0]


def splice_block(text: str, entry: EmbeddedToml, new: str) -> str | None:
    """``text`` with the block scalar of ``entry`` holding ``new``; None when it cannot be done in place."""
    line_no, col = entry.container.lc.value(entry.key)
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
    if len(region) != len(old_lines):
        return "".join(render(line) for line in new_lines)
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
    try:
        docs = list(_yaml().load_all(text))
        found = [cm["data"].get(entry.key) for n, cm in _configmaps(docs[entry.document]) if n == entry.name]
    except Exception:  # a splice that breaks the YAML is not used
        return False
    return bool(found) and str(found[0]).rstrip("\n") == new.rstrip("\n")


def read_manifest(data: bytes, name: str) -> ConfigMapManifest:
    manifest = ConfigMapManifest(decode(data, name), name)
    if not manifest.embedded:
        raise UsageError(f"no ConfigMap with a data.\"{EMBEDDED_KEY}\" key in this manifest", name)
    return manifest


def looks_like_configmap(text: str) -> bool:
    """A cheap test for batch discovery: a manifest that may embed a deployment.toml."""
    return "ConfigMap" in text and EMBEDDED_KEY in text
