"""The speed-ups give the same answers as the slow paths they skip.

- chart maps: the link trie finds exactly what the linear scan over every link finds;
- values dumps: whenever the cheap layout proof accepts the merged text, the full YAML comparison agrees.
"""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import LONG, examples
from k8s_migrate.charts.chartmap import builtin_ids, load_chart_map
from k8s_migrate.formats import values as fv
from k8s_migrate.formats.text import decode
from k8s_migrate.hub import format_key, parse_key


def concrete(path):
    return tuple(0 if seg == -1 else "x" if seg == "*" else seg for seg in path)


@pytest.mark.parametrize("chart", sorted(builtin_ids()))
def test_link_trie_finds_what_the_linear_scan_finds(chart):
    chart_map = load_chart_map(chart)
    queries = set()
    for link in chart_map.links[::5]:  # a sample: the linear scan is what is slow
        for side in ("values", "toml"):
            if link.get(side):
                path = parse_key(link[side])
                queries |= {(side, path), (side, concrete(path)), (side, concrete(path) + ("below", 2)),
                            (side, path[:-1] or path)}
    instances = [None] + [i["instance"] for i in chart_map.instances[:1]]
    for (side, path), instance in itertools.product(sorted(queries, key=str), instances):
        other = "toml" if side == "values" else "values"
        fast = chart_map._translate(format_key(path), side, other, instance)
        slow = chart_map._translate_slowly(path, side, other, instance)
        assert [(t, id(l)) for t, l in fast] == [(t, id(l)) for t, l in slow], (path, instance)


def test_a_copied_map_with_edited_links_is_indexed_afresh():
    import copy

    chart_map = load_chart_map("helm-apim/all-in-one@4.5.x")
    assert chart_map.toml_to_values("database.apim_db.url")
    edited = copy.deepcopy(chart_map)
    for link in edited.links:
        if link.get("toml") == "database.apim_db.url":
            link["toml"] = "database.nowhere.url"
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
