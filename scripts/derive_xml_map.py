#!/usr/bin/env python3
"""Invert the 3.0.0 .j2 templates: which deployment.toml key fills which XML location.

Reads ../shared/reference/apim/ (relative to the repo root) and writes:
  mappings/xml/3.0.0/<file>.json    XML location -> TOML key (kind, guard, template line)
  mappings/xml/stock/<ver>/<file>.json   element-path -> value facts of the stock 2.x XML
and prints a coverage table.  The scanner is our own: Jinjava operators (&&, ||, !) and the
orphan tags of identity.xml.j2 make the templates unparseable for Jinja2, and we only need
the control structure (if/for) and the XML element nesting.

Usage: python scripts/derive_xml_map.py [--check]   (--check: exit 1 if the committed data is stale)
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from k8s_migrate.xml.document import file_facts  # noqa: E402

REFERENCE = REPO.parent / "shared" / "reference" / "apim"
TEMPLATE_VERSION = "3.0.0"
TEMPLATES = REFERENCE / TEMPLATE_VERSION / "repository/resources/conf/templates/repository/conf"
XML_FILES = {  # file name -> path under repository/conf (2.x) and templates/repository/conf (3.0.0)
    "api-manager.xml": "api-manager.xml",
    "carbon.xml": "carbon.xml",
    "master-datasources.xml": "datasources/master-datasources.xml",
    "user-mgt.xml": "user-mgt.xml",
    "registry.xml": "registry.xml",
    "axis2.xml": "axis2/axis2.xml",
    "identity.xml": "identity/identity.xml",
}
STOCK_VERSIONS = ["2.1.0", "2.5.0", "2.6.0"]
OUT = REPO / "mappings" / "xml"
IDENTITIES = json.loads((OUT / "identity.json").read_text())["children"]

TOKEN = re.compile(
    r"(?P<stmt>\{%-?(?P<stmt_body>.*?)-?%\})"
    r"|(?P<expr>\{\{-?(?P<expr_body>.*?)-?\}\})"
    r"|(?P<jcomment>\{#.*?#\})"
    r"|(?P<copen><!--)|(?P<cclose>-->)"
    r"|(?P<pi><\?.*?\?>|<!\[CDATA\[.*?\]\]>|<!DOCTYPE[^>]*>)"
    r"|(?P<tag><(?P<close>/?)(?P<name>\{\{.*?\}\}|[A-Za-z_](?:[\w.:]|-(?!-))*)(?P<attrs>(?:\s(?:[^<>{]|\{\{.*?\}\}|\{%.*?%\})*?)?)(?P<empty>/?)>)",
    re.S,
)
ATTR = re.compile(r"""([\w.:-]+)\s*=\s*("([^"]*)"|'([^']*)')""", re.S)
STMT_HEAD = re.compile(r"^\s*(\w+)\s*(.*?)\s*$", re.S)
FOR = re.compile(r"^(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.+?)\s*$", re.S)
DOTTED = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*$")


@dataclass
class Loop:
    names: tuple[str, ...]
    iterable: str  # TOML key (loop variables already resolved)
    items: bool  # .items(): names are (key, value)


@dataclass
class TNode:
    tag: str
    attrs: dict[str, str]
    line: int
    loops: tuple[Loop, ...]
    guard: tuple[str, ...]
    branch: tuple[tuple[int, int], ...]
    children: list["TNode"] = field(default_factory=list)
    raw: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, text, line)


@dataclass
class Frame:
    kind: str  # if | for
    conds: list[str]
    ident: int
    xml_depth: int
    loop: Loop | None = None


def jinjava_to_text(cond: str) -> str:
    return re.sub(r"\s+", " ", cond.replace("&&", " and ").replace("||", " or ")).strip()


