"""The shortcuts a large values file's run takes give what the general paths give (issue 13, item 12)."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from k8s_migrate import hub
from k8s_migrate.charts.gotemplate.govalue import _QUOTE_SPECIAL, _go_escape, go_quote

_ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=60)


@given(st.one_of(_ASCII, st.text(max_size=20)))
@example('name = "gw-1"\\n\tpath = "C:\\\\x"\n\x7f\x00')
@example("\\n")
def test_go_quote_is_the_escape_of_each_special_character(text):
    assert go_quote(text) == '"' + _QUOTE_SPECIAL.sub(_go_escape, text) + '"'


_SEGMENTS = st.one_of(st.text(alphabet='ab_-.*" [0]\\', max_size=4), st.sampled_from(["apim", "gw-1", "a.b"]),
                      st.integers(-2, 12), st.booleans())


@given(st.lists(_SEGMENTS, max_size=6).map(tuple))
@example(("apim", "gateway", "environment", 3, "name"))
@example(("a.b", 0, "c"))
@example((0, "a"))
@example(("apim", -1, "name"))
def test_format_key_is_the_text_of_each_segment(path):
    assert hub._format_key(path) == hub._format_segments(path)


def test_a_yaml_load_keeps_nothing_of_the_text_with_the_collector_paused():
    """A rendered ConfigMap is read with the collector paused: what stays is the loaded value, not the text again
    (held by the YAML and its loader, which hold each other) nor the C parser's copy of it."""
    import gc
    import tracemalloc

    from k8s_migrate.charts.render import _loaded

    text = 'data:\n  deployment.toml: "' + "[server]\\n" * 200_000 + '"\n'  # 2 MB of text, 1.8 MB loaded
    was_enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        loaded = _loaded(lambda yaml, t: list(yaml.load_all(t)), text)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()
    value = loaded[0]["data"]["deployment.toml"]
    assert value.startswith("[server]\n") and len(value) == 1_800_000
    assert held < 1.5 * len(value)
