"""Three-way carry-over: judge each key against the old baseline, the user's file and the new baseline,
and decide what the output keeps.

- A key the user did not customise follows the new baseline.
- A customised key is carried over, through the rules.
- A carried value equal to the new default is dropped, unless the new stock file sets it.
- A stock key the user removed stays removed, when the new stock file sets it the same way.
- A new stock value that changes what the old server ran gets an entry.

Items of arrays of tables are matched by identity fields (mappings/identities.json), then by
how many fields they share, never by position alone. migrate/toml runs the pipeline and hands
the output document (the new baseline, being edited) to the functions here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from .catalog import Catalog
from .counting import counted
from .data import load_json
from .hub import HubKey, KeyPath, flatten, format_key, has_items, strip_indices
from .profiles import implied_by_role, role_path
from .report import Action, Entry, Report
from .rules.apply import Context, HubState, Track, run
from .rules.entries import Verdict, ruled_action, unknown_or_ruled
from .rules.load import rule_chain
from .rules.values import normal, same_value


class OutputDocument(Protocol):
    """The document a rebase writes (formats.toml.TomlDocument): what the carry-over reads and edits of it."""

    doc: Any  # the round-trip document, for formats.toml.walk

    def get(self, path: KeyPath) -> Any: ...

    def set(self, path: KeyPath, value: Any, comment: str | None = None) -> None: ...

    def delete(self, path: KeyPath) -> None: ...

    def append_item(self, aot_path: KeyPath, fields: dict[str, Any]) -> int: ...

    def drop_if_empty(self, path: KeyPath) -> bool: ...

    def data(self) -> dict[str, Any]: ...


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
        self._heads: dict[tuple[KeyPath, KeyPath], KeyPath | None] = {}

    def translate(self, left_path: KeyPath, right_shape: KeyPath | None = None) -> KeyPath | None:
        """``right_shape`` is the same key in the right side's names (after renames); indices get replaced.
        The keys of one item share their translation up to its index: it is made once per item."""
        right_shape = left_path if right_shape is None else right_shape
        left_end, right_end = _after_last_index(left_path), _after_last_index(right_shape)
        heads = (left_path[:left_end], right_shape[:right_end])
        if heads not in self._heads:
            self._heads[heads] = self._translate(*heads)
        head = self._heads[heads]
        if head is None:
            return None
        if head == heads[1] and type(right_shape) is tuple:
            return right_shape  # the indices stand: the path itself, not an equal copy for the caller to hold
        return head + tuple(right_shape[right_end:])

    def _translate(self, left_path: KeyPath, right_shape: KeyPath) -> KeyPath | None:
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


def _after_last_index(path: KeyPath) -> int:
    for i in range(len(path) - 1, -1, -1):
        if isinstance(path[i], int):
            return i + 1
    return 0


@dataclass(slots=True)
class Standing:
    """How an input key stands against the old baseline."""

    customised: bool
    old_default: Any
    old_default_from: str
    old_stock_path: KeyPath | None  # the same key in the old stock file (None: the user's own item)


def judge_old(path: KeyPath, value: Any, old: Baseline, user_to_old: ItemMatcher) -> Standing:
    in_item = has_items(path)
    stock_path = user_to_old.translate(path) if in_item else path
    if in_item and stock_path is None:
        return Standing(True, None, "", None)
    found, default, where = old.default(path, stock_path)
    return Standing(not found or not same_value(value, default), default, where, stock_path)


def judge_input_keys(state: HubState, old: Baseline, user_to_old: ItemMatcher
                     ) -> tuple[list[Standing | None], set[KeyPath]]:
    """How each input key stands against the old baseline (in the order of the tracks, None for a key a rule
    added), and the old stock keys the input covers."""
    standings: list[Standing | None] = []
    covered: set[KeyPath] = set()
    for track in state.tracks:
        standing = None if track.origin is None else judge_old(track.origin.path, track.origin.value, old,
                                                                user_to_old)
        standings.append(standing)
        if standing is not None and standing.old_stock_path is not None:
            covered.add(standing.old_stock_path)
    return standings, covered


# ---- the old stock file through the rules: where each of its keys lands in the new version --------
def stock_through_rules(old: Baseline, new_version: str, ctx: Context) -> list[Track]:
    """Where each key of the old stock file lands in the new version: the whole stock file through
    the rules, once per process for a baseline, version pair, profile and answers."""
    answers = next((text for text, value in NO_ANSWERS.items() if value == (ctx.answers or {})), None)
    if answers is None:
        import json

        answers = json.dumps(ctx.answers, sort_keys=True, default=str)
    return _stock_tracks(old, new_version, ctx.profile, ctx.keep_old_defaults, answers)


# the answers of a run that has none (no answers file, or one without choices), as json.dumps above writes them:
# such a run does not import json for them
NO_ANSWERS: dict[str, dict[str, Any]] = {"{}": {}, '{"rules": {}, "unexposed": null}': {"rules": {}, "unexposed": None}}


def _stock_tracks(old: Baseline, new_version: str, profile: str | None, keep_old: bool, answers: str) -> list[Track]:
    from .data import parse_json

    key = (old.version, id(old.stock), new_version, profile, keep_old, answers)
    cached = _STOCK_TRACKS.get(key)
    if cached is None or cached[0] is not old.stock:
        ctx = Context(profile=profile, keep_old_defaults=keep_old, answers=parse_json(answers))
        state = run([HubKey(p, v) for p, v in old.flat.items()], rule_chain(old.version, new_version), ctx)
        cached = _STOCK_TRACKS[key] = (old.stock, [t for t in state.tracks if t.origin is not None])
    return cached[1]


_STOCK_TRACKS: dict[tuple, tuple[Any, list[Track]]] = {}  # the stock data is kept alive with its answer


def stock_values_through_rules(old: Baseline, new_version: str, ctx: Context) -> dict[str, Any]:
    """The old stock file with each value as the rules make it (an answer may rename a gateway
    environment): array items of the old and new stock files are matched on these values."""
    import copy

    data = copy.deepcopy(old.stock)
    for track in stock_through_rules(old, new_version, ctx):
        if track.live and not same_value(track.value, track.input_key.value):
            set_plain(data, track.input_key.path, track.value)
    return data


def set_plain(data: Any, path: KeyPath, value: Any) -> None:
    node = data
    for seg in path[:-1]:
        node = node[seg]
    node[path[-1]] = value


# ---- what the user removed from the old stock file stays out of the new one -----------------------
def remove_what_the_user_removed(state: HubState, old: Baseline, new: Baseline, out: OutputDocument,
                                 covered: set[KeyPath], old_to_new: ItemMatcher, report: Report, ctx: Context) -> None:
    """Stock keys missing from the user's file stay missing, when the new stock sets them the same way."""
    if all(p in covered for p in old.flat):
        return
    landing = {strip_indices(t.path) for t in state.tracks if t.live}
    dropped = dropped_tables(old.flat, covered, landing)
    doomed: list[tuple[KeyPath, Track]] = []
    for track in stock_through_rules(old, new.version, ctx):
        if track.input_key.path in covered or not track.live:
            continue
        target = old_to_new.translate(track.input_key.path, track.path) if has_items(track.path) else track.path
        node = out.get(target) if target else None
        if target is None or node is None or not same_value(_plain(node), track.input_key.value):
            continue
        doomed.append((target, track))
    whole = {p for p in (old_to_new.translate(t) for t in dropped) if p and out.get(p) is not None}
    in_tables: dict[KeyPath, list[str]] = {}
    deletions = []
    for target, track in doomed:
        table = next((t for t in whole if target[: len(t)] == t), None)
        if table is not None:
            in_tables.setdefault(table, []).append(format_key(track.input_key.path))
            continue
        deletions.append(target)
        key = format_key(track.input_key.path)
        report.add(Entry("removed", None, None, track.input_key.value, None, origin=f"stock:{key}",
                         message=f"{key}: not in your file, though the {old.label} sets it; "
                                 f"left out of the {new.label} too"))
    for target in sorted(deletions, key=document_order, reverse=True):
        out.delete(target)
    for table, keys in in_tables.items():
        name = format_key(table)
        report.add(Entry("removed", None, None, None, None, origin=f"stock:{name}", message=(
            f"{name} ({counted(len(keys), 'key')}: {', '.join(k.rsplit('.', 1)[-1] for k in keys[:6])}"
            f"{', ...' if len(keys) > 6 else ''}): not in your file, though the {old.label} has it; "
            f"left out of the {new.label} too. Add it back if you rely on it")))
    for table in sorted(whole, key=document_order, reverse=True):
        out.delete(table)


