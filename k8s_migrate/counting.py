"""Counted nouns in messages: '1 key', '2 keys', '1 file(s)' never."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
