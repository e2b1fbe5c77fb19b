"""The speed-ups give the same answers as the slow paths they skip.

- chart maps: the link trie finds exactly what the linear scan over every link finds;
- values dumps: whenever the cheap layout proof accepts the merged text, the full YAML comparison agrees;
- a built-in chart's id and source, read without building its map, are its map's.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from k8s_migrate.charts.builtin import builtin_source
from k8s_migrate.charts.chartmap import builtin_ids, load_chart_map, to_values, to_values_path
from k8s_migrate.formats import values as fv
from k8s_migrate.formats.text import decode
from k8s_migrate.hub import format_key, parse_key

from helpers import LONG, examples
from toml_strategies import toml_text


def concrete(path):
    return tuple(0 if seg == -1 else "x" if seg == "*" else seg for seg in path)


@pytest.mark.parametrize("chart", sorted(builtin_ids()))
def test_link_trie_finds_what_the_linear_scan_finds(chart):
    chart_map = load_chart_map(chart)
    queries = set()
    for link in chart_map.links[::5]:  # a sample: the linear scan is what is slow
        for side in ("values", "toml"):
            if getattr(link, side):
                path = parse_key(getattr(link, side))
                queries |= {(side, path), (side, concrete(path)), (side, concrete(path) + ("below", 2)),
                            (side, path[:-1] or path)}
    instances = [None] + [i["instance"] for i in chart_map.instances[:1]]
    for (side, path), instance in itertools.product(sorted(queries, key=str), instances):
        other = "toml" if side == "values" else "values"
        fast = chart_map._translate(format_key(path), side, other, instance)
        slow = chart_map._translate_slowly(path, side, other, instance)
        assert [(t, id(link)) for t, link in fast] == [(t, id(link)) for t, link in slow], (path, instance)


_SHAPE_MAPS = ("helm-apim/all-in-one@4.2.x", "helm-apim/all-in-one@4.6.x", "helm-apim/control-plane@4.6.x")


@st.composite
def link_paths(draw):
    """A chart, a side and a path made from one of its links: wildcards filled with any item index or key (the
    indices links name among them), maybe cut short or continued below."""
    chart_map = load_chart_map(draw(st.sampled_from(_SHAPE_MAPS)))
    side = draw(st.sampled_from(("values", "toml")))
    texts = [getattr(link, side) for link in chart_map.links if getattr(link, side)]
    named = [t for t in texts if any(isinstance(seg, int) and seg >= 0 for seg in parse_key(t))]
    path = list(parse_key(draw(st.sampled_from(draw(st.sampled_from((texts, named or texts)))))))
    for i, seg in enumerate(path):
        if seg == -1 or (isinstance(seg, int) and draw(st.booleans())):
            path[i] = draw(st.integers(0, 3) | st.integers(4, 10_000))
        elif seg == "*":
            path[i] = draw(st.sampled_from(("x", "apim_db", "*")))
    if draw(st.booleans()):
        path = path[:draw(st.integers(1, len(path)))]
    path += draw(st.lists(st.integers(0, 2) | st.sampled_from(("below", "name")), max_size=2))
    return chart_map, side, tuple(path)


@settings(max_examples=600 if LONG else 150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(link_paths(), st.booleans())
def test_links_kept_by_shape_are_those_the_linear_scan_finds(case, first_instance):
    """Each item of a list asks the links its path shape matched first; asked by text or by segments."""
    chart_map, side, path = case
    other = "toml" if side == "values" else "values"
    instance = chart_map.instances[0]["instance"] if first_instance and chart_map.instances else None
    slow = [(t, id(link)) for t, link in chart_map._translate_slowly(path, side, other, instance)]
    assert [(t, id(link)) for t, link in chart_map._translate(path, side, other, instance)] == slow
    assert [(t, id(link)) for t, link in chart_map._translate(format_key(path), side, other, instance)] == slow
    as_paths = chart_map.values_to_toml_paths(path) if side == "values" else chart_map.toml_to_values_paths(path)
    assert [(format_key(p), id(link)) for p, link in as_paths] == [(t, id(link)) for t, link in
                                                                  chart_map._translate_slowly(path, side, other, None)]
    if side == "toml":
        for prefer in [None, *(p for p, _ in as_paths)]:
            by_text = to_values(chart_map, format_key(path), None if prefer is None else format_key(prefer))
            by_path = to_values_path(chart_map, path, prefer)
            assert (by_text and (by_text[0], id(by_text[1]))) == (by_path and (format_key(by_path[0]), id(by_path[1])))


def test_a_copied_map_with_edited_links_is_indexed_afresh():
    import copy
    import dataclasses

    chart_map = load_chart_map("helm-apim/all-in-one@4.5.x")
    assert chart_map.toml_to_values("database.apim_db.url")
    edited = copy.deepcopy(chart_map)
    edited.links = [dataclasses.replace(link, toml="database.nowhere.url") if link.toml == "database.apim_db.url"
                    else link for link in edited.links]
    assert edited.toml_to_values("database.apim_db.url") == []
    assert edited.toml_to_values("database.nowhere.url")


def proof_and_truth(text: str, edit=None) -> tuple[bool, bool, str, str]:
    doc = fv.ValuesDocument(decode(text.encode(), "values.yaml"))
    if edit:
        edit(doc)
    yaml = fv._yaml()
    mapping, sequence, offset = fv.detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    out = io.StringIO()
    yaml.dump(doc.data, out)
    dumped = out.getvalue()
    merged, swaps, blanks = fv.merge_untouched_lines(text, dumped)
    return fv._layout_only(doc.data, dumped, swaps, blanks), fv._same_yaml(merged, dumped), merged, dumped


@pytest.mark.parametrize("text, edit, proved", [
    ("a: 1   \nb: [x,  y]  # c\n\nc:\n  - d  \n", None, True),
    ("a:  'x'\nb: 2\n", None, True),
    ("s: |\n  kept  \n  \n\nb: 1\n", None, False),  # block scalars: trailing spaces are content
    ("l:\n  - a: 1 \n    b: 2\n", None, True),
    ("l:\n  - a: 1\n    b: 2\n", lambda d: d.set(("l", 0, "a"), 3), True),
    ("k: a  b\n", lambda d: d.set(("k",), "a b"), False),  # inner spaces of a scalar are content
    ("k: 'one\n  two'\nj: 1  \n", None, True),  # the two-line string is dumped anew, not kept
    ("k: 'one\n\n  two'\nj: 1  \n", None, False),  # a line break in a string
])
def test_layout_proof_on_hand_made_cases(text, edit, proved):
    got, truth, _, _ = proof_and_truth(text, edit)
    assert got is proved
    assert truth or not got


def test_layout_proof_never_accepts_what_the_full_check_rejects_on_reference_values(reference_dir):
    proved = 0
    for path in sorted((reference_dir / "helm-apim").rglob("values*.yaml"))[::4 if LONG else 16]:
        text = decode(path.read_bytes(), path.name).text
        for variant in (text, text.replace(", ", ",  ").replace("\n", "  \n"), text.replace("- ", "-  ")):
            try:
                got, truth, _, _ = proof_and_truth(variant)
            except Exception:
                continue
            assert truth or not got, path
            proved += got
    assert proved > (10 if LONG else 2)


SCALARS = st.sampled_from(["a", "a b", "a  b", "'q  x'", '"d x"', "1", "1.5", "true", "null", "", "[x,  y]",
                           "{k: v}", "a #c", "x:y", "*", "&an v", "|\n    z  ", ">\n    z", "'two\n    lines'"])
SPACES = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def documents(draw):
    lines = []
    for i in range(draw(st.integers(1, 6))):
        lead = draw(st.sampled_from(["", "- ", "-  "]))
        if lead:
            lines.append(f"l{i}:")
            lines.append(f"  {lead}k: {draw(SCALARS)}{draw(SPACES)}")
            lines.append(f"  {' ' * len(lead)}j: {draw(SCALARS)}")
        else:
            lines.append(f"k{i}:{draw(st.sampled_from([' ', '  ']))}{draw(SCALARS)}{draw(SPACES)}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "  ", "# note  ", "   # indented note"])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_layout_proof_never_accepts_what_the_full_check_rejects(text, data):
    try:
        doc = fv.ValuesDocument(decode(text.encode(), "values.yaml"))
    except Exception:
        return
    keys = list(doc.data.keys())
    key = data.draw(st.sampled_from(keys))
    value = data.draw(st.sampled_from(["a b", "a  b", "a#b", 3, None]))
    got, truth, _, _ = proof_and_truth(text, lambda d: d.set((key,), value))
    assert truth or not got


# ---- rebase reads the user's file with tomllib and the line scan, not a round-trip parse -----------------
def leaf_facts(keys):
    return [(k.path, repr(k.value), type(k.value), k.line, k.comment) for k in keys]


def both_readings(text: str):
    from k8s_migrate.formats.toml import TomlDocument, read_values
    from k8s_migrate.formats.toml_lines import TomlValues

    slow = TomlDocument(decode(text.encode(), "t.toml"), "t.toml")
    fast = read_values(decode(text.encode(), "t.toml"), "t.toml")
    assert isinstance(fast, TomlValues)
    return slow, fast


TRICKY_TOML = '''\
# head
title = "a # not" # real one
"quoted#key" = 1 # q
'lit#key' = 'x#y' # lit
ml = """
line # not a comment
"quoted" ""
""" # after ml
ml2 = \'\'\'
it's # no
\'\'\' #after2
ml3 = """x""" # same line
arr = [
  1, # one
  2, # two
] # after arr
arr2 = [ "a#", 'b#',
  "c" ] # end2
inl = { a = 1, b = "x#" } # inline
dot.ted.key = true # dotted
empty = [] # e
d = 1979-05-27 # date
ldt = 1979-05-27T07:32:00 # local

[server]
hostname = "x"   #   spaced
offset = 0#tight

[[apim.gateway.environment]]
name = "a" # gw a
[apim.gateway.environment.x]
k = 1 # sub
[[apim.gateway.environment]]
name = "b"

[a.b]
c = 1
[z]
q = [{ x = 1 }, { y = 2 }] # inline tables in an array: one value
[a]
d = 2 # late
[[arr_of.items]]
v = [ # open comment
  "x",
]
[[arr_of.items.sub]]
w = 1 # deep
[[arr_of.items]]
v = []
'''


def test_values_reading_gives_the_round_trip_leaves_on_a_tricky_file():
    slow, fast = both_readings(TRICKY_TOML)
    assert leaf_facts(fast.leaves()) == leaf_facts(slow.leaves())
    assert fast.data() == slow.data()
    comments = {k.path: k.comment for k in fast.leaves()}
    assert comments[("ml",)] == "after ml" and comments[("arr",)] == "after arr" and comments[("inl", "a")] is None


@pytest.mark.parametrize("path", sorted(p for p in (Path(__file__).parent / "golden").rglob("input.toml")),
                         ids=lambda p: p.parent.name)
def test_values_reading_gives_the_round_trip_leaves_on_golden_inputs(path):
    text = decode(path.read_bytes(), path.name).text
    slow, fast = both_readings(text)
    assert leaf_facts(fast.leaves()) == leaf_facts(slow.leaves())


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_text())
@example("[[server]]\n'a b' = '{#'\nserver = \"\" # a comment\n")  # a bracket and a '#' inside a literal string
def test_values_reading_gives_the_round_trip_leaves(text):
    slow, fast = both_readings(text)
    assert leaf_facts(fast.leaves()) == leaf_facts(slow.leaves())
    assert fast.data() == slow.data()


def test_a_datetime_with_an_offset_keeps_the_round_trip_reading():
    from k8s_migrate.formats.toml import TomlDocument, read_values

    assert isinstance(read_values(decode(b"a = 1979-05-27T07:32:00+05:30\n", "t"), "t"), TomlDocument)


def test_rebase_does_not_parse_the_users_file_with_tomlkit(monkeypatch):
    import tomlkit

    from k8s_migrate.migrate.toml import Options, migrate_toml

    text = '[server]\nhostname = "parsed-once.example.com"\n'
    parsed = []
    real = tomlkit.parse
    monkeypatch.setattr(tomlkit, "parse", lambda s: (parsed.append(s), real(s))[1])
    out = migrate_toml(text.encode(), "deployment.toml", Options("4.2.0", "4.6.0")).output
    assert "parsed-once.example.com" in out and not any("parsed-once" in s for s in parsed)


# ---- the rules find their keys through an index of the live tracks ------------------------------------------
@st.composite
def track_paths(draw):
    seg = st.sampled_from(["a", "b", "c", "*x"]) | st.integers(0, 2)
    first = st.sampled_from(["a", "b", "c"])
    return draw(st.lists(st.tuples(first, st.lists(seg, max_size=3)).map(lambda t: (t[0], *t[1])),
                         min_size=1, max_size=30))


@settings(max_examples=examples(400), deadline=None)
@given(track_paths(), st.data())
def test_index_matching_is_the_linear_scan(paths, data):
    from k8s_migrate.hub import ANY_ITEM, ANY_KEY, HubKey, matches
    from k8s_migrate.rules.apply import HubState, Track

    state = HubState.from_keys(HubKey(p, i) for i, p in enumerate(paths))
    pattern_seg = st.sampled_from(["a", "b", "c", ANY_KEY, ANY_ITEM]) | st.integers(0, 2)
    for _ in range(data.draw(st.integers(1, 12))):
        step = data.draw(st.sampled_from(["query", "move", "remove", "add"]))
        if step == "query":
            pattern = tuple(data.draw(st.lists(pattern_seg, min_size=1, max_size=4)))
            prefix = data.draw(st.booleans())
            linear = [t for t in state.tracks if t.live and matches(pattern, t.path, prefix=prefix)]
            assert [id(t) for t in state.matching(pattern, prefix)] == [id(t) for t in linear]
        elif step == "add":
            state.add(Track(None, data.draw(st.sampled_from(paths)), 0))
        else:
            live = [t for t in state.tracks if t.live]
            if live:
                track = data.draw(st.sampled_from(live))
                if step == "remove":
                    state.remove(track)
                else:
                    state.move(track, data.draw(st.sampled_from(paths)))


def test_a_rule_looks_at_the_tracks_it_can_match_not_the_whole_file(monkeypatch):
    from k8s_migrate.hub import HubKey
    from k8s_migrate.rules import apply

    keys = [HubKey(("system", "parameter", f"p{i}"), i) for i in range(5000)] + [HubKey(("server", "offset"), 1)]
    state = apply.HubState.from_keys(keys)
    compared = []
    real = apply.matches
    monkeypatch.setattr(apply, "matches", lambda *a, **k: (compared.append(1), real(*a, **k))[1])
    assert state.present(("server", "offset")) and not state.present(("server", "hostname"))
    assert len(state.matching(("server", "*"))) == 1
    assert len(compared) < 10, len(compared)


@pytest.mark.parametrize("chart", sorted(builtin_ids()))
def test_a_builtin_charts_source_is_its_maps(chart):
    chart_map = load_chart_map(chart)
    short = chart.split("/", 1)[-1].removesuffix(".x")
    assert builtin_source(chart) == (chart_map.id, chart_map.source)
    assert builtin_source(short) in (None, (chart_map.id, chart_map.source))


def test_an_item_the_rebase_made_cheap_survives_tomlkit_copying_it():
    """tomlkit copies the items of an array of tables split by another table when it validates it (the
    proof-property search found this): the cheap string must copy as a String with a trivia of its own."""
    import copy

    from k8s_migrate.formats.toml import _PLAIN_TRIVIA, _PlainString
    from k8s_migrate.migrate.toml import Options, migrate_toml

    cheap = _PlainString("Regular")
    for twin in (copy.copy(cheap), copy.deepcopy(cheap)):
        assert twin == "Regular" and twin.as_string() == '"Regular"' and twin._trivia is not _PLAIN_TRIVIA
    text = '[[apim.gateway.environment]]\nname = "Production and Sandbox"\n[service_provider]\n[[apim.gateway.environment]]\n'
    output = migrate_toml(text.encode(), "d.toml", Options("3.0.0", "4.3.0", mode="edit")).output
    assert 'gateway_type = "Regular"' in output


# ---- the comment anchors come from the line scan that numbers the keys ------------------------------------------
def anchors_from_the_line_map(text):
    """The first key or table header below each comment block, looked up in the inverted line map (as
    formats.comments did)."""
    from k8s_migrate.formats.toml_lines import forget_scans, line_numbers, scan

    forget_scans()
    inverse = {number: path for path, number in line_numbers(text).items()}
    found, below_comment = {}, False
    for line in scan(text):
        stripped = line.text.strip()
        if line.kind == "value" or (not stripped and not below_comment):
            continue
        if stripped.startswith("#") or not stripped:
            below_comment = True
            continue
        if below_comment and line.number in inverse:
            found[line.number] = inverse[line.number]
        below_comment = False
    forget_scans()
    return found


COMMENTED_TOML = TRICKY_TOML + '''
# above a table
[b]
# above a key

x = 1 # trailing
# two lines
# above an item
[[arr_of.items]]
v = 2
# above a key that is written twice in the map's eyes
[b.c]
y = 1
# the end
'''


@pytest.mark.parametrize("text", [COMMENTED_TOML] + [
    p.read_text() for p in sorted((Path(__file__).parent / "golden").rglob("input.toml"))])
def test_comment_anchors_are_the_line_maps(text):
    from k8s_migrate.formats.toml_lines import forget_scans, scan_facts

    assert scan_facts(text).anchors == anchors_from_the_line_map(text)
    forget_scans()


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_text())
def test_comment_anchors_are_the_line_maps_on_any_toml(text):
    from k8s_migrate.formats.toml_lines import forget_scans, scan_facts

    assert scan_facts(text).anchors == anchors_from_the_line_map(text)
    forget_scans()


def test_the_rebase_lets_the_input_line_map_go_and_finds_lines_again():
    from k8s_migrate.formats import toml_lines
    from k8s_migrate.formats.toml import read_values

    text = "# head\n[server]\n# above\nhostname = 'a'\noffset = 1\n"
    keys = read_values(decode(text.encode(), "t"), "t").leaves()
    assert [k.line for k in keys] == [4, 5] and text not in toml_lines._LINES
    assert toml_lines.line_numbers(text)[("server", "offset")] == 5
    toml_lines.forget_scans()


@settings(max_examples=examples(200), deadline=None)
@given(track_paths(), st.data())
def test_a_settled_state_finds_what_the_index_finds(paths, data):
    from k8s_migrate.hub import ANY_ITEM, ANY_KEY, HubKey
    from k8s_migrate.rules.apply import HubState

    indexed = HubState.from_keys(HubKey(p, i) for i, p in enumerate(paths))
    settled = HubState.from_keys(HubKey(p, i) for i, p in enumerate(paths))
    indexed.matching(("a",))
    settled.settle()
    pattern_seg = st.sampled_from(["a", "b", "c", ANY_KEY, ANY_ITEM]) | st.integers(0, 2)
    for _ in range(5):
        pattern = tuple(data.draw(st.lists(pattern_seg, min_size=1, max_size=4)))
        prefix = data.draw(st.booleans())
        assert [t.origin.value for t in settled.matching(pattern, prefix)] == \
            [t.origin.value for t in indexed.matching(pattern, prefix)]


# ---- the rebase's tidy copies runs of the text instead of a list of its lines --------------------------------------
def tidy_by_lines(text):
    """tidy as it was: line by line."""
    out = []
    for line in text.split("\n"):
        if line.startswith("[") and out and out[-1].strip() and not out[-1].lstrip().startswith("#"):
            out.append("")
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return "\n".join(out)


@settings(max_examples=examples(600), deadline=None)
@given(st.lists(st.sampled_from(["", " ", "\t", "\u00a0", "\x1c", "[a]", "[[b]]", " [c]", "x = 1", "# c", "  # d",
                                 "y = [", "]", "\r"]), max_size=14).map("\n".join))
@example("")
@example("\n")
@example("x = 1\n[a]\n\n\n[b]\n")
def test_tidy_is_the_line_by_line_tidy(text):
    from k8s_migrate.migrate.toml import tidy

    assert tidy(text) == tidy_by_lines(text)


def test_tidy_on_golden_outputs():
    from k8s_migrate.migrate.toml import tidy

    outputs = sorted((Path(__file__).parent / "golden").rglob("*.toml"))
    assert outputs
    for path in outputs:
        text = path.read_text()
        for variant in (text, text.replace("\n", "\n\n"), text.replace("\n[", "\n  \n\n[")):
            assert tidy(variant) == tidy_by_lines(variant), path


# ---- item translation is made once per item, then its keys' tails are appended ---------------------------------------
@settings(max_examples=examples(300), deadline=None)
@given(st.data())
def test_item_translation_per_item_is_the_whole_paths(data):
    from k8s_migrate.carryover import ItemMatcher

    item = st.fixed_dictionaries({"name": st.sampled_from(["a", "b", "c"]), "v": st.integers(0, 2)},
                                 optional={"sub": st.lists(st.fixed_dictionaries({"w": st.integers(0, 1)}),
                                                           max_size=2)})
    left = {"t": {"env": data.draw(st.lists(item, max_size=4))}}
    right = {"t": {"env": data.draw(st.lists(item, max_size=4))}, "u": {"env": data.draw(st.lists(item, max_size=3))}}
    matcher = ItemMatcher(left, right)
    segment = st.sampled_from(["t", "u", "env", "name", "v", "sub", "w"]) | st.integers(0, 4)
    for _ in range(12):
        path = tuple(data.draw(st.lists(segment, min_size=1, max_size=6)))
        shape = data.draw(st.none() | st.lists(segment, min_size=1, max_size=6).map(tuple))
        whole = ItemMatcher(left, right)._translate(path, path if shape is None else shape)
        assert matcher.translate(path, shape) == whole, (path, shape)


@pytest.mark.parametrize("with_stock", [True, False])
def test_the_did_you_mean_index_by_last_segment_is_every_known_key_text_by_its_parsed_last_segment(with_stock):
    from k8s_migrate.catalog import KnownKeys, known_versions
    from k8s_migrate.data import load_json

    for version in known_versions():
        known = KnownKeys.from_catalog_data(load_json(f"catalog/{version}.json"), with_stock)
        slow: dict[str, list[str]] = {}
        for text in known.key_texts:
            last = parse_key(text)[-1]
            if isinstance(last, str):
                slow.setdefault(last, []).append(text)
        assert known._texts_by_last_segment == {last: tuple(texts) for last, texts in slow.items()}, version



# ---- a deployment.toml whose tables are split over the file ----------------------------------------------------------
_SEGMENTS = ["a", "b", "c"]


@st.composite
def split_toml(draw) -> str:
    """Sections of a few table paths, reopened in any order (valid TOML only): ``[a.b]``, ``[c]``, ``[a.c]``,
    arrays of tables (``[[a.b.c]]``) among them, keys plain and dotted, comments and blank lines."""
    import tomllib

    lines: list[str] = []
    defined: set[str] = set()
    for j in range(draw(st.integers(1, 9))):
        path = ".".join(draw(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=3)))
        items = draw(st.booleans()) and draw(st.booleans())
        if not items and path in defined:
            continue
        defined.add(path)
        lines.append(f"[[{path}]]" if items else f"[{path}]")
        for k in range(draw(st.integers(0, 2))):
            value = draw(st.sampled_from(["1", "true", '"s"', "[1, 2]"]))
            lines.append(f"k{j}{k} = {value}" + draw(st.sampled_from(["", "  # note"])))
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(f"d{j}.e = 1")
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["# comment", ""])))
    text = "\n".join(lines) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assume(False)
    return text


def tomlkit_shape(node):
    """Everything of a parsed document that tomlkit reads: bodies, key maps (a split table's places), table keys."""
    from tomlkit.container import Container
    from tomlkit.items import AoT, Table

    if isinstance(node, Container):
        return ("container", [(k and k.key, tomlkit_shape(v)) for k, v in node._body],
                sorted((k.key, v) for k, v in node._map.items()), sorted(k.key for k in node._out_of_order_keys),
                [k.key for k in node._table_keys], list(dict.keys(node)))
    if isinstance(node, Table):
        return ("table", node.is_super_table(), node.is_aot_element(), node.name, node.display_name,
                repr(node.trivia), tomlkit_shape(node.value), list(dict.keys(node)))
    if isinstance(node, AoT):
        return ("array of tables", [tomlkit_shape(t) for t in node.body])
    return (type(node).__name__, node.as_string())


def split_views(container, make_view):
    """The places of each table split over the file (at any depth) and the shape of the merged view make_view makes of it (the
    error, when it fails: tomlkit fails on an array of tables reopened after another table, parse_toml regroups)."""
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import AoT, Table

    for index in list(container._map.values()):
        if isinstance(index, tuple):
            try:
                view = make_view(container, index)
            except TOMLKitError as exc:
                yield index, repr(exc)
                continue
            yield index, view_shape(view)
            yield from split_views(view._internal_container, make_view)
        else:
            item = container._body[index][1]
            for table in item.body if isinstance(item, AoT) else [item] if isinstance(item, Table) else []:
                yield from split_views(table.value, make_view)


def view_shape(view):
    return (tomlkit_shape(view._internal_container), [id(t) for t in view._tables],
            sorted(((k and k.key) or "", v) for k, v in view._tables_map.items()),
            [(k, tomlkit_shape(v) if hasattr(v, "as_string") else repr(v)) for k, v in dict.items(view)])


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(split_toml())
@example("[a.b]\nk = 1\n[c]\n[a.c]\nk = 2\n[c.a]\n[a.b.c]\n")
@example("[[a.b]]\nk = 1\n[c]\n[[a.b]]\nk = 2\n[a.c]\n[b]\n[[a.b]]\nk = 3\n")
@example("[[a.a]]\n[a]\n[b]\n[a.a.a]\n[[a.a]]\n")
def test_a_split_file_parses_to_tomlkits_document_and_its_views_are_tomlkits(text):
    import tomllib

    import tomlkit
    import tomlkit.container
    from tomlkit.exceptions import TOMLKitError

    from k8s_migrate.formats import toml as ft

    original = ft.OutOfOrderTableProxy
    assert tomlkit.container.OutOfOrderTableProxy is ft._SplitTable  # installed: this tomlkit is the one it copies
    tomlkit.container.OutOfOrderTableProxy = original
    try:
        try:
            want = tomlkit.parse(text)
        except TOMLKitError as refused:  # tomlkit's validation refuses some valid files ([b.a.a], [b.a], [a], [b.a.b])
            try:
                got = ft.parse_reopened_linearly(text)
            except TOMLKitError as also:  # one its parse cannot hold either ([[a.a]], [a], [b], [a.a.a], [[a.a]])
                assert str(also) == str(refused)
                return
            assert got.as_string() == text and got.unwrap() == tomllib.loads(text)  # read now
            return
        views = list(split_views(want, original))
        plain = want.unwrap() if all(isinstance(shape, tuple) for _, shape in views) else None
    finally:
        tomlkit.container.OutOfOrderTableProxy = ft._SplitTable
    got = ft.parse_reopened_linearly(text)
    assert tomlkit_shape(got) == tomlkit_shape(want)
    assert got.as_string() == want.as_string()
    assert plain is None or got.unwrap() == plain
    assert list(split_views(want, ft._SplitTable)) == views


def edit_the_slow_way(monkeypatch):
    """TomlDocument as it was before split tables were made linear: tomlkit's parse, and its merged view of a split
    table made afresh on every lookup."""
    import tomlkit
    import tomlkit.container

    from k8s_migrate.formats import toml as ft

    monkeypatch.setattr(tomlkit.container, "OutOfOrderTableProxy", ft.OutOfOrderTableProxy)
    monkeypatch.setattr(ft, "parse_reopened_linearly", tomlkit.parse)
    monkeypatch.setattr(ft, "_split_view", lambda body, name, places: body.item(name))


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(split_toml(), st.data())
@example("[a.b]\nk = 1\n[c]\n[a.c]\nk = 2\n", None)
def test_editing_a_split_file_writes_what_the_slow_way_writes(text, data):
    from k8s_migrate.errors import UsageError
    from k8s_migrate.formats.toml import TomlDocument

    segment = st.sampled_from([*_SEGMENTS, "k00", "k10", "new"]) | st.integers(0, 2)
    edits = [] if data is None else data.draw(st.lists(st.tuples(
        st.sampled_from(["set", "set", "delete", "rename", "append"]),
        st.lists(segment, min_size=1, max_size=4).map(tuple), st.lists(segment, min_size=1, max_size=4).map(tuple),
        st.sampled_from([1, "v", True, [1, 2], {"x": 1}])), max_size=8))

    def run() -> list:
        try:
            doc = TomlDocument(decode(text.encode(), "deployment.toml"))
        except UsageError:  # tomlkit's validation refuses some valid files (see above): the slow way cannot edit them
            return ["unreadable"]
        seen = [[(h.path, h.value, h.line) for h in doc.leaves()]]
        for op, path, other, value in edits:
            try:
                if op == "set" and isinstance(path[-1], str):
                    doc.set(path, value)
                elif op == "delete":
                    doc.delete(path)
                elif op == "rename" and isinstance(path[-1], str) and isinstance(other[-1], str):
                    doc.rename(path, other)
                elif op == "append":
                    seen.append(doc.append_item(path, {"x": value}))
            except Exception as exc:  # the same failure, the same way
                seen.append((type(exc).__name__, str(exc)))
            try:
                seen.append(repr(doc.get(other)))
            except Exception as exc:
                seen.append((type(exc).__name__, str(exc)))
        seen.append(doc.dumps())
        return seen

    fast = run()
    with pytest.MonkeyPatch.context() as monkeypatch:
        edit_the_slow_way(monkeypatch)
        slow = run()
    assert fast == slow or (slow == ["unreadable"] and fast != slow)


@pytest.mark.parametrize("with_stock", [True, False])
def test_the_did_you_mean_indexes_by_shape_find_what_the_scans_over_all_patterns_find(with_stock):
    """The sibling index of the wildcard patterns and the free-form index by first segment: the same answers as the
    scans over every pattern they replace, for every table of every catalog (as written, with items and a renamed
    segment), and the same suggestions."""
    from k8s_migrate.catalog import KnownKeys, known_versions
    from k8s_migrate.data import load_json
    from k8s_migrate.hub import ANY_ITEM, ANY_KEY, matches, strip_indices

    for version in known_versions():
        known = KnownKeys.from_catalog_data(load_json(f"catalog/{version}.json"), with_stock)
        wildcard_parents = [(c[:-1], c[-1]) for c in known.patterns if isinstance(c[-1], str) and c[-1] != ANY_KEY
                            and (ANY_KEY in c[:-1] or ANY_ITEM in c[:-1])]
        tables = {strip_indices(concrete(p[:i])) for p in (*known._parsed_exact, *known.patterns)
                  for i in range(1, len(p))}
        tables |= {p[:i] for p in known.patterns for i in range(1, len(p))}
        tables |= {t[:-1] + ("renamed",) for t in list(tables)} | {("renamed",) + t[1:] for t in list(tables)}
        for table in sorted(tables, key=str):
            slow = {last for pattern, last in wildcard_parents
                    if len(pattern) == len(table) and matches(pattern, table)}
            fast = {last for pattern, last in known._wildcard_parents_of(table) if matches(pattern, table)}
            assert fast == slow, (version, table)
            assert known._under_free_form(table) == any(matches(f, table, prefix=True) for f in known.free_form), \
                (version, table)
        for text in known.key_texts[::7]:
            path = concrete(parse_key(text))
            for query in (path, path[:-1] + (path[-1] + "x",) if isinstance(path[-1], str) else path):
                assert known.suggest(query) == slow_suggest(known, query, wildcard_parents), (version, query)


def test_close_match_answers_as_difflib():
    """close_match shares its bounded candidates between words alike in length and in the characters the
    candidates use: its answer is still difflib.get_close_matches's, for typos, odd characters and words that
    differ only outside the candidates' characters."""
    import difflib
    import random

    from k8s_migrate.catalog import close_match, load_catalog

    keys = list(load_catalog("4.6.0").known.key_texts)
    rng = random.Random(7)
    cases = [("x", []), ("", [""]), ("", ["a"]), ("ab", [""]), ("a]^-\\b", ["a]^-\\c", "ab"])]
    for _ in range(800):
        word = list(rng.choice(keys))
        for _ in range(rng.randint(0, 4)):
            word[rng.randrange(len(word))] = rng.choice("abxz_.0123]^-\\ é\n")
        cases.append(("".join(word), rng.sample(keys, 30) + rng.choice([[], [""], ["a]^-\\b"], ["é\n"]])))
    siblings = [f"custom_limit_{i:06d}_window" for i in range(50)] + ["custom_limit_window", "limit_window"]
    cases += [(f"custom_limit_{i:06d}_window", siblings[:10]) for i in range(40, 60)]
    for word, candidates in cases:
        for cutoff in (0.6, 0.8):
            expected = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
            assert close_match(word, set(candidates), cutoff) == (expected[0] if expected else None), (word, cutoff)


def slow_suggest(known, path, wildcard_parents):
    """KnownKeys.suggest as it was written before its indexes by shape."""
    from k8s_migrate.catalog import close_match
    from k8s_migrate.hub import matches, strip_indices

    if known.is_known(path) or not isinstance(path[-1], str):
        return None
    parent = strip_indices(path[:-1])
    siblings = known._last_segments_under.get(parent, set()) | {
        last for pattern, last in wildcard_parents if len(pattern) == len(parent) and matches(pattern, parent)}
    close = close_match(path[-1], siblings, 0.6)
    if close is not None:
        return format_key(path[:-1] + (close,))
    nearby = {*known._texts_by_last_segment.get(path[-1], ()), *(format_key(parent + (s,)) for s in siblings)}
    return close_match(format_key(strip_indices(path)), nearby, 0.8)


def test_guard_verdicts_judge_as_guard_holds_through_switches(reference_dir):
    """Each guard judged once per values tree answers as guard_holds does, also after a switch is set through it."""
    from ruamel.yaml import YAML

    from k8s_migrate.charts.effective import GuardVerdicts, guard_holds, overlay, simple_guard

    for chart, folder in (("helm-apim/all-in-one@4.2.x", "4.2.x"), ("helm-apim/all-in-one@4.6.x", "4.6.x")):
        chart_map = load_chart_map(chart)
        user = YAML(typ="safe").load((reference_dir / "helm-apim" / folder / "all-in-one" / "values.yaml").read_text())
        values = overlay(chart_map.defaults_tree(), user)
        guards = sorted({link.guard for link in chart_map.links if link.guard}
                        | {c.get("guard") for c in chart_map.constants if c.get("guard")})
        switches = [s for s in map(simple_guard, guards) if s is not None]
        judge = GuardVerdicts(values)
        changed = 0
        for path, wanted in [(None, None), *switches[::3], *((p, not w) for p, w in switches[::5])]:
            before = {g: judge(g) for g in guards}
            if path is not None:
                judge.set(path, wanted)
            truth = {g: guard_holds(g, values) for g in guards}
            assert {g: judge(g) for g in guards} == truth, (chart, path)
            changed += before != truth
        assert changed, "some switch changes some verdict"


def _model_as_it_was(chart_map, instance, values):
    """render_model before it carried paths (each key's values found from the root, texts parsed back)."""
    import re

    from k8s_migrate.charts.chartmap import apply_pattern
    from k8s_migrate.charts.deployment_rules import ABSENT, lookup
    from k8s_migrate.charts.effective import guard_holds
    from k8s_migrate.migrate import default_changes as dc

    def expand(pattern, toml, prefix=(), item=None):
        for i, seg in enumerate(pattern):
            if seg in ("[]", -1, "*"):
                node = lookup(values, (*prefix, *pattern[:i]))
                if not isinstance(node, list) or seg == "*":
                    return
                at = toml.index(seg) if seg in toml else None
                for n, child in enumerate(node):
                    new_toml = (*toml[:at], n, *toml[at + 1:]) if at is not None else toml
                    yield from expand(pattern[i + 1:], new_toml, (*prefix, *pattern[:i], n), child)
                return
        yield (*prefix, *pattern), toml, item

    def link_keys(link):
        values_pattern, toml_pattern = parse_key(link.values), parse_key(link.toml)
        if link.kind == "subtree":
            table = lookup(values, values_pattern[:-1]) if values_pattern[-1:] == ("*",) == toml_pattern[-1:] else None
            for name, value in table.items() if isinstance(table, dict) else ():
                if value is not None and not isinstance(value, (dict, list)):
                    yield (format_key((*toml_pattern[:-1], str(name))), apply_pattern(None, value, link.filter),
                           format_key((*values_pattern[:-1], str(name))))
            return
        whole = bool(values_pattern) and values_pattern[-1] in ("[]", -1) and toml_pattern[-1:] == values_pattern[-1:]
        if whole:
            values_pattern, toml_pattern = values_pattern[:-1], toml_pattern[:-1]
        for values_path, toml_path, item in expand(values_pattern, toml_pattern):
            value = lookup(values, values_path)
            if any(seg in ("[]", -1) for seg in toml_path) or value is ABSENT or value is None:
                continue
            if whole and isinstance(value, list) and link.pattern:
                items = [dc._fill(link, v, v, values) for v in value]
                rendered = dc.WIRED if any(i is dc.WIRED for i in items) else items
            else:
                rendered = dc._fill(link, value, item, values)
            yield format_key(toml_path), rendered, format_key(values_path)

    out = {}

    def offer(key, found):
        here = out.get(key)
        if here is None or (found.certain and not here.certain):
            out[key] = found

    ranged = []
    for const in chart_map.constants:
        verdict = guard_holds(const.get("guard"), values) if const.get("instance") in (None, instance) else False
        if verdict is not False and "[]" in const["toml"]:
            ranged.append(const)
        elif verdict is not False:
            offer(const["toml"], dc.Rendered(const["value"], None, const.get("line"), None, verdict is True))
    for link in chart_map.links:
        if link.instance not in (None, instance) or link.kind not in dc._RENDERED_LINKS or not link.toml:
            continue
        verdict = guard_holds(link.guard, values)
        if verdict is not False:
            for key, value, values_path in link_keys(link):
                offer(key, dc.Rendered(value, values_path, link.line, link, verdict is True or not link.guard))
    for const in ranged:
        head, _, tail = const["toml"].partition("[]")
        item = re.compile(re.escape(head) + r"\[(\d+)\]")
        for n in sorted({int(m.group(1)) for m in map(item.match, out) if m}):
            offer(f"{head}[{n}]{tail}", dc.Rendered(const["value"], None, const.get("line"), None, False))
    return out


def _migrated_as_it_was(rendered, from_version, to_version):
    from k8s_migrate.hub import HubKey
    from k8s_migrate.migrate import default_changes as dc
    from k8s_migrate.rules.apply import run
    from k8s_migrate.rules.load import rule_chain

    state = run([HubKey(parse_key(k), r.value, None, origin=k) for k, r in rendered.items()],
                rule_chain(from_version, to_version))
    out = {}
    for track in state.tracks:
        if track.live and track.origin is not None:
            old = rendered[format_key(track.origin.path)]
            out[format_key(track.path)] = dc.Rendered(track.value, old.values_path, old.line, old.link, old.certain)
    return out


def _seen(model):
    return {k: (repr(r.value), r.values_path, r.line, id(r.link), r.certain) for k, r in model.items()}


_MODEL_CHARTS = (("helm-apim/all-in-one@4.2.x", "4.2.x", "4.2.0"), ("helm-apim/all-in-one@4.6.x", "4.6.x", "4.6.0"))


@st.composite
def grown_values(draw):
    """A reference values file with some leaves unset or changed and its gateway environments repeated."""
    from ruamel.yaml import YAML

    from k8s_migrate.hub import flatten, nest

    folder = draw(st.sampled_from([f for _, f, _ in _MODEL_CHARTS]))
    text = (Path(__file__).parent.parent.parent / "shared" / "reference" / "helm-apim" / folder / "all-in-one"
            / "values.yaml").read_text()
    flat = flatten(YAML(typ="safe").load(text))
    for key in draw(st.lists(st.sampled_from(sorted(flat, key=str)), max_size=12)):
        flat[key] = draw(st.none() | st.booleans() | st.integers(-2, 9000) | st.sampled_from(("", "x", "mysql")))
    values = nest(flat.items())
    gateway = (((values.get("wso2") or {}).get("apim") or {}).get("configurations") or {}).get("gateway")
    if isinstance(gateway, dict) and isinstance(gateway.get("environments"), list) and gateway["environments"]:
        gateway["environments"] = gateway["environments"] * draw(st.integers(0, 4))
    return values


@settings(max_examples=60 if LONG else 12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grown_values())
def test_render_model_and_its_migration_are_as_they_were(user):
    """The render model carries its keys' paths and walks each list item once: the same model, and the same
    model through the rule packs, as when each key's value was looked up from the root and its text parsed back."""
    from k8s_migrate.charts.effective import overlay
    from k8s_migrate.migrate import default_changes as dc

    models = []
    for chart, _, version in _MODEL_CHARTS:
        chart_map = load_chart_map(chart)
        values = overlay(chart_map.defaults_tree(), user)
        for instance in [i["instance"] for i in chart_map.instances]:
            new, old = dc.render_model(chart_map, instance, values), _model_as_it_was(chart_map, instance, values)
            assert _seen(new) == _seen(old), (chart, instance)
            models.append((new, old, version))
    for new, old, version in models:
        assert _seen(dc.migrated(new, version, "4.6.0")) == _seen(_migrated_as_it_was(old, version, "4.6.0"))


def _guard_by_the_engine(guard, values):
    """guard_holds as it was: every guard through the template engine."""
    from k8s_migrate.charts.effective import guard_template
    from k8s_migrate.charts.gotemplate import strip_no_value

    if not guard or values is None or "$" in guard:
        return None
    try:
        templates, nodes = guard_template(guard)
        return strip_no_value(templates.execute(nodes, "<string>", {"Values": values})) == "1"
    except Exception:
        return None


_NAMES = st.sampled_from(("a", "b", "enabled", "_x", "A1"))
_SCALARS = (st.none() | st.booleans() | st.integers(-1, 1) | st.sampled_from((0.0, 1.5, "", "x", "false"))
            | st.dates() | st.tuples())


def _field_guards():
    chain = st.lists(_NAMES, min_size=1, max_size=4).map(lambda names: ".Values." + ".".join(names))
    space = st.sampled_from(("", " ", "  ", "\t", "\n", "\u00a0"))
    forms = st.sampled_from(("{f}", "not {f}", "not ({f})", "not( {f} )", "not({f})", "not {f})", "{f})",
                             "(not {f})", "and {f} {f}", "{f}.", "not  (  {f}  )"))
    return st.builds(lambda form, f, s1, s2: s1 + form.format(f=f) + s2, forms, chain, space, space)


@settings(max_examples=1500 if LONG else 300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_field_guards(), st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=2)
                                     | st.dictionaries(_NAMES, inner, max_size=4), max_leaves=12))