def dropped_tables(stock_paths, covered: set[KeyPath], landing: set[KeyPath]) -> set[KeyPath]:
    """Stock tables and array items in which the user's file has no key at all: the top-most of them.
    A table that the user's own keys (or a rule's) land in stays, and its stock keys go one by one;
    a stock array item the user does not have goes whole, even beside the user's own items."""
    def prefixes(paths):
        return {tuple(p[:i]) for p in paths for i in range(1, len(p))}

    landing_heads = {a[:i] for a in landing for i in range(1, len(a) + 1)}

    def holds_landing(table: KeyPath) -> bool:
        return not isinstance(table[-1], int) and strip_indices(table) in landing_heads

    candidates = {t for t in prefixes(stock_paths) - prefixes(covered) if not holds_landing(t)}
    return {t for t in candidates if not any(t[:i] in candidates for i in range(1, len(t)))}


def document_order(path: KeyPath) -> list[str]:
    """Sorts paths so that, reversed, later array items are deleted before earlier ones."""
    return [s if isinstance(s, str) else f"{s:09d}" for s in path]


# ---- carrying one key: where it lands, and whether it is written or follows the new baseline ------
def output_path(track: Track, user_to_old: ItemMatcher, old_to_new: ItemMatcher, out: OutputDocument,
                item_index: dict[KeyPath, int], appended: list[KeyPath]) -> KeyPath:
    """Where a carried key lands in the output: array items go to their counterpart in the new stock
    file, or, for the user's own items (and ones the new stock dropped), to a new item appended once."""
    path, old_path = track.path, track.input_key.path
    ints = [i for i, s in enumerate(path) if isinstance(s, int)]
    old_ints = [i for i, s in enumerate(old_path) if isinstance(s, int)]
    if not ints or len(ints) != len(old_ints):
        return path
    result = list(path)
    for pos, old_pos in zip(ints, old_ints, strict=True):
        item = tuple(path[: pos + 1])
        if item not in item_index:
            in_old = user_to_old.translate(old_path[: old_pos + 1])
            in_new = old_to_new.translate(in_old, tuple(result[: pos + 1])) if in_old else None
            if in_new:
                new_index = in_new[-1]
                assert isinstance(new_index, int), "an array item's path ends in its index"
                item_index[item] = new_index
            else:
                item_index[item] = out.append_item(tuple(result[:pos]), {})
                appended.append((*result[:pos], item_index[item]))
        result[pos] = item_index[item]
    return tuple(result)


