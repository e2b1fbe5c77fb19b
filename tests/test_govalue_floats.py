"""Go's float text (charts.gotemplate.govalue.format_float) takes its digits from Python's shortest repr without
the decimal module: the same digits and exponent as the Decimal reading it replaced, for every finite float."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from k8s_migrate.charts.gotemplate.govalue import _float_digits, format_float, format_v

from helpers import examples


def decimal_digits(value: float) -> tuple[str, int]:
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return text, len(text) + exponent - 1


@settings(max_examples=examples(5000), deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False).filter(bool))
@example(9443.0)
@example(0.001)
@example(1e16)
@example(1.5e-07)
@example(-2.5e+300)
@example(5e-324)
@example(100.0)
@example(123456789012345678.0)
def test_digits_are_the_decimal_readings(value):
    assert _float_digits(value) == decimal_digits(value)


def test_go_float_text():
    assert [format_v(v) for v in (9443.0, 1000000.0, 0.5, 1e-05, 123456.0, 1234567.0, -0.0)] == [
        "9443", "1e+06", "0.5", "1e-05", "123456", "1.234567e+06", "-0"]
    assert format_float(1e21) == "1e+21" and format_float(1e20) == "100000000000000000000"