@example(".Values.a.b", {"a": None})
@example(".Values.a.b", {"a": [1]})
@example("not (.Values.a)", {})
def test_plain_field_guards_are_judged_as_the_engine_judges_them(guard, values):
    """A guard that only reads one field chain is told without the template engine, with the engine's answer
    (nil on the way: None; a value that is not plain data: the engine decides)."""
    from k8s_migrate.charts.effective import guard_holds

    values = {"a": values} if not isinstance(values, dict) else values
    assert guard_holds(guard, values) == _guard_by_the_engine(guard, values), (guard, values)


def test_the_charts_guards_are_judged_as_the_engine_judges_them(reference_dir):
    from ruamel.yaml import YAML

    from k8s_migrate.charts.effective import guard_holds, overlay

    for chart in sorted(builtin_ids())[::3]:
        chart_map = load_chart_map(chart)
        guards = sorted({link.guard for link in chart_map.links if link.guard}
                        | {c.get("guard") for c in chart_map.constants if c.get("guard")})
        for user in ({}, YAML(typ="safe").load((reference_dir / "helm-apim" / "4.6.x" / "all-in-one" /
                                                "values.yaml").read_text())):
            values = overlay(chart_map.defaults_tree(), user)
            assert [guard_holds(g, values) for g in guards] == [_guard_by_the_engine(g, values) for g in guards]


