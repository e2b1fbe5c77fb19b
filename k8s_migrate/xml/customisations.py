"""A 2.x repository/conf (or one XML file) -> the operator's customisations as hub keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from k8s_migrate.data import load_json
from k8s_migrate.hub import ANY_ITEM, HubKey, KeyPath, format_key, parse_key
from k8s_migrate.xml.compare import Change, compare_facts
from k8s_migrate.xml.document import Fact, file_facts
from k8s_migrate.xml.inverted_map import (
    Capture,
    InvertedMap,
    Match,
    inverted_map,
    is_wildcard,
    segment_matches,
    segment_parts,
    split_xpath,
)
from k8s_migrate.xml.values import concrete_key_text, pattern_path, reverse_value


@dataclass
class Customisation:
    """One changed, added or removed XML location, and where it went."""

    file: str
    line: int | None
    xpath: str
    action: str  # changed | added | removed
    stock_value: str | None
    user_value: str | None
    keys: list[str] = field(default_factory=list)
    rule: str | None = None  # a rule id, or "template:<line>" for the inverted template map
    message: str = ""

    @property
    def mapped(self) -> bool:
        return not self.message


@dataclass
class XmlResult:
    keys: list[HubKey]
    customisations: list[Customisation]
    unmapped: list[Customisation]
    files: dict[str, Path]
    from_version: str
    template_version: str


class XmlInputError(ValueError):
    pass


def known_xml_version(from_version: str) -> str:
    versions = load_json("xml/files.json")["versions"]
    for version in versions:
        if version == from_version or version.startswith(from_version.rstrip(".") + "."):
            return version
    raise XmlInputError(f"no stock XML facts for API-M {from_version} (known: {', '.join(versions)})")


def find_conf_files(conf_path: Path) -> dict[str, Path]:
    """The known XML files in a repository/conf folder, or the one file given."""
    files = load_json("xml/files.json")["files"]
    if conf_path.is_file():
        return {name_of_file(conf_path, files): conf_path}
    if not conf_path.is_dir():
        raise XmlInputError(f"{conf_path}: no such file or directory")
    found = {}
    for name, info in files.items():
        for candidate in [conf_path / info["path"], conf_path / name, *sorted(conf_path.glob(f"*/{name}"))]:
            if candidate.is_file():
                found[name] = candidate
                break
    if not found:
        raise XmlInputError(f"{conf_path}: none of {', '.join(files)} found")
    return found


def skipped_files(conf_path: Path, found: dict[str, Path]) -> list[str]:
    """The XML-looking files of a conf folder that the migration does not read (a copy, a backup, a file it
    has no map for), to list in the report."""
    if not conf_path.is_dir():
        return []
    read = {p.resolve() for p in found.values()}
    skipped = []
    for path in sorted(conf_path.rglob("*")):
        if path.is_file() and ".xml" in path.name and path.resolve() not in read:
            skipped.append(str(path.relative_to(conf_path)))
    return skipped


def name_of_file(path: Path, files: dict[str, Any]) -> str:
    if path.name in files:
        return path.name
    root = file_facts(path)[0].segments[0]
    names = [name for name, info in files.items() if info["root"] == root]
    if len(names) != 1:
        raise XmlInputError(f"{path}: cannot tell which API-M XML file this is (root element <{root}>)")
    return names[0]


def stock_facts(version: str, name: str) -> dict[str, str]:
    try:
        return load_json(f"xml/stock/{version}/{name}.json")["facts"]
    except FileNotFoundError:
        return {}


def rules_for(version: str, template_version: str) -> dict[str, Any]:
    """The special cases for this version pair (the report messages apply to every pair)."""
    rules = load_json(f"xml/rules-2.x-{template_version}.json")
    return rules if version in rules["from"] else {"messages": rules["messages"]}


Located = tuple[str | None, dict[str, Any], list[tuple[str, ...]], Match | None, str]


@dataclass
class FileContext:
    name: str
    facts: list[Fact]
    imap: InvertedMap | None
    aliases: dict[int, dict[str, str]] = field(default_factory=dict)  # position -> {user seg: map seg}
    alias_rules: dict[str, str] = field(default_factory=dict)  # user segment -> id of the rule that aliased it
    _children: dict[int, dict[tuple[str, ...], dict[str, None]]] = field(default_factory=dict, repr=False)
    _orders: dict[tuple[tuple[str, ...], str], dict[str, int]] = field(default_factory=dict, repr=False)
    located: dict[tuple[tuple[str, ...], str], Located] = field(default_factory=dict, repr=False)  # locate_keys'
    paths: dict[str, KeyPath] = field(default_factory=dict, repr=False)  # the keys key_text wrote, by their text

    def add_alias(self, position: int, segment: str, read_as: str, rule_id: str) -> None:
        self.aliases.setdefault(position, {})[segment] = read_as
        self.alias_rules[segment] = rule_id
        self._children.clear()
        self._orders.clear()
        self.located.clear()

    def key_text(self, pattern: str, fills: list[str | int]) -> str:
        """A key pattern filled, as text; its path kept for the collector."""
        text, path = concrete_key_text(pattern, fills)
        self.paths[text] = path
        return text

    def alias_rule(self, segments: tuple[str, ...]) -> str | None:
        return next((self.alias_rules[s] for s in segments if s in self.alias_rules), None)

    def aliased(self, segments: tuple[str, ...]) -> tuple[str, ...]:
        if not self.aliases:
            return segments
        return tuple(self.aliases.get(i, {}).get(s, s) for i, s in enumerate(segments))

    def children(self, prefix: tuple[str, ...]) -> dict[str, None]:
        """The distinct segments that follow ``prefix`` in the file's (aliased) elements, in document order;
        indexed once per depth, so a file of many list items is read once, not once per item."""
        depth = len(prefix)
        index = self._children.get(depth)
        if index is None:
            index = self._children[depth] = {}
            for fact in self.facts:
                segs = self.aliased(fact.segments)
                if len(segs) > depth:
                    index.setdefault(segs[:depth], {})[segs[depth]] = None
        return index.get(prefix, {})

    def item_index(self, prefix: tuple[str, ...], segment: str, pattern: str) -> int:
        """Position of an element among its siblings that fill the same template loop."""
        order = self._orders.get((prefix, pattern))
        if order is None:
            filling = [seg for seg in self.children(prefix) if segment_matches(pattern, seg) is not False
                       and not (self.imap is not None and self.imap.is_named_exactly(prefix + (seg,)))]
            order = self._orders[(prefix, pattern)] = {seg: i for i, seg in enumerate(filling)}
        return order.get(segment, 0)


def key_fills(ctx: FileContext, match: Match, segments: tuple[str, ...], key_pattern: str) -> list[str | int]:
    pattern_segments = split_xpath(match.entry["xpath"])
    fills: list[str | int] = []
    wildcards = [seg for seg in pattern_path(key_pattern) if seg in (ANY_ITEM, "*")]
    for wildcard, capture in zip(wildcards, match.captures, strict=False):
        if wildcard == ANY_ITEM:
            prefix = segments[: capture.position]
            fills.append(ctx.item_index(prefix, capture.segment, pattern_segments[capture.position]))
        else:
            fills.append(capture.name)
    return fills


def map_location(ctx: FileContext, segments: tuple[str, ...], value: str) -> tuple[dict[str, Any], Match | None, str]:
    """{concrete key: value}, the entry used, and a message when nothing fits."""
    if ctx.imap is None:
        return {}, None, "absent"
    matches = ctx.imap.lookup(ctx.aliased(segments))
    if not matches:
        return {}, None, "absent"
    for match in matches:
        kind = match.entry["kind"]
        if kind == "entry_name":
            return {}, match, ""
        reversed_values = reverse_value(match.entry, value)
        if reversed_values is None:
            continue
        out = {}
        for pattern, val in reversed_values.items():
            fills = key_fills(ctx, match, ctx.aliased(segments), pattern)
            out[ctx.key_text(pattern, fills)] = val
        return out, match, ""
    kinds = {m.entry["kind"] for m in matches}
    reason = "fixed" if kinds == {"fixed"} else "left" if "left" in kinds else "no_fit"
    return {}, matches[0], reason


def message_for(rules: dict[str, Any], reason: str, change: Change, match: Match | None, keys: list[str],
                other: str = "") -> str:
    for advice in rules.get("advice", []):
        if re.search(advice["xpath_regex"], change.path):
            return advice["message"]
    entry = match.entry if match else {}
    return rules["messages"][reason].format(
        line=entry.get("line"), reason=entry.get("reason", ""), template=entry.get("template", ""),
        keys=", ".join(keys) or "its keys", key=keys[0] if keys else "", other=other)


def jndi_datasource(facts: list[Fact], jndi: str, jndi_child: str) -> str | None:
    """The segment of the datasource whose JNDI name is ``jndi``."""
    suffix = tuple(jndi_child.split("/"))
    for fact in facts:
        if fact.segments[-len(suffix):] == suffix and fact.value == jndi:
            return fact.segments[-len(suffix) - 1]
    return None


def datasource_roles(rules: dict[str, Any], contexts: dict[str, FileContext], version: str) -> dict[str, dict]:
    """Which datasource each role (registry, user) uses, read from the user's files or else the stock ones."""
    found: dict[str, dict] = {}
    ds_ctx = contexts.get("master-datasources.xml")
    ds_facts = ds_ctx.facts if ds_ctx else [
        Fact(p, v, 0, split_xpath(p)) for p, v in stock_facts(version, "master-datasources.xml").items()]
    for role in rules.get("datasource_roles", []):
        locator = role["locator"]
        ctx = contexts.get(locator["file"])
        facts = {f.path: f.value for f in ctx.facts} if ctx else stock_facts(version, locator["file"])
        jndi = facts.get(locator["xpath"])
        segment = jndi_datasource(ds_facts, jndi, rules["datasource_jndi_child"]) if jndi else None
        if segment:
            found[role["role"]] = {"rule": role, "segment": segment, "jndi": jndi}
    return found


