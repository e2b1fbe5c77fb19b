"""verify.differences compares tables itself and hands differing arrays to deepdiff: it must find exactly what
one deepdiff over the whole tree finds."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8s_migrate.hub import format_key
from k8s_migrate.verify import _leaves, differences
from tests.helpers import examples


def whole_tree_deepdiff(t1: dict, t2: dict) -> list[tuple]:
    from deepdiff import DeepDiff

    tree = DeepDiff(t1, t2, ignore_order=False, view="tree", threshold_to_diff_deeper=0)
    out = []
    for kind, items in tree.items():
        for item in items:
            path = tuple(item.path(output_format="list"))
            if "added" in kind:
                out += [(format_key(p), None, v, False, True) for p, v in _leaves(path, item.t2)]
            elif "removed" in kind:
                out += [(format_key(p), v, None, True, False) for p, v in _leaves(path, item.t1)]
            else:
                out.append((format_key(path), item.t1, item.t2, True, True))
    return sorted(out, key=repr)


def ours(t1: dict, t2: dict) -> list[tuple]:
    return sorted(((d.key, d.before, d.after, d.present_before, d.present_after) for d in differences(t1, t2)),
                  key=repr)


scalars = st.one_of(st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5]), st.sampled_from("abc"),
                    st.sampled_from([datetime.date(2024, 1, 1), datetime.time(1, 2)]))
keys = st.sampled_from(["a", "b", "c", "d"])
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=12)
tables = st.dictionaries(keys, trees, max_size=4)


@settings(max_examples=200, deadline=None)
@given(tables, tables)
def test_the_same_differences_as_deepdiff_over_the_whole_tree(t1, t2):
    assert ours(t1, t2) == whole_tree_deepdiff(t1, t2)


@settings(max_examples=50, deadline=None)
@given(tables)
def test_a_tree_against_itself_has_none(t1):
    assert differences(t1, t1) == []


def test_arrays_of_tables_are_paired_item_by_item_without_deepdiff(monkeypatch):
    from k8s_migrate import verify

    monkeypatch.setattr(verify, "_array_differences", None)
    found = ours({"l": [{"a": 1}, {"a": 2}]}, {"l": [{"a": 1}, {"a": 3}, {"b": 4}]})
    assert found == sorted([("l[1].a", 2, 3, True, True), ("l[2].b", None, 4, False, True)], key=repr)


def test_types_count_and_tables_give_leaves():
    found = ours(
        {"a": 1, "b": {"x": 1, "y": [1, 2]}, "c": True}, {"a": 1.0, "b": {"y": [1, 3]}, "c": 1, "d": {"e": "f"}}
    )
    assert found == sorted([("a", 1, 1.0, True, True), ("b.x", 1, None, True, False), ("b.y[1]", 2, 3, True, True),
                            ("c", True, 1, True, True), ("d.e", None, "f", False, True)], key=repr)


def deepdiff_of_arrays(t1: list, t2: list) -> list[tuple]:
    return whole_tree_deepdiff({"l": t1}, {"l": t2})


strings = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=6)


@settings(max_examples=examples(2000), deadline=None)
@given(strings, strings)
def test_arrays_of_strings_changed_in_place_need_no_deepdiff(t1, t2):
    from k8s_migrate.verify import _changed_in_place

    found = ours({"l": t1}, {"l": t2})
    assert found == deepdiff_of_arrays(t1, t2)
    if _changed_in_place(t1, t2) and t1 != t2:
        changed = [(f"l[{i}]", a, b, True, True) for i, (a, b) in enumerate(zip(t1, t2, strict=True)) if a != b]
        assert found == sorted(changed, key=repr)


def test_service_addresses_changed_in_place_are_found_without_deepdiff(monkeypatch):
    from k8s_migrate import verify

    real = verify._array_differences
    monkeypatch.setitem(__import__("sys").modules, "deepdiff", None)  # an import of deepdiff would fail
    old = ["tcp://release-am-1-service:9611", "tcp://shared:9611", "tcp://release-am-2-service:9611"]
    new = ["tcp://release-all-in-one-1:9611", "tcp://shared:9611", "tcp://release-all-in-one-2:9611"]
    assert [(d.key, d.before, d.after) for d in real(("urls",), old, new)] == [
        ("urls[0]", old[0], new[0]), ("urls[2]", old[2], new[2])]
    with pytest.raises(ImportError):  # an item that moved: deepdiff's to line up
        real(("urls",), old, [old[1], old[0], new[2]])
