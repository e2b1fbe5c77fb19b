"""Shortcuts that build report entries and proof views directly, held to the general path they stand for."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k8s_migrate.hub import HubKey, format_key
from k8s_migrate.rules.apply import Track
from k8s_migrate.rules.entries import RULES_ONLY, Verdict, entry_for

segments = st.one_of(st.text(min_size=0, max_size=6), st.integers(min_value=0, max_value=3))
paths = st.lists(segments, min_size=1, max_size=4).map(tuple).filter(lambda p: isinstance(p[0], str))
values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2))
origins = st.one_of(st.none(), st.builds(HubKey, paths, values, st.one_of(st.none(), st.integers(1, 99)),
                                         origin=st.one_of(st.none(), st.text(max_size=8))))


@settings(max_examples=200, deadline=None)
@given(origins, paths, values, st.booleans())
def test_an_untouched_tracks_entry_is_the_general_paths(origin, path, value, removed):
    """entry_for's shortcut (no event, no verdict) against its general path (an equal verdict that is not
    RULES_ONLY takes it)."""
    track = Track(origin, path, value, removed=removed)
    assert Verdict() == RULES_ONLY and Verdict() is not RULES_ONLY
    assert entry_for(track) == entry_for(track, Verdict())


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.dictionaries(st.text(max_size=3), inner, max_size=4),
                            st.lists(st.dictionaries(st.text(max_size=3), inner, max_size=3), max_size=4)),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=3), trees, max_size=4))
def test_the_leaf_tree_is_nest_of_flatten(data):
    """The proof's view of the output's items (hub.leaf_tree) against what it stands for, order included."""
    from k8s_migrate.hub import flatten, leaf_tree, nest

    assert repr(leaf_tree(data)) == repr(nest(flatten(data).items()))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=3), trees, max_size=4), st.lists(paths, max_size=6))
def test_the_leaves_view_is_flatten(data, asked):
    """The proof's view of the output's leaves (hub.Leaves) against flatten: the same leaves in the same order, and
    each path (a leaf's, a table's, one below a leaf, one that is not there) found as flatten's dict finds it."""
    from k8s_migrate.hub import Leaves, flatten

    flat, view = flatten(data), Leaves(data)
    assert repr(list(view.items())) == repr(list(flat.items())) and list(view) == list(flat)
    for path in [*flat, *(p[:-1] for p in flat), *(p + ("x",) for p in flat), *(p + (0,) for p in flat), *asked, ()]:
        assert repr(view.get(path, "absent")) == repr(flat.get(path, "absent"))


def _outcome(parse, text):
    try:
        return parse(text)
    except ValueError as exc:
        return type(exc)


key_texts = st.one_of(st.text(alphabet='ab_-09.[]*"\' ', max_size=14),
                      st.lists(st.one_of(st.sampled_from(["apim", "a-b", "x_1", "0", "*", "a.b", 'q"', ""]),
                                         st.integers(min_value=-1, max_value=12)), min_size=1, max_size=5)
                      .filter(lambda p: isinstance(p[0], str)).map(format_key))


@settings(max_examples=400, deadline=None)
@given(key_texts)
def test_parse_keys_shortcuts_read_as_the_general_parser(text):
    """hub.parse_key's shortcuts (bare keys, bare keys with item indices, plain quoted keys) against the parser
    they stand in for."""
    from k8s_migrate.hub import _parse_key, parse_key

    assert _outcome(parse_key, text) == _outcome(_parse_key.__wrapped__, text)