def scan(text: str) -> TNode:
    root = TNode("#root", {}, 0, (), (), ())
    xml_stack: list[TNode] = [root]
    frames: list[Frame] = []
    branch_ids: list[tuple[int, int]] = []
    in_comment = False
    counter = 0
    pos = 0

    def line_at(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def guard() -> tuple[str, ...]:
        out = []
        for f in frames:
            if f.kind == "if":
                prior = [f"not ({c})" for c in f.conds[:-1] if c != "else"]
                last = f.conds[-1]
                out.append(" and ".join(prior + ([last] if last != "else" else [])))
        return tuple(out)

    def loops() -> tuple[Loop, ...]:
        return tuple(f.loop for f in frames if f.loop)

    def add_raw(kind: str, chunk: str, offset: int) -> None:
        if not in_comment:
            xml_stack[-1].raw.append((kind, chunk, line_at(offset)))

    for m in TOKEN.finditer(text):
        if m.start() > pos:
            add_raw("text", text[pos:m.start()], pos)
        pos = m.end()
        if m.group("stmt"):
            body = m.group("stmt_body").strip()
            head = STMT_HEAD.match(body)
            word, rest = (head.group(1), head.group(2)) if head else ("", "")
            if word == "if":
                counter += 1
                frames.append(Frame("if", [jinjava_to_text(rest)], counter, len(xml_stack)))
                branch_ids.append((counter, 0))
            elif word in ("elif", "else") and frames and frames[-1].kind == "if":
                f = frames[-1]
                f.conds.append(jinjava_to_text(rest) if word == "elif" else "else")
                del xml_stack[f.xml_depth:]
                branch_ids[-1] = (f.ident, len(f.conds) - 1)
            elif word == "endif" and frames and frames[-1].kind == "if":
                frames.pop()
                branch_ids.pop()
            elif word == "for":
                fm = FOR.match(rest)
                loop = None
                if fm:
                    iterable = fm.group(3)
                    is_items = iterable.endswith(".items()")
                    key = resolve(iterable[: -len(".items()")] if is_items else iterable, loops())
                    names = (fm.group(1), fm.group(2)) if fm.group(2) else (fm.group(1),)
                    if key:
                        loop = Loop(names, key, is_items)
                counter += 1
                frames.append(Frame("for", [rest], counter, len(xml_stack), loop))
            elif word == "endfor" and frames and frames[-1].kind == "for":
                frames.pop()
            add_raw("stmt", m.group(0), m.start())
        elif m.group("expr"):
            add_raw("expr", m.group(0), m.start())
        elif m.group("copen"):
            in_comment = True
        elif m.group("cclose"):
            in_comment = False
        elif m.group("tag") and not in_comment:
            name = m.group("name")
            if m.group("close"):
                for i in range(len(xml_stack) - 1, 0, -1):
                    if xml_stack[i].tag == name:
                        del xml_stack[i:]
                        break
                continue
            attrs = {a.group(1): a.group(3) if a.group(3) is not None else a.group(4)
                     for a in ATTR.finditer(m.group("attrs") or "")}
            node = TNode(name, attrs, line_at(m.start()), loops(), guard(), tuple(branch_ids))
            xml_stack[-1].children.append(node)
            if not m.group("empty"):
                xml_stack.append(node)
    return root


def resolve(expr: str, active: tuple[Loop, ...]) -> str | None:
    """A dotted name in the template -> TOML key (``[]`` for list items, ``*`` for table entries)."""
    expr = expr.strip()
    if not DOTTED.match(expr):
        return None
    head, _, rest = expr.partition(".")
    for loop in reversed(active):
        if head in loop.names:
            if loop.items:
                if head == loop.names[0]:
                    return None if rest else "#name"
                base = loop.iterable + ".*"
            else:
                base = loop.iterable + "[]"
            return base + ("." + rest if rest else "")
    return expr


def exclusive(a: TNode, b: TNode) -> bool:
    ours = dict(a.branch)
    return any(ident in ours and ours[ident] != br for ident, br in b.branch)


def template_segments(parent: TNode) -> list[str]:
    segments = []
    for i, child in enumerate(parent.children):
        tag = "*" if child.tag.startswith("{{") else child.tag
        new_loop = len(child.loops) > len(parent.loops)
        name_attr = child.attrs.get("name")
        id_child = next((c for c in child.children if c.tag == IDENTITIES.get(child.tag)), None)
        id_text = "".join(t for k, t, _ in id_child.raw if k == "text").strip() if id_child else ""
        id_raw = "".join(t for _, t, _ in id_child.raw).strip() if id_child else ""
        if tag == "*":
            pred = ""
        elif name_attr is not None and "{{" not in name_attr and "{%" not in name_attr:
            pred = f"[@name={quote(name_attr)}]"
        elif id_child is not None and id_text == id_raw and id_text:
            pred = f"[{id_child.tag}={quote(id_text)}]"
        elif new_loop or (name_attr is not None) or (id_child is not None):
            pred = "[*]"
        else:
            same = [c for c in parent.children if c.tag == child.tag and c is not child]
            rivals = [c for c in same if not exclusive(c, child)]
            if rivals:
                pos = 1 + sum(1 for c in parent.children[:i] if c.tag == child.tag and not exclusive(c, child))
                pred = f"[{pos}]"
            else:
                pred = ""
        segments.append(tag + pred)
    return segments


def quote(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


EXPR_ONLY = re.compile(r"^\{\{-?\s*(.*?)\s*-?\}\}$", re.S)
DEFAULT_FILTER = re.compile(r"^(.*?)\s*\|\s*default\(\s*['\"]?(.*?)['\"]?\s*\)$")
JOIN_LOOP = re.compile(
    r"^\{%-?\s*for\s+(\w+)\s+in\s+([\w.]+)\s*-?%\}\{\{-?\s*\1\s*-?\}\}\{\{-?\s*\"(.*?)\"\s+if\s+not\s+loop\.last\s*-?\}\}\{%-?\s*endfor\s*-?%\}$"
)


def analyse_value(raw: str, active: tuple[Loop, ...]) -> dict:
    """How one XML value is filled: a dict with kind + key(s), or kind 'left' with a reason."""
    body = raw.strip()
    if "{{" not in body and "{%" not in body:
        return {"kind": "fixed", "value": body}
    j = JOIN_LOOP.match(body)
    if j:
        key = resolve(j.group(2), active)
        return {"kind": "join", "key": key, "separator": j.group(3)} if key else left("unresolved join")
    if "{%" in body:
        return left("value built by if/for inside the element (computed)")
    only = EXPR_ONLY.match(body)
    if only and "{{" not in only.group(1):
        expr = only.group(1)
        d = DEFAULT_FILTER.match(expr)
        if d:
            key = resolve(d.group(1), active)
            return {"kind": "direct", "key": key, "default": d.group(2)} if key else left(f"unresolved {expr!r}")
        if expr.startswith("not "):
            key = resolve(expr[4:], active)
            return {"kind": "invert", "key": key} if key else left(f"unresolved {expr!r}")
        key = resolve(expr, active)
        if key == "#name":
            return {"kind": "entry_name"}
        return {"kind": "direct", "key": key} if key else left(f"computed expression {expr!r}")
    parts = re.split(r"(\{\{-?.*?-?\}\})", body, flags=re.S)
    keys, regex = [], ""
    for part in parts:
        if part.startswith("{{"):
            expr = EXPR_ONLY.match(part).group(1)
            key = resolve(expr, active)
            if not key or key == "#name":
                return left(f"computed expression {expr!r} in a pattern")
            keys.append(key)
            regex += "(.*?)" if part is not parts[-1] else "(.*)"
        else:
            regex += re.escape(part)
    return {"kind": "pattern", "keys": keys, "template": body, "regex": "^" + regex + "$"}


def left(reason: str) -> dict:
    return {"kind": "left", "reason": reason}


def walk(node: TNode, trail: tuple[str, ...], out: list[dict]) -> None:
    for child, segment in zip(node.children, template_segments(node), strict=True):
        path = trail + (segment,)
        active = child.loops
        for attr, value in child.attrs.items():
            if attr.startswith("xmlns"):
                continue
            entry = analyse_value(value, active)
            if segment.endswith("[*]") and attr == "name" and "{{" in value:
                entry = {"kind": "entry_name"}
            record(out, path + ("@" + attr,), entry, child, value)
        if child.tag.startswith("{{"):
            name_key = resolve(EXPR_ONLY.match(child.tag).group(1), active)
            if name_key != "#name":
                record(out, path, left("computed element name"), child, child.tag)
        raw = "".join(t for _, t, _ in child.raw)
        body = raw.strip()
        has_value = "{{" in body or (not child.children and not re.search(r"\{%", body))
        if has_value:
            stripped = re.sub(r"\{%.*?%\}", "", body, flags=re.S).strip() if child.children else body
            if stripped or not child.children:
                record(out, path, analyse_value(body, active), child, body)
        walk(child, path, out)


def record(out: list[dict], path: tuple[str, ...], entry: dict, node: TNode, raw: str) -> None:
    item = {"xpath": "/".join(path), "line": node.line}
    item.update(entry)
    if node.guard:
        item["guard"] = " and ".join(f"({g})" for g in node.guard)
    if node.loops:
        item["loops"] = [lp.iterable for lp in node.loops]
    if entry["kind"] not in ("fixed",):
        item["template"] = raw.strip()
    out.append(item)


def flatten(table: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(flatten(v, key + "."))
        elif isinstance(v, list) and v and all(isinstance(i, dict) for i in v):
            for item in v:
                flat.update(flatten(item, key + "[]."))
        else:
            flat[key] = v
    return flat


def key_types() -> dict[str, str]:
    conf = REFERENCE / TEMPLATE_VERSION / "repository"
    defaults = json.loads((conf / "resources/conf/default.json").read_text())
    stock = flatten(tomllib.loads((conf / "conf/deployment.toml").read_text()))
    types = {}
    for source in (defaults, stock):
        for key, value in source.items():
            key = key.replace("'", '"')
            types.setdefault(key, type_name(value))
    return types


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    return "str"


def typed(entries: list[dict], types: dict[str, str]) -> None:
    for e in entries:
        for field_name in ("key", "keys"):
            keys = e.get(field_name)
            if keys is None:
                continue
            names = keys if isinstance(keys, list) else [keys]
            e["types"] = [types.get(k, "list" if e["kind"] == "join" else "auto") for k in names]


def repair_known_defects(text: str) -> str:
    """3.0.0 identity.xml.j2 has ``% if ... %}`` (the ``{`` missing; see apim/PROVENANCE.md):
    read it as the ``{% if %}`` its ``{% else %}`` and ``{% endif %}`` belong to."""
    return re.sub(r"(?m)^(\s*)%(\s*if\s[^\n]*?%\})", r"\1{%\2", text)


def derive_file(name: str, types: dict[str, str]) -> dict:
    template = TEMPLATES / (XML_FILES[name] + ".j2")
    root = scan(repair_known_defects(template.read_text(encoding="utf-8")))
    entries: list[dict] = []
    walk(root, (), entries)
    typed(entries, types)
    values = [e for e in entries if e["kind"] != "fixed"]
    inverted = [e for e in values if e["kind"] != "left"]
    reasons: dict[str, int] = {}
    for e in values:
        if e["kind"] == "left":
            reasons[e["reason"]] = reasons.get(e["reason"], 0) + 1
    return {
        "source": f"derived by scripts/derive_xml_map.py from ../shared/reference/apim/{TEMPLATE_VERSION}/"
        f"repository/resources/conf/templates/repository/conf/{XML_FILES[name]}.j2 "
        "(rgmatute/wso2-v3.0.0 @ 5416f098; see apim/PROVENANCE.md)",
        "file": name,
        "template_version": TEMPLATE_VERSION,
        "coverage": {"value_locations": len(values), "inverted": len(inverted),
                     "left": len(values) - len(inverted), "left_reasons": reasons},
        "entries": entries,
    }


def derive_stock(version: str, name: str) -> dict | None:
    path = REFERENCE / version / "repository/conf" / XML_FILES[name]
    if not path.is_file():
        return None
    facts = file_facts(path)
    return {
        "source": f"derived by scripts/derive_xml_map.py from ../shared/reference/apim/{version}/"
        f"repository/conf/{XML_FILES[name]} (see apim/PROVENANCE.md)",
        "file": name, "version": version,
        "facts": {f.path: f.value for f in facts},
    }


CHECK = "--check" in sys.argv[1:]
STALE: list[Path] = []


def write_json(path: Path, data: dict) -> None:
    """Write derived data; with --check, only note files whose committed text differs."""
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if CHECK:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            STALE.append(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def database_types() -> dict:
    """JDBC URL scheme -> [database.*] type, from infer.json's database.$1.type url templates."""
    infer = json.loads((REFERENCE / TEMPLATE_VERSION / "repository/resources/conf/infer.json").read_text())
    schemes = {}
    for db_type, implied in infer["database.$1.type"].items():
        url = implied.get("database.$1.url", "")
        scheme = ":".join(url.split(":")[:2]) + ":"
        schemes[scheme] = db_type
    return {
        "source": f"derived by scripts/derive_xml_map.py from ../shared/reference/apim/{TEMPLATE_VERSION}/"
        "repository/resources/conf/infer.json (database.$1.type)",
        "url_scheme_to_type": schemes,
    }


def conf_files() -> dict:
    roots = {}
    for name, rel in XML_FILES.items():
        stock = REFERENCE / STOCK_VERSIONS[-1] / "repository/conf" / rel
        roots[name] = {"path": rel, "root": file_facts(stock)[0].segments[0]}
    return {
        "source": "derived by scripts/derive_xml_map.py: file locations under repository/conf and root "
        f"elements of the stock {STOCK_VERSIONS[-1]} XML files",
        "files": roots,
        "versions": {v: {"stock": f"stock/{v}", "map": TEMPLATE_VERSION} for v in STOCK_VERSIONS},
    }


def main() -> int:
    write_json(OUT / "files.json", conf_files())
    write_json(OUT / TEMPLATE_VERSION / "database-types.json", database_types())
    types = key_types()
    print(f"{'file':<24} {'values':>6} {'inverted':>8} {'left':>5} {'%':>6}  left reasons")
    for name in XML_FILES:
        data = derive_file(name, types)
        write_json(OUT / TEMPLATE_VERSION / f"{name}.json", data)
        c = data["coverage"]
        pct = 100.0 * c["inverted"] / c["value_locations"] if c["value_locations"] else 100.0
        print(f"{name:<24} {c['value_locations']:>6} {c['inverted']:>8} {c['left']:>5} {pct:>5.1f}%  "
              + "; ".join(f"{r} x{n}" for r, n in c["left_reasons"].items()))
        for version in STOCK_VERSIONS:
            stock = derive_stock(version, name)
            if stock:
                write_json(OUT / "stock" / version / f"{name}.json", stock)
    for path in STALE:
        print(f"stale: {path.relative_to(REPO)} (run scripts/derive_xml_map.py)")
    return 1 if STALE else 0


if __name__ == "__main__":
    raise SystemExit(main())
