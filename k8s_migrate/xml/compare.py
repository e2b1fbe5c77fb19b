"""The user's XML against the stock XML of the same version, location by location."""

from __future__ import annotations

from dataclasses import dataclass

from k8s_migrate.xml.document import Fact
from k8s_migrate.xml.inverted_map import split_xpath


@dataclass(frozen=True)
class Change:
    action: str  # changed | added | removed
    path: str
    segments: tuple[str, ...]
    stock_value: str | None
    user_value: str | None
    line: int | None


def compare_facts(stock: dict[str, str], user: list[Fact]) -> list[Change]:
    changes = []
    seen = set()
    for fact in user:
        seen.add(fact.path)
        if fact.path not in stock:
            changes.append(Change("added", fact.path, fact.segments, None, fact.value, fact.line))
        elif stock[fact.path] != fact.value:
            changes.append(Change("changed", fact.path, fact.segments, stock[fact.path], fact.value, fact.line))
    for path, value in stock.items():
        if path not in seen:
            changes.append(Change("removed", path, split_xpath(path), value, None, None))
    return changes
