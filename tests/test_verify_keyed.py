"""The proof's report look-ups (not_exposed, rule_finding, default_followed) read each entry's key parsed once,
from the entries keyed_entries keeps: the same answers as over every entry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k8s_migrate.hub import parse_key
from k8s_migrate.report import Entry, Report
from k8s_migrate.verify import Difference, Keyed, _related, default_followed, keyed_entries, not_exposed, rule_finding

SEGMENTS = st.sampled_from(["apim", "gateway", "environment", "*", "[0]", "[1]", "[*]", '"a.b"', "x"])
KEYS = st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: ".".join(parts).replace(".[", "["))
TEXTS = st.one_of(st.none(), st.just(""), st.just("bad..key"), KEYS)
ENTRIES = st.builds(Entry, st.sampled_from(["review", "unknown", "defaulted", "added", "kept", "removed"]),
                    TEXTS, TEXTS, st.sampled_from([None, "x", 1]), st.sampled_from([None, "x", 1]),
                    st.sampled_from([None, "r1", ""]), message=st.sampled_from(["", "m", "the chart does not expose"]),
                    origin=st.sampled_from([None, "wso2.apim"]))


def every_entry(report):  # no entry left out: what each look-up read before keyed_entries chose its entries
    out = []
    for entry in report.entries:
        try:
            out.append((entry, parse_key(entry.new_key or entry.old_key)))
        except (ValueError, TypeError):
            continue
    return Keyed(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(ENTRIES, max_size=8), KEYS.filter(lambda k: "*" not in k), st.sampled_from([None, "x", 1]),
       st.booleans())
def test_keyed_lookups_answer_as_over_every_entry(entries, key_text, after, present_after):
    report = Report("values.yaml", "4.2.0", "4.6.0")
    report.entries.extend(entries)
    keyed, every = keyed_entries(report), every_entry(report)
    key = parse_key(key_text)
    diff = Difference(key_text, None, after, True, present_after)
    assert not_exposed(keyed, key) == not_exposed(every, key)
    assert rule_finding(keyed, key) == rule_finding(every, key)
    assert default_followed(keyed, diff) == default_followed(every, diff)


ANY_KEYS = st.lists(st.sampled_from(["apim", "gateway", "*", "[0]", "[1]", "[*]", "x"]), min_size=1, max_size=4) \
    .map(lambda parts: ".".join(parts).replace(".[", "[")).filter(lambda k: not k.startswith("["))


@settings(max_examples=300, deadline=None)
@given(st.lists(ANY_KEYS, max_size=12), ANY_KEYS)
def test_related_by_first_segment_is_the_scan_of_every_entry(texts, key_text):
    pairs = [(Entry("review", t, None), parse_key(t)) for t in texts]
    key = parse_key(key_text)
    assert list(Keyed(pairs).related(key)) == [(e, p) for e, p in pairs if _related(p, key)]


def test_an_entry_whose_key_does_not_parse_is_left_out():
    report = Report("values.yaml", "4.2.0", "4.6.0")
    report.entries.extend([Entry("review", "a..b", None), Entry("review", None, None), Entry("review", "a.b", None)])
    assert [pattern for _, pattern in keyed_entries(report).pairs] == [("a", "b")]
    report.entries.append(Entry("kept", "c.d", "c.d"))  # no look-up gives a kept entry
    assert len(keyed_entries(report).pairs) == 1

