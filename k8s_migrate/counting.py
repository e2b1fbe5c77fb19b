"""Counted nouns in messages: '1 key', '2 keys', never a noun with (s)."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