def apply_roles(roles: dict[str, dict], ctx: FileContext | None) -> dict[str, dict[str, Any]]:
    """Alias each role's datasource onto its 3.0.0 template datasource; return the keys each role sets."""
    extra: dict[str, dict[str, Any]] = {}
    if ctx is None:
        return extra
    for role in roles.values():
        rule = role["rule"]
        same = rule.get("same_as_role")
        if same in roles and roles[same]["segment"] == role["segment"]:
            continue
        position = next((f.segments.index(role["segment"]) for f in ctx.facts if role["segment"] in f.segments), None)
        if position is None:
            continue
        tag = segment_parts(role["segment"])[0]
        ctx.add_alias(position, role["segment"], f"{tag}[name='{rule['read_as']}']", rule["id"])
        extra[rule["id"]] = dict(rule.get("when_separate_set", {}))
    return extra


@lru_cache(maxsize=1024)
def fixed_segments(pattern_xpath: str) -> tuple[tuple[int, str], ...]:
    """(position, segment) of a pattern's segments that are not wildcards, the last first: those match only
    themselves, and the end of a path is where paths of the same length differ."""
    return tuple((i, s) for i, s in reversed(list(enumerate(split_xpath(pattern_xpath)))) if not is_wildcard(s))


def pattern_match(pattern_xpath: str, segments: tuple[str, ...]) -> Match | None:
    pattern = split_xpath(pattern_xpath)
    if len(pattern) != len(segments):
        return None
    for i, fixed in fixed_segments(pattern_xpath):
        if segments[i] != fixed:
            return None
    captures = []
    for i, (want, got) in enumerate(zip(pattern, segments, strict=True)):
        hit = segment_matches(want, got)
        if hit is False:
            return None
        if hit is not True:
            captures.append(Capture(i, hit.segment, hit.name))
    return Match({"xpath": pattern_xpath}, tuple(captures))