def carry(track: Track, standing: Standing, target: KeyPath, new: Baseline, out: OutputDocument,
          new_cat: Catalog, ctx: Context) -> Verdict:
    """Write a live key at its target in the output, or leave it to the new baseline; the verdict says which
    (its new_key is the target's, or None where the key is left out)."""
    in_new_stock = out.get(target)
    new_found, new_default, new_where = new.default(track.path, target)
    if not standing.customised and not track.pinned:
        return follow_new_baseline(track, standing, target, in_new_stock, (new_found, new_default, new_where),
                                   out, new_cat, ctx)
    if in_new_stock is None and new_found and same_value(track.value, new_default):
        return left_out(track, f"equals the {new_where}; left out", new_default)
    put(track, target, out, in_new_stock)
    return unknown_or_ruled(track, new_cat, format_key(target))


def follow_new_baseline(track: Track, standing: Standing, target: KeyPath, in_new_stock: Any,
                        new_default: tuple[bool, Any, str], out: OutputDocument, new_cat: Catalog,
                        ctx: Context) -> Verdict:
    """A key the user left at the old baseline's value follows the new baseline; where that changes what
    the server runs, the verdict says so (a new stock value is `changed`, a new default is `review`)."""
    found, default, where = new_default
    was = f"was the {standing.old_default_from} value"
    at = format_key(target)
    if in_new_stock is not None:
        return follow_new_stock(track, target, _plain(in_new_stock), was, where, out, new_cat)
    if found and same_value(default, track.value):
        return left_out(track, f"{was}; equals the {where}", default)
    if not found and has_items(target):
        put(track, target, out, None)  # an item is one unit: its keys stay together
        return Verdict(new_key=at, note=f"{was}; the {new_cat.version} stock file has no such item, so yours "
                                        f"stays whole")
    if ctx.keep_old_defaults:
        put(track, target, out, None)
        now = f"the {where} is {default!r}" if found else f"{new_cat.version} has no default for it"
        return Verdict(new_key=at, note=f"{was}; {now}: kept {track.value!r} (--keep-old-defaults)")
    if found:
        note = (f"{was}, {track.value!r}; the {where} is {default!r}, so the behaviour changes. "
                f"Set it to {track.value!r} to keep the old behaviour (--keep-old-defaults does)")
    elif new_cat.known.is_known(track.path):
        note = (f"{was}, {track.value!r}; the {new_cat.version} stock file no longer sets it and "
                f"{new_cat.version} has no default for it: left out, as WSO2 ships it. Set it to "
                f"{track.value!r} if you rely on it (--keep-old-defaults does)")
    else:
        note = f"{was}; {new_cat.version} does not read this key and no rule says what replaces it"
    return Verdict(action="review", new_key=None, new_value=default if found else None,
                   source=where or f"{new_cat.version} catalog", note=note)