@settings(max_examples=300 if LONG else 80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("kept", "changed", "defaulted", "review")), st.sampled_from(("a", "b", None)),
                          st.none() | st.integers(0, 2) | st.sampled_from(("1", "x"))), max_size=8),
       st.sampled_from(("a", "b", "c")), st.none() | st.integers(0, 2) | st.sampled_from(("1", "x")))
def test_new_values_spoken_for_as_by_the_scan(entries, key, new):
    """A default change is left out when an entry already names its key's new value: the entries indexed once by
    key answer as the scan over them all did."""
    from k8s_migrate.charts.deployment_rules import ABSENT
    from k8s_migrate.migrate import default_changes as dc
    from k8s_migrate.report import Entry, Report

    report = Report("v.yaml", "4.2.0", "4.6.0")
    report.extend(Entry(action, None, new_key, None, value) for action, new_key, value in entries)
    for wanted in (new, ABSENT):
        scanned = any(e.new_key == key and e.action != "kept" and dc._same(e.new_value, wanted) for e in report.entries)
        assert scanned == any(dc._same(said, wanted) for said in dc._new_values_spoken(report, {key}).get(key, ()))


# ---- a rebase's new tables kept as text (formats.toml.TextTables) -----------------------------------------------
TEXT_TABLE_BASES = ["[server]\nhostname = 'h'\n", "[apim]\nx = 1\n\n[apim.cors]\nallow = true\n# end\n",
                    "top = 1\n[transport.https]\nport = 1\n[[apim.gateway.environment]]\nname = 'a'\n",
                    "  [ind]\n  a = 1\n", "[a]\n[a.b]\nk = 1\n\n", "# only a comment\n"]