def split_by_scheme(rule: dict[str, Any], value: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for part in (p.strip() for p in value.split(rule["separator"])):
        target = rule["targets"].get(part.split("://")[0].lower()) if "://" in part else None
        if not part:
            continue
        if target is None or target in out:
            return None
        out[target] = part
    return out or None


def url_groups(rule: dict[str, Any], types: dict[str, str], value: str) -> list[dict[str, Any]] | None:
    text = value.strip()
    if not text.startswith("{"):
        return None
    groups = []
    for inner in re.findall(r"\{([^{}]*)\}", text):
        separator = next((sep for sep in types if sep in inner and sep != ","), ",")
        urls = [u.strip() for u in inner.split(separator) if u.strip()]
        groups.append({rule["urls_field"]: urls, "type": types[separator]})
    return groups or None


def special_keys(rules: dict[str, Any], ctx: FileContext, segments: tuple[str, ...], value: str):
    """(rule id, {key: value}, item prefixes) from a documented special case, or None."""
    for rule in rules.get("split_by_scheme", []):
        match = pattern_match(rule["xpath"], segments)
        parts = split_by_scheme(rule, value) if match else None
        if match and parts:
            out = {ctx.key_text(k, key_fills(ctx, match, segments, k)): v for k, v in parts.items()}
            return rule["id"], out, item_prefixes(match, segments)
    for rule in rules.get("url_groups", []):
        match = pattern_match(rule["xpath"], segments)
        groups = url_groups(rule, rules["url_group_types"], value) if match else None
        if groups:
            out = {}
            for index, group in enumerate(groups):
                for field_name, field_value in group.items():
                    out[ctx.key_text(f"{rule['item']}.{field_name}", [index])] = field_value
            return rule["id"], out, []
    return None


def item_prefixes(match: Match | None, segments: tuple[str, ...]) -> list[tuple[str, ...]]:
    if match is None:
        return []
    pattern = split_xpath(match.entry["xpath"])
    return [segments[: c.position + 1] for c in match.captures if pattern[c.position].endswith("[*]")
            and pattern[c.position + 1:][-1:] != ("@name",)]


@dataclass
class Collector:
    keys: dict[str, HubKey] = field(default_factory=dict)
    items: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)

    def add(self, key: str, value: Any, cust: Customisation, context: bool = False,
            path: KeyPath | None = None) -> str | None:
        """Add a hub key (``path``: the key's, when known); the value already there when it differs (a conflict)."""
        held = self.keys.get(key)
        if held is not None:
            return None if held.value == value or context else repr(held.value)
        self.keys[key] = HubKey(path=parse_key(key) if path is None else path, value=value, line=cust.line,
                                origin=f"{cust.file}:{cust.line} {cust.xpath}", item_context=context)
        return None


