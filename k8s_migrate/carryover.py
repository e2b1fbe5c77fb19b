"""Three-way carry-over: judge each key against the old baseline, the user's file and the new baseline.

- A key the user did not customise follows the new baseline.
- A customised key is carried over, through the rules.
- A carried value equal to the new default is dropped, unless the new stock file sets it.

Items of arrays of tables are matched by identity fields (mappings/identities.json), then by
how many fields they share, never by position alone.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .catalog import Catalog
from .data import load_json
from .hub import KeyPath, flatten, has_items, strip_indices
from .rules.values import normal, same_value

_MISSING = object()


@lru_cache(maxsize=1)
def identities() -> dict[KeyPath, list[str]]:
    from .hub import parse_key

    return {strip_indices(parse_key(k)): v for k, v in load_json("identities.json")["identities"].items()}


@dataclass
class Baseline:
    """One version's baseline: its stock file (or a profile's) over its default.json."""

    catalog: Catalog
    stock: dict[str, Any]
    label: str  # "3.2.0 stock deployment.toml", "4.6.0 --onto file" ...
    implied: dict[KeyPath, Any] = field(default_factory=dict)  # what infer.json sets for the server role
    implied_from: str = ""
    flat: dict[KeyPath, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.flat = flatten(self.stock)

    @property
    def version(self) -> str:
        return self.catalog.version

    def stock_value(self, path: KeyPath | None) -> Any:
        return _MISSING if path is None else self.flat.get(path, _MISSING)

    def default(self, path: KeyPath | None, stock_path: KeyPath | None) -> tuple[bool, Any, str]:
        """(found, value, where): the stock value first, then default.json."""
        value = self.stock_value(stock_path)
        if value is not _MISSING:
            return True, value, f"{self.version} stock file"
        if path in self.implied:
            return True, self.implied[path], f"{self.version} {self.implied_from} (infer.json)"
        if path is None or has_items(path):
            return False, None, ""
        found, value, interpolated = self.catalog.default_at(path)
        if not found:
            return False, None, ""
        where = f"{self.version} default"
        if interpolated:
            where += f" (interpolated from {' and '.join(interpolated)}: {self.version} data is partial)"
        return True, value, where


def get_list(data: Any, path: KeyPath) -> list[dict[str, Any]] | None:
    node = data
    for seg in path:
        if isinstance(node, dict) and isinstance(seg, str) and seg in node:
            node = node[seg]
            continue
        if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
            continue
        return None
    if isinstance(node, list) and all(isinstance(x, dict) for x in node):
        return node
    return None


def match_items(left: list[dict], right: list[dict], identity: list[str]) -> dict[int, int]:
    """Pair items of two arrays of tables: by identity fields, then by shared field values (at least half)."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    if identity:
        _pair_by_identity(left, right, identity, pairs, taken)
    candidates = []
    for i, item in enumerate(left):
        if i in pairs:
            continue
        for j, other in enumerate(right):
            if j in taken:
                continue
            fields = set(item) | set(other)
            shared = sum(1 for f in fields if f in item and f in other and same_value(item[f], other[f]))
            score = shared / len(fields) if fields else 0
            if score >= 0.5:
                candidates.append((-score, i, j))
    for _, i, j in sorted(candidates):
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)
    return pairs


def _pair_by_identity(left: list[dict], right: list[dict], identity: list[str], pairs: dict[int, int],
                      taken: set[int]) -> None:
    """Each left item with every identity field gets the first right item not yet taken whose fields are the same."""
    by_identity = _by_identity(right, identity)
    for i, item in enumerate(left):
        ident = [item.get(f, _MISSING) for f in identity]
        if _MISSING in ident:
            continue
        key = _comparable(ident) if by_identity is not None else None
        if by_identity is not None and key is not None:
            waiting = by_identity.get(key)
            while waiting and waiting[0] in taken:
                waiting.popleft()
            if waiting:
                pairs[i] = waiting.popleft()
                taken.add(pairs[i])
            continue
        for j, other in enumerate(right):
            if j not in taken and all(same_value(a, other.get(f)) for a, f in zip(ident, identity, strict=True)):
                pairs[i] = j
                taken.add(j)
                break


def _by_identity(items: list[dict], identity: list[str]) -> dict[Any, deque[int]] | None:
    """The items' indices (in order) by their identity fields' comparable values: pairing 10,000 items with 10,000
    by scanning took seconds. None when a value has no hashable comparable form (the caller scans)."""
    index: dict[Any, deque[int]] = {}
    for j, item in enumerate(items):
        key = _comparable([item.get(f) for f in identity])
        if key is None:
            return None
        index.setdefault(key, deque()).append(j)
    return index


def _comparable(values: list[Any]) -> Any:
    """A hashable form that is equal exactly when same_value says the values are (None when there is none)."""
    def frozen(value: Any) -> Any:
        if isinstance(value, list):
            return ("list", tuple(frozen(v) for v in value))
        if isinstance(value, dict):
            return ("dict", frozenset((k, frozen(v)) for k, v in value.items()))
        hash(value)
        return value

    try:
        return tuple(frozen(normal(v)) for v in values)
    except TypeError:
        return None


class ItemMatcher:
    """Translate array-item indices from one document's data to another's."""

    def __init__(self, left: dict[str, Any], right: dict[str, Any]):
        self.left, self.right = left, right
        self._cache: dict[tuple[KeyPath, KeyPath], dict[int, int]] = {}

    def translate(self, left_path: KeyPath, right_shape: KeyPath | None = None) -> KeyPath | None:
        """``right_shape`` is the same key in the right side's names (after renames); indices get replaced."""
        right_shape = left_path if right_shape is None else right_shape
        left_ints = [i for i, s in enumerate(left_path) if isinstance(s, int)]
        right_ints = [i for i, s in enumerate(right_shape) if isinstance(s, int)]
        if len(left_ints) != len(right_ints):
            return None
        out = list(right_shape)
        for li, ri in zip(left_ints, right_ints, strict=True):
            left_prefix, right_prefix = left_path[:li], tuple(out[:ri])
            pairs = self._pairs(left_prefix, right_prefix)
            left_index = left_path[li]
            assert isinstance(left_index, int), "left_ints holds the positions of index segments"
            target = pairs.get(left_index)
            if target is None:
                return None
            out[ri] = target
            # the rest of left_path keeps left indices; translate them in turn
        return tuple(out)

    def _pairs(self, left_prefix: KeyPath, right_prefix: KeyPath) -> dict[int, int]:
        key = (left_prefix, right_prefix)
        if key not in self._cache:
            left = get_list(self.left, left_prefix) or []
            right = get_list(self.right, right_prefix) or []
            identity = identities().get(strip_indices(right_prefix), [])
            self._cache[key] = match_items(left, right, identity)
        return self._cache[key]


@dataclass
class Verdict:
    customised: bool
    old_default: Any
    old_default_from: str
    old_stock_path: KeyPath | None  # the same key in the old stock file (None: the user's own item)


def judge_old(path: KeyPath, value: Any, old: Baseline, user_to_old: ItemMatcher) -> Verdict:
    in_item = has_items(path)
    stock_path = user_to_old.translate(path) if in_item else path
    if in_item and stock_path is None:
        return Verdict(True, None, "", None)
    found, default, where = old.default(path, stock_path)
    return Verdict(not found or not same_value(value, default), default, where, stock_path)