TEXT_TABLE_PARENTS = [(), ("apim",), ("transport",), ("a",), ("a", "b"), ("ind",), ("server",), ("fresh",),
                      ("apim", "gateway", "environment", 0), ("apim", "cors")]
TEXT_TABLE_VALUES = [1, "v", "q\"uote\n", True, 2.5, ["x", 1], [], {"in": 1}, [{"i": 1}], "$env{X}"]


@st.composite
def text_table_operations(draw):
    names = st.sampled_from(["s0", "s1", "s2", "k", "x", "a b", "hostname", "port"])
    ops = []
    for _ in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(["set"] * 6 + ["get", "delete", "item", "above"]))
        parent = draw(st.sampled_from(TEXT_TABLE_PARENTS))
        table = parent + (draw(names),) if draw(st.integers(0, 4)) else parent
        path = table + (draw(names),)
        ops.append((kind, path, draw(st.sampled_from(TEXT_TABLE_VALUES)),
                    draw(st.sampled_from([None, None, "a note", "# hash"]))))
    return ops


def text_tables_outcome(base, ops, as_text):
    from k8s_migrate.formats.toml import TextTablesMissed, TomlDocument, unwrap

    doc = TomlDocument(decode(base.encode(), "t.toml"), "t.toml")
    if as_text:
        doc.write_new_tables_as_text()
    seen = []
    try:
        for kind, path, value, comment in ops:
            if kind == "set":
                doc.set(path, value, comment)
            elif kind == "above":
                doc.set(path, value, comment, above=["# over"])
            elif kind == "get":
                seen.append(unwrap(doc.get(path)))
            elif kind == "delete":
                doc.delete(path)
            else:
                doc.append_item(path[:-1], {"name": value})
        return doc.dumps(), seen
    except TextTablesMissed:
        assert as_text
        return "missed"
    except Exception as exc:  # noqa: BLE001  the same failure either way
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXT_TABLE_BASES), text_table_operations())
@example("[server]\nx = 1\n", [("set", ("t", "s0", "k"), 1, None), ("set", ("t", "s1", "k"), "v", "c"),
                               ("set", ("t", "s1", "n"), [1, 2], None), ("get", ("t", "s1", "n"), None, None)])