def follow_new_stock(track: Track, target: KeyPath, new_value: Any, was: str, where: str, out: OutputDocument,
                     new_cat: Catalog) -> Verdict:
    """The new stock file sets the key: the output keeps its value."""
    if track.input_key.comment:
        out.set(target, new_value, track.input_key.comment)
    at = format_key(target)
    changes = not same_value(new_value, track.value)
    action = ruled_action(track)
    if changes and action in ("kept", "renamed", "moved"):
        return Verdict(action="changed", new_key=at, new_value=new_value, source=new_where_label(where, new_cat),
                       note=f"{was}; the {new_cat.version} stock file sets {new_value!r}")
    if action == "review" and track.events and all(met_by_new_stock(e.rule.id) for e in track.events):
        return Verdict(action="changed" if changes else "defaulted", new_key=at, new_value=new_value,
                       message=f"{was}; follows the {new_cat.version} stock file's {new_value!r}, which already "
                               f"does what the rule asks")
    return Verdict(new_key=at, new_value=new_value)


def left_out(track: Track, why: str, default: Any) -> Verdict:
    """A value equal to the new default is not written: the effective value stays what it was."""
    stays = ruled_action(track) not in ("kept", "renamed", "moved", "changed", "unknown")
    return Verdict(action=None if stays else "defaulted", new_key=None, new_value=default, note=why + "; left out")


def put(track: Track, target: KeyPath, out: OutputDocument, in_new_stock: Any) -> None:
    comment = track.input_key.comment
    if in_new_stock is None or not same_value(_plain(in_new_stock), track.value) or comment:
        out.set(target, track.value, comment)


def met_by_new_stock(rule_id: str) -> bool:
    from .rules.load import load_packs

    return any(r.id == rule_id and r.raw.get("met_by_new_stock") for p in load_packs() for r in p.rules)


def new_where_label(where: str, new_cat: Catalog) -> str:
    return where if "stock" in where else f"{new_cat.version} stock file"


def drop_empty_items(out: OutputDocument, appended: list[KeyPath]):
    """Items the carry-over appended but whose every key was left out leave no empty [[header]]. Returns how
    paths into later items of the same arrays shift (None when nothing was dropped)."""
    dropped = [item for item in sorted(appended, reverse=True) if out.drop_if_empty(item)]
    if not dropped:
        return None

    def shift(path: KeyPath) -> KeyPath:
        result = list(path)
        for item in dropped:
            n, dropped_index = len(item), item[-1]
            if len(result) < n or tuple(result[: n - 1]) != item[:-1]:
                continue
            seg = result[n - 1]
            if isinstance(seg, int) and isinstance(dropped_index, int) and seg > dropped_index:
                result[n - 1] = seg - 1
        return tuple(result)

    return shift


def in_output_items(path: KeyPath, item_index: dict[KeyPath, int]) -> KeyPath:
    result = list(path)
    for pos, seg in enumerate(path):
        if isinstance(seg, int) and tuple(path[: pos + 1]) in item_index:
            result[pos] = item_index[tuple(path[: pos + 1])]
    return tuple(result)


# ---- what the new stock file brings that the old server did not run --------------------------------
def introduced_by_new_stock(out: OutputDocument, written: set[KeyPath], customised_tables: set[KeyPath],
                            old: Baseline, new: Baseline, ctx: Context) -> list[Entry]:
    """The new stock file's own keys that change what the old server ran: each gets an entry. Beside the
    user's own customised keys, a new stock value changes what those settings do: that is a review."""
    from .formats.toml import walk

    entries = []
    back = {track.path: track.input_key.path for track in stock_through_rules(old, new.version, ctx)
            if track.live}
    role = _plain(out.get(role_path()))  # as user_role(out.data()) reads it, without the whole document's values
    new_implied = implied_by_role(new.catalog, role if isinstance(role, str) else None)
    for path, item in walk(out.doc):
        if path in written:
            continue
        value = _plain(item)
        found, default, _ = new.catalog.default(format_key(path)) if not has_items(path) else (False, None, None)
        if path in new_implied:
            found, default = True, new_implied[path]
        if found and same_value(default, value):
            continue
        old_path = back.get(path, path)
        before_found, before, before_where = old.default(old_path, None)
        if before_found and same_value(before, value):
            continue
        key = format_key(path)
        ran = f"the {old.version} server ran {before!r} ({before_where})" if before_found else \
            f"the {old.version} server did not set it"
        beside = next((t for t in customised_tables if path[: len(t)] == t and len(path) == len(t) + 1), None)
        action: Action = "review" if beside is not None else "added"
        message = f"the {new.label} sets {key} = {value!r}; {ran}"
        if beside is not None:
            message += (f". It sits beside your own settings in [{format_key(beside)}] and may change what they do: "
                        f"check it, or set it to what you need")
        entries.append(Entry(action, None, key, before if before_found else None, value,
                             source=new.label, message=message, origin=f"stock:{key}"))
    return entries


def _plain(node: Any) -> Any:
    return node.unwrap() if hasattr(node, "unwrap") else node