def locate_keys(rules: dict[str, Any], ctx: FileContext, segments: tuple[str, ...], value: str) -> Located:
    """(rule, {key: value}, item prefixes, match, reason) of a location holding ``value``; asked once per location
    and value (the rules are one run's): a customised list item's elements are asked again as its context."""
    located = ctx.located.get((segments, value))
    if located is None:
        located = ctx.located[(segments, value)] = locate(rules, ctx, segments, value)
    return located


def locate(rules: dict[str, Any], ctx: FileContext, segments: tuple[str, ...], value: str) -> Located:
    special = special_keys(rules, ctx, ctx.aliased(segments), value)
    if special:
        return special[0], special[1], special[2], None, ""
    found, match, reason = map_location(ctx, segments, value)
    rule = f"template:{match.entry['line']}" if match and not reason else None
    return rule, found, item_prefixes(match, ctx.aliased(segments)) if found else [], match, reason


def carry_change(change: Change, ctx: FileContext, rules: dict[str, Any],
                 role_keys: dict[str, dict[str, Any]], out: Collector,
                 unresolved: frozenset[str] = frozenset()) -> Customisation:
    cust = Customisation(ctx.name, change.line, change.path, change.action, change.stock_value, change.user_value)
    role = next((r for r in rules.get("datasource_roles", [])
                 if r["locator"] == {"file": ctx.name, "xpath": change.path}), None)
    if role is not None:
        cust.rule = role["id"]
        for key, value in role_keys.get(role["id"], {}).items():
            cust.keys.append(key)
            out.add(key, value, cust)
        if role["id"] in unresolved and change.action != "removed":
            cust.message = (f"{change.path} = {change.user_value!r} names no datasource that this conf folder "
                            "defines: nothing to carry; set the datasource's [database.*] table by hand. "
                            f"{role.get('message', '')}").strip()
        return cust
    if change.action == "removed":
        _, found, _, match, reason = locate_keys(rules, ctx, change.segments, change.stock_value or "")
        cust.keys = []
        cust.message = message_for(rules, "removed" if found else "removed_fixed" if reason == "fixed" else "absent",
                                   change, match, sorted(found))
        return cust
    rule, found, items, match, reason = locate_keys(rules, ctx, change.segments, change.user_value or "")
    cust.rule = rule
    if reason == "fixed" and ctx.alias_rule(change.segments):
        cust.rule = ctx.alias_rule(change.segments)
        return cust
    if reason:
        cust.message = message_for(rules, reason, change, match, match.entry.get("keys", []) if match else [])
        return cust
    for key, value in found.items():
        cust.keys.append(key)
        other = out.add(key, value, cust, path=ctx.paths.get(key))
        if other is not None:
            cust.message = message_for(rules, "conflict", change, match, [key], other)
    out.items.update((ctx.name, prefix) for prefix in items)
    return cust