def test_new_tables_kept_as_text_are_written_as_tomlkit_writes_them(base, ops):
    general = text_tables_outcome(base, ops, as_text=False)
    as_text = text_tables_outcome(base, ops, as_text=True)
    assert as_text in ("missed", general)


def test_a_run_of_new_tables_is_kept_as_text_and_what_it_does_not_cover_is_missed():
    from k8s_migrate.formats.toml import TextTablesMissed, TomlDocument

    doc = TomlDocument(decode(b"[apim]\nx = 1\n", "t"), "t")
    doc.write_new_tables_as_text()
    for i in range(5):
        doc.set(("apim", f"s{i}", "k"), i)
        doc.set(("transport", f"s{i}", "k"), i)
    # transport.s0 makes its parent too, so it starts no run: the seven after the first of each run are text
    assert doc.text_tables is not None and len(doc.text_tables.keys) == 7 and doc.get(("apim", "s3", "k")) == 3
    assert doc.dumps() == text_tables_outcome("[apim]\nx = 1\n", [
        ("set", (t, f"s{i}", "k"), i, None) for i in range(5) for t in ("apim", "transport")], False)[0]
    with pytest.raises(TextTablesMissed):
        doc.delete(("apim", "s3", "k"))
    with pytest.raises(TextTablesMissed):
        doc.set(("apim", "s3", "deeper", "k"), 1)
    holding = TomlDocument(decode(b"[apim]\nx = 1\n", "t"), "t")
    holding.write_new_tables_as_text({("apim", "s2")})
    for i in range(4):
        holding.set(("apim", f"s{i}", "k"), i)
    holding.set(("apim", "s2", "deeper", "k"), 1)
    assert holding.text_tables is not None and list(holding.text_tables.keys) == [("apim", "s1")]  # s3 begins a run


