"""The XML reader's indexes give the answers of the scans they replace, so a 2.x file with many list items
(gateway environments, datasources) costs time in proportion to its size:

- the inverted map's lookup, indexed by length and last segment, finds what a scan of every wildcard entry finds,
  in the same order;
- an element's position among the siblings that fill one template loop is what a scan of the whole file gives,
  before and after a datasource is aliased.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8s_migrate.data import load_json
from k8s_migrate.hub import format_key
from k8s_migrate.xml import customisations, xml_customisations
from k8s_migrate.xml.customisations import (
    FileContext,
    find_conf_files,
    item_prefixes,
    locate,
    locate_keys,
    map_location,
    pattern_match,
    rules_for,
)
from k8s_migrate.xml.document import file_facts
from k8s_migrate.xml.inverted_map import InvertedMap, Match, segment_matches, split_xpath
from k8s_migrate.xml.values import concrete_key, concrete_key_text

TEMPLATE_VERSION = "3.0.0"
MAP_FILES = sorted(p.name.removesuffix(".json") for p in (Path(__file__).parent.parent / "mappings" / "xml" /
                                                          TEMPLATE_VERSION).glob("*.xml.json"))


def scanned_lookup(imap: InvertedMap, segments: tuple[str, ...]) -> list[Match]:
    """The lookup as a scan of every wildcard entry in template order (the definition the index must keep)."""
    found = [Match(e, ()) for e in imap.exact.get("/".join(segments), [])]
    wild = []
    for entry in imap.entries:
        pattern = split_xpath(entry["xpath"])
        if any(s == "*" or s.endswith("[*]") for s in pattern) and len(pattern) == len(segments):
            match = imap.wildcard_match(pattern, entry, segments)
            wild += [match] if match is not None else []
    wild.sort(key=lambda m: m.wildcards)
    return found + wild


def scanned_item_index(ctx: FileContext, prefix: tuple[str, ...], segment: str, pattern: str) -> int:
    depth = len(prefix)
    order: list[str] = []
    for fact in ctx.facts:
        segs = ctx.aliased(fact.segments)
        if len(segs) > depth and segs[:depth] == prefix and segs[depth] not in order:
            seg = segs[depth]
            named = ctx.imap is not None and ctx.imap.is_named_exactly(prefix + (seg,))
            if segment_matches(pattern, seg) is not False and not named:
                order.append(seg)
    return order.index(segment) if segment in order else 0


def conf_folders(reference: Path) -> list[Path]:
    folders = [reference / "apim" / v / "repository" / "conf" for v in load_json("xml/files.json")["versions"]]
    folders += [p for p in sorted((reference / "real-world-xml").glob("*")) if p.is_dir()]
    return [f for f in folders if f.is_dir()]


def many_environments(reference: Path, tmp_path: Path, count: int) -> Path:
    """The 2.5.0 stock api-manager.xml with ``count`` gateway environments instead of one."""
    text = (reference / "apim" / "2.5.0" / "repository" / "conf" / "api-manager.xml").read_text()
    environment = re.search(r"<Environment type=\"hybrid\".*?</Environment>", text, re.S)
    assert environment, "the stock file's gateway environment"
    copies = "\n".join(environment.group(0).replace("<Name>Production and Sandbox</Name>", f"<Name>gw{i}</Name>")
                       for i in range(count))
    path = tmp_path / "api-manager.xml"
    path.write_text(text.replace(environment.group(0), copies, 1))
    return path


def contexts(reference: Path, tmp_path: Path) -> list[FileContext]:
    out = []
    paths = [p for folder in conf_folders(reference) for p in find_conf_files(folder).items()]
    paths.append(("api-manager.xml", many_environments(reference, tmp_path, 12)))
    for name, path in paths:
        imap = InvertedMap(load_json(f"xml/{TEMPLATE_VERSION}/{name}.json")) if name in MAP_FILES else None
        out.append(FileContext(name, file_facts(path), imap))
    return out


def test_the_indexed_lookup_is_the_scan_of_every_entry(reference_dir, tmp_path):
    looked_up = 0
    for ctx in contexts(reference_dir, tmp_path):
        if ctx.imap is None:
            continue
        queries = {ctx.aliased(f.segments) for f in ctx.facts[::3]}  # a sample: the scan is what is slow
        queries |= {split_xpath(e["xpath"]) for e in ctx.imap.entries[::5] if "*" in e["xpath"]}  # wildcards as asked
        for segments in sorted(queries):
            want = scanned_lookup(ctx.imap, segments)
            assert ctx.imap.lookup(segments) == want, segments
            looked_up += bool(want)
    assert looked_up > 500, "the queries must reach the map's entries, wildcard ones included"


def test_an_items_position_is_the_scan_of_the_whole_file(reference_dir, tmp_path):
    asked = 0
    for ctx in contexts(reference_dir, tmp_path):
        if ctx.imap is None:
            continue
        for fact in ctx.facts:
            segments = ctx.aliased(fact.segments)
            for match in ctx.imap.lookup(segments):
                pattern = split_xpath(match.entry["xpath"])
                for capture in match.captures:
                    prefix = segments[: capture.position]
                    want = scanned_item_index(ctx, prefix, capture.segment, pattern[capture.position])
                    assert ctx.item_index(prefix, capture.segment, pattern[capture.position]) == want
                    asked += 1
    assert asked > 500


def test_an_alias_added_later_changes_the_positions_as_the_scan_sees_them(reference_dir, tmp_path):
    path = many_environments(reference_dir, tmp_path, 5)
    ctx = FileContext("api-manager.xml", file_facts(path),
                      InvertedMap(load_json(f"xml/{TEMPLATE_VERSION}/api-manager.xml.json")))
    segments = next(ctx.aliased(f.segments) for f in ctx.facts if "Name>gw3" in f"Name>{f.value}")
    match = next(m for m in ctx.imap.lookup(segments) if m.captures)
    capture = match.captures[0]
    prefix, pattern = segments[: capture.position], split_xpath(match.entry["xpath"])[capture.position]
    before = ctx.item_index(prefix, capture.segment, pattern)
    assert before == scanned_item_index(ctx, prefix, capture.segment, pattern) == 3
    first = next(iter(ctx.children(prefix)))
    ctx.add_alias(capture.position, first, "Elsewhere", "a-test-rule")
    assert ctx.item_index(prefix, capture.segment, pattern) == scanned_item_index(ctx, prefix, capture.segment,
                                                                                  pattern) == 2


@pytest.mark.parametrize("count", [1, 30])
def test_many_environments_map_to_as_many_items(reference_dir, tmp_path, count):
    path = many_environments(reference_dir, tmp_path, count)
    ctx = FileContext("api-manager.xml", file_facts(path),
                      InvertedMap(load_json(f"xml/{TEMPLATE_VERSION}/api-manager.xml.json")))
    names = [f for f in ctx.facts if f.segments[-1] == "Name" and f.value.startswith("gw")]
    assert len(names) == count
    keys = [next(iter(map_location(ctx, f.segments, f.value)[0])) for f in names]
    assert keys == [f"apim.gateway.environment[{i}].name" for i in range(count)]
    match = map_location(ctx, names[-1].segments, names[-1].value)[1]
    assert item_prefixes(match, ctx.aliased(names[-1].segments)) == [names[-1].segments[:4]]


# ---- the reader's shortcuts give what their general forms give ---------------------------------
def test_a_special_cases_pattern_matches_as_every_segment_compared(reference_dir, tmp_path, monkeypatch):
    rules = load_json(f"xml/rules-2.x-{TEMPLATE_VERSION}.json")
    patterns = [r["xpath"] for group in ("split_by_scheme", "url_groups") for r in rules[group]]
    patterns += [e["xpath"] for ctx in contexts(reference_dir, tmp_path) if ctx.imap for e in ctx.imap.entries
                 if "*" in e["xpath"]]  # more shapes of wildcards
    by_length: dict[int, set[str]] = {}
    for pattern in patterns:  # a pattern of another length is passed over before any segment is compared
        by_length.setdefault(len(split_xpath(pattern)), set()).add(pattern)
    asked = [(pattern, fact.segments) for ctx in contexts(reference_dir, tmp_path) for fact in ctx.facts[::2]
             for pattern in sorted(by_length.get(len(fact.segments), ()))]
    got = [pattern_match(pattern, segments) for pattern, segments in asked]
    monkeypatch.setattr(customisations, "fixed_segments", lambda _pattern: ())  # every segment compared in order
    want = [pattern_match(pattern, segments) for pattern, segments in asked]
    assert got == want
    assert sum(m is not None for m in want) > 500


def test_a_location_is_located_once_as_it_would_be_afresh(reference_dir, tmp_path):
    rules = rules_for("2.5.0", TEMPLATE_VERSION)
    asked = 0
    for ctx in contexts(reference_dir, tmp_path):
        for fact in ctx.facts:
            for value in (fact.value, fact.value + "x", "https://h:1/a,http://h:2/b", "{tcp://a:1},{tcp://b:2}"):
                fresh = FileContext(ctx.name, ctx.facts, ctx.imap)
                assert locate_keys(rules, ctx, fact.segments, value) == locate(rules, fresh, fact.segments, value)
                asked += 1
    assert asked > 2000


ODD_NAMES = st.one_of(st.sampled_from(["", "a.b", 'q"z', "x\\y", "sp ace", "é", "*", "[0]", "tab\tx", "-_9"]),
                      st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(min_value=-1, max_value=40), ODD_NAMES), max_size=4), st.data())
def test_a_filled_key_is_written_as_format_key_writes_it(fills, data):
    patterns = sorted({k for name in MAP_FILES for e in load_json(f"xml/{TEMPLATE_VERSION}/{name}.json")["entries"]
                       for k in [e.get("key"), *e.get("keys", [])] if k})
    pattern = data.draw(st.sampled_from(patterns + ['"quoted.table".*.x', "a[].b[].c", "*.k"]))
    text, path = concrete_key_text(pattern, fills)
    assert path == concrete_key(pattern, fills)
    assert text == format_key(concrete_key(pattern, fills))


def hub_keys_by_parsing(monkeypatch, conf: Path, version: str):
    """xml_customisations with every collected key's path parsed back from its text (the general path)."""
    monkeypatch.setattr(FileContext, "key_text", lambda self, pattern, fills: concrete_key_text(pattern, fills)[0])
    try:
        return xml_customisations(conf, version)
    finally:
        monkeypatch.undo()


def test_the_collected_paths_are_the_keys_parsed(reference_dir, tmp_path, monkeypatch):
    many = tmp_path / "many"
    many.mkdir()
    many_environments(reference_dir, many, 12)
    folders = [(f, v) for f in conf_folders(reference_dir) for v in ("2.1.0", "2.5.0", "2.6.0") if v in str(f)]
    folders += [(reference_dir / "real-world-xml" / "janithcmw-250-storepub", "2.5.0"), (many, "2.5.0")]
    for conf, version in folders:
        want = hub_keys_by_parsing(monkeypatch, conf, version)
        got = xml_customisations(conf, version)
        assert [(k.key, k.path, k.value, k.origin, k.item_context) for k in got.keys] == \
            [(k.key, k.path, k.value, k.origin, k.item_context) for k in want.keys]
        assert got.customisations == want.customisations
        assert all(type(a) is type(b) for k, w in zip(got.keys, want.keys, strict=True)
                   for a, b in zip(k.path, w.path, strict=True))
