"""rules.values.normal: the comparable form of a value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from k8s_migrate.rules.values import normal


def normal_by_float(text: str) -> str:
    """normal of a text as it reads without the first-character test: float() tried on every text."""
    stripped = text.strip()
    if stripped.lower() in ("true", "false"):
        return stripped.lower()
    try:
        number = float(stripped)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and "." not in stripped and "e" not in stripped.lower() else stripped


NUMBERISH = st.text(alphabet="0123456789+-._eEiInNfFaAtTyY \u0661\u00b2", max_size=8)


@given(st.one_of(st.text(max_size=12), NUMBERISH, st.floats().map(str), st.integers().map(str)))
def test_a_text_is_normal_as_float_reads_it(text):
    assert normal(text) == normal_by_float(text)


def test_numbers_and_words():
    assert [normal(t) for t in ("10", " 10.0", "1e3", "-inf", "NaN", "\u0661\u0662", "x1", "", "true ")] == [
        "10", "10.0", "1e3", "-inf", "NaN", "12", "x1", "", "true"]