@pytest.mark.parametrize("text", ["[apim.s0]\nk = 0\n[transport.s0]\nk = 'v'\n", "[server]\nhostname = 'h'\nx.y = 1\n"])
def test_an_output_that_is_the_input_is_proven_on_the_inputs_reading(monkeypatch, text):
    import tomllib

    from k8s_migrate import proof
    from k8s_migrate.migrate import toml as migrate

    seen = []
    real = migrate.prove_data

    def recorded(state, report, output, *rest):
        problems = real(state, report, output, *rest)
        seen.append((output, problems, proof.prove(state, report, text, *rest)))
        return problems

    monkeypatch.setattr(migrate, "prove_data", recorded)
    result = migrate.migrate_toml(text.encode(), "t.toml", migrate.Options(from_version="4.5", to_version="4.6",
                                                                          mode="edit"))
    assert result.output == text and len(seen) == 1
    reading, problems, general = seen[0]
    assert reading == tomllib.loads(text) and problems == general


@given(st.text(alphabet="ab/-*?[]!", max_size=6), st.text(alphabet="ab/-*?[]!", max_size=6))
@example("helm-apim/all-in-one", "helm-apim/*")
@example("kubernetes-apim/am-pattern-1", "kubernetes-apim/am-pattern-1")
def test_a_deployment_rules_chart_name_matches_as_fnmatch_matches(name, pattern):
    import fnmatch

    from k8s_migrate.charts.deployment_rules import _named

    assert _named(name, pattern) == fnmatch.fnmatchcase(name, pattern)


