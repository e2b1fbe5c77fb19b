"""An XML file as element-path facts: ``APIManager/APIGateway/Environments/Environment[Name='X']/ServerURL``.

A repeated element is told apart by its ``name`` attribute (``Property[@name='x']``), by an identity
child named in ``mappings/xml/identity.json`` (``datasource[name='WSO2AM_DB']``), or else by its position
among same-tag siblings (``Property[2]``).  Comments are not facts, so a commented-out value is absent.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from k8s_migrate.data import load_json


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list["Element"] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True)
class Fact:
    path: str  # element path, ``.../@attr`` for an attribute
    value: str
    line: int
    segments: tuple[str, ...]  # one per element (and the ``@attr`` last), predicates included


class XmlSyntaxError(ValueError):
    pass


def parse_elements(text: str, source: str = "<xml>") -> Element:
    parser = xml.parsers.expat.ParserCreate()
    stack: list[Element] = []
    root: list[Element] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Element(tag, dict(attrs), parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as err:
        raise XmlSyntaxError(f"{source}:{err.lineno}: {xml.parsers.expat.ErrorString(err.code)}") from None
    return root[0]


def identity_children() -> dict[str, str]:
    return load_json("xml/identity.json")["children"]


def quote(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


def identity_predicate(node: Element, identities: dict[str, str]) -> str | None:
    if "name" in node.attrs:
        return f"[@name={quote(node.attrs['name'])}]"
    child_tag = identities.get(node.tag)
    for child in node.children:
        if child.tag == child_tag:
            return f"[{child_tag}={quote(child.text.strip())}]"
    return None


def child_segments(children: list[Element], identities: dict[str, str]) -> list[str]:
    """The path segment of each child, with a predicate where its tag repeats."""
    counts: dict[str, int] = {}
    for child in children:
        counts[child.tag] = counts.get(child.tag, 0) + 1
    seen: dict[str, int] = {}
    segments = []
    for child in children:
        seen[child.tag] = seen.get(child.tag, 0) + 1
        predicate = identity_predicate(child, identities)
        if predicate is None and counts[child.tag] > 1:
            predicate = f"[{seen[child.tag]}]"
        segments.append(child.tag + (predicate or ""))
    return segments


def element_facts(node: Element, trail: tuple[str, ...], identities: dict[str, str]) -> list[Fact]:
    facts = []
    for name, value in node.attrs.items():
        if not name.startswith("xmlns"):
            seg = trail + ("@" + name,)
            facts.append(Fact("/".join(seg), value, node.line, seg))
    text = node.text.strip()
    if not node.children or text:
        facts.append(Fact("/".join(trail), text, node.line, trail))
    for child, segment in zip(node.children, child_segments(node.children, identities), strict=True):
        facts.extend(element_facts(child, trail + (segment,), identities))
    return facts


def xml_facts(text: str, source: str = "<xml>") -> list[Fact]:
    root = parse_elements(text, source)
    return element_facts(root, (root.tag,), identity_children())


def file_facts(path: Path) -> list[Fact]:
    return xml_facts(path.read_text(encoding="utf-8"), str(path))
