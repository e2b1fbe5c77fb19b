"""load_values_text reads most files from the C parser's events (charts.render._read_events); ruamel's composer
and constructor (_composed_documents, the reading it replaces) stay for the rest. Both readings agree, value,
type, key order and error alike, on generated texts full of YAML 1.1's corners and on every reference file."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from k8s_migrate.charts import render
from k8s_migrate.charts.render import load_values_text

from helpers import LONG, examples


def composed(text: str) -> dict:
    """load_values_text as it read every text before the event reader."""
    documents = [d for d in render._composed_documents(text) if d is not None]
    loaded = documents[0] if documents else None
    return render.helm_values(loaded) if isinstance(loaded, dict) else {}


def outcome(read, text: str) -> tuple:
    try:
        return "read", repr(read(text))
    except Exception as exc:  # the same failure, or none, on both sides
        return "failed", type(exc).__name__, str(exc)


def same_reading(text: str) -> None:
    assert outcome(load_values_text, text) == outcome(composed, text), text


PLAIN = ["a", "a b", "yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "NULL", "", "010", "0o10",
         "0x1F", "0b101", "1_000", "1:20", "1:20.5", "1e3", "1.0e+3", "6.02E23", ".5", "-.5", ".inf", "-.INF", ".nan",
         "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "12", "-3", "+4", "0",
         "00", "1.5", "1.", "-0", "0_", "1__0", "x:y", "http://h:80/p", "1.2.3", "+", "a #c"]
ODD = ["=", "<<", "!!str 1", "!!int '7'", "! yes", "&a 1", "*a", "[1, yes, 'x']", "{k: on, k: off}", "[]", "{}",
       "|\n  block\n", ">-\n  folded\n"]
BROKEN = ["[unclosed", "'open", "a: b"]
SCALARS = st.integers(0, 99).flatmap(lambda n: (
    st.sampled_from(PLAIN) if n < 70 else
    st.sampled_from(PLAIN).map(lambda s: f"'{s}'") if n < 80 else
    st.sampled_from(PLAIN).map(lambda s: f'"{s}"') if n < 90 else
    st.sampled_from(ODD) if n < 99 else st.sampled_from(BROKEN)))
KEYS = st.integers(0, 99).flatmap(lambda n: (
    st.sampled_from(["a", "b", "c", "image", "port"]) if n < 60 else
    st.sampled_from(["1", "01", "1.0", "yes", "true", "'true'", "'1'", "null", "~", "''", "2001-12-14", "0x1", "on",
                     '"a"', "n"]) if n < 98 else st.sampled_from(["? c", "[k]", "<<", "="])))


@st.composite
def mapping(draw, depth: int = 0, indent: str = "") -> str:
    lines = []
    for _ in range(draw(st.integers(1 if depth == 0 else 0, 6))):
        key = draw(KEYS)
        shape = draw(st.sampled_from(["scalar", "scalar", "map", "list"]) if depth < 3 else st.just("scalar"))
        if shape == "scalar":
            lines.append(f"{indent}{key}: {draw(SCALARS)}")
        elif shape == "map":
            inner = draw(mapping(depth + 1, indent + "  "))
            lines.append(f"{indent}{key}:{' {}' if not inner else ''}")
            lines += inner.splitlines()
        else:
            lines.append(f"{indent}{key}:")
            for _ in range(draw(st.integers(0, 3))):
                lines.append(f"{indent}  - {draw(SCALARS)}")
        blank = draw(st.integers(0, 39))
        if blank < 4:
            lines.append([f"{indent}# a comment", "", f"{indent}  # a comment", f"{indent} bad: indent"][blank])
    return "\n".join(lines) + ("\n" if lines else "")


@st.composite
def values_texts(draw) -> str:
    documents = [draw(mapping()) for _ in range(draw(st.integers(1, 2)))]
    first = draw(st.sampled_from(["", "---\n", "--- null\n---\n", "# head\n"]))
    return first + "---\n".join(documents)


@settings(max_examples=examples(2000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values_texts())
@example("a: 1\na: 2\nb: [x]\n")  # a repeated key: the last one wins
@example("1: one\n'1': quoted\n01: octal\n")  # the same text twice (the last wins), then keys equal once read
@example("yes: y\ntrue: t\non: o\n")
@example("a: &x 1\nb: *x\n")  # an anchor: the composer reads it
@example("a: [1,\n")  # no YAML: both fail alike
@example("a: 0b_\nb: [\n")  # a scalar that cannot be constructed, in a text that does not parse
@example("--- 1\n---\na: 1\n")
@example("%YAML 1.2\n---\na: yes\n")
@example("")
@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.MantissaNoDotYAML1_1Warning")  # the oracle's, on 1e3
@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")  # the oracle's, on a reused anchor
def test_the_event_reader_reads_as_ruamel_composes(text):
    same_reading(text)


def test_helm_reads_yaml_1_1():
    got = load_values_text("a: yes\nb: 010\nc: 2001-12-14\nd: 1:20\ne: ~\nf: 'on'\ng: 0x1F\n1: x\nn:\n  - .inf\n")
    assert got == {"a": True, "b": 8.0, "c": "2001-12-14", "d": 80.0, "e": None, "f": "on", "g": 31.0, "1": "x",
                   "false": [float("inf")]}


def test_a_repeated_key_keeps_the_last_entry_where_it_stands():
    assert list(load_values_text("a: 1\nb: 2\na: 3\n").items()) == [("b", 2.0), ("a", 3.0)]
    assert load_values_text("yes: 1\ntrue: 2\n") == {"true": 1.0}  # keys equal once read: the first wins


def test_plain_reference_values_take_the_event_reader(reference_dir):
    """Without this the speed-up could vanish unseen: the reference charts' values files (no anchors) are read
    from events, and read as the composer reads them."""
    paths = sorted((reference_dir / "helm-apim").rglob("values*.yaml"))[:: 1 if LONG else 6]
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8-sig")
        assert render._read_events(text) is not None, path
        same_reading(text)
