"""How reports and errors name an input: standard input ('-' on the command line) is '<stdin>'."""

from __future__ import annotations

STDIN = "-"


def label(name: str | None) -> str:
    return "<stdin>" if name in (None, STDIN) else name