def test_the_render_cache_code_stamp_names_the_renderers_files():
    from k8s_migrate.charts import render_cache

    folder = Path(render_cache.__file__).resolve().parent
    files = sorted([folder / "render.py", *(folder / "gotemplate").glob("*.py")])
    expected = [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    assert render_cache.code_stamp().decode().split("\n")[2:] == expected


def test_a_charts_files_are_those_its_glob_lists(tmp_path, reference_dir):
    from k8s_migrate.charts.render import _chart_files

    def globbed(folder):
        return [(p.relative_to(folder).as_posix(), str(p)) for p in sorted(folder.rglob("*")) if p.is_file()]

    made = tmp_path / "chart"
    for name in ("Chart.yaml", ".hidden", "templates/a.yaml", "templates/_b.tpl", "templates/sub/c.yaml", "confs/x",
                 "a-b/y", "a/z", "a.b"):
        (made / name).parent.mkdir(parents=True, exist_ok=True)
        (made / name).write_text(name)
    (made / "outside").mkdir()
    (made / "outside" / "f").write_text("f")
    (made / "linked").symlink_to(made / "outside", target_is_directory=True)
    (made / "file-link").symlink_to(made / "a.b")
    (made / "broken").symlink_to(made / "nothing")
    charts = [made] + [reference_dir / "helm-apim" / v / "all-in-one" for v in ("4.2.x", "4.6.x")]
    for folder in charts:
        if folder.is_dir():
            assert _chart_files(str(folder)) == globbed(folder), folder


@given(st.one_of(st.integers().map(str), st.integers(min_value=0).map(lambda n: f"+{n}"),
                 st.text(alphabet="0123456789+-_:xob", min_size=1, max_size=7)))
@example("-0")
@example("010")
@example("1_000")
def test_an_int_of_a_values_file_is_the_constructors(text):
    from k8s_migrate.charts.render import _composed_documents, _read_events

    document = f"a: {text}\n"
    try:
        composed = _composed_documents(document)
    except Exception:  # noqa: BLE001 - not YAML: nothing to compare
        assume(False)
    read = _read_events(document)
    assume(read is not None and isinstance(composed[0], dict))
    assert read == composed and type(read[0]["a"]) is type(composed[0]["a"])