def add_item_context(ctx: FileContext, rules: dict[str, Any], out: Collector) -> None:
    """A customised list item (a gateway environment, a datasource) is carried whole."""
    prefixes = {p for name, p in out.items if name == ctx.name}
    lengths = sorted({len(p) for p in prefixes})
    for fact in ctx.facts:
        segs = ctx.aliased(fact.segments)
        if not any(segs[:n] in prefixes for n in lengths):
            continue
        cust = Customisation(ctx.name, fact.line, fact.path, "kept", fact.value, fact.value)
        rule, found, _, _, reason = locate_keys(rules, ctx, fact.segments, fact.value)
        cust.rule = rule
        for key, value in found.items():
            out.add(key, value, cust, context=True, path=ctx.paths.get(key))


def add_database_types(out: Collector, template_version: str) -> None:
    schemes = load_json(f"xml/{template_version}/database-types.json")["url_scheme_to_type"]
    for key, hub in list(out.keys.items()):
        path = hub.path
        if len(path) == 3 and path[0] == "database" and path[2] == "url" and isinstance(hub.value, str):
            db_type = next((t for s, t in schemes.items() if hub.value.startswith(s)), None)
            type_key = format_key(path[:2] + ("type",))
            if db_type and type_key not in out.keys:
                out.keys[type_key] = HubKey(parse_key(type_key), db_type, hub.line, hub.origin,
                                            item_context=hub.item_context, derived_from=key)


def xml_customisations(conf_path: Path, from_version: str) -> XmlResult:
    """The customisations of a 2.x repository/conf folder (or one XML file) as 3.0.0 hub keys."""
    version = known_xml_version(from_version)
    template_version = load_json("xml/files.json")["versions"][version]["map"]
    rules = rules_for(version, template_version)
    paths = find_conf_files(Path(conf_path))
    contexts = {name: FileContext(name, file_facts(path), inverted_map(template_version, name))
                for name, path in paths.items()}
    roles = datasource_roles(rules, contexts, version)
    role_keys = apply_roles(roles, contexts.get("master-datasources.xml"))
    out = Collector()
    customisations = []
    renames = (rules.get("renamed_elements") or {}).get(version, {})
    unresolved = frozenset(r["id"] for r in rules.get("datasource_roles", []) if r["role"] not in roles)
    for name, ctx in contexts.items():
        for change in compare_facts(stock_facts(version, name), ctx.facts):
            customisations.append(carry_change(renamed(change, renames), ctx, rules, role_keys, out, unresolved))
        add_item_context(ctx, rules, out)
        ctx.located.clear()
        ctx.paths.clear()
    add_database_types(out, template_version)
    keys = scalar_lists(list(out.keys.values()), customisations)
    unmapped = [c for c in customisations if c.message]
    return XmlResult(keys, customisations, unmapped, paths, version, template_version)


def renamed(change: Change, renames: dict[str, str]) -> Change:
    """An element that an older 2.x version wrote under another name is read as its 2.6.0 name."""
    from dataclasses import replace

    for old, new in renames.items():
        if change.path == old or change.path.startswith(old + "/"):
            segments = split_xpath(new + change.path[len(old):])
            return replace(change, segments=tuple(segments))
    return change


def scalar_lists(keys: list[HubKey], customisations: list[Customisation]) -> list[HubKey]:
    """Repeated elements that a template loops over as a list of values (``<Scope>`` in ``<ScopeWhitelist>``)
    arrive as one key per item, ``white_listed_scopes[0]``, ``[1]``...; TOML holds them as one array."""
    lists: dict[tuple, list[HubKey]] = {}
    out: list[HubKey] = []
    for key in keys:
        if isinstance(key.path[-1], int):
            group = lists.setdefault(key.path[:-1], [])
            if not group:
                out.append(key)  # the first item holds the place of the whole list
            group.append(key)
        else:
            out.append(key)
    renamed: dict[str, str] = {}
    for i, key in enumerate(out):
        items = lists.get(key.path[:-1]) if isinstance(key.path[-1], int) else None
        if items is None:
            continue
        items = sorted(items, key=lambda k: k.path[-1])
        whole = replace(key, path=key.path[:-1], value=[k.value for k in items])
        out[i] = whole
        renamed.update({k.key: whole.key for k in items})
    for cust in customisations:
        cust.keys = list(dict.fromkeys(renamed.get(k, k) for k in cust.keys))
    return out
