"""The rule engine: hub keys in, hub keys out, each key carrying the story of what happened to it.

The engine never sees a file. It follows each input leaf (a Track) through the chained packs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..hub import ANY_ITEM, ANY_KEY, HubKey, KeyPath, format_key, matches, parse_key, substitute
from ..report import Action
from .model import Rule, RulePack
from .values import same_value, transform_value


@dataclass(slots=True)
class Event:
    """One thing a rule did to a key, for its report entry."""

    action: str  # renamed | moved | removed | changed | added | review
    rule: Rule
    message: str


@dataclass(slots=True)
class Track:
    """One key through the rules: where it came from, where it is now, its value, and what the rules did."""

    origin: HubKey | None  # None for a key that a rule added
    path: KeyPath  # where the key is now; for a removed key, where it was last
    value: Any
    events: list[Event] = field(default_factory=list)
    pinned: bool = False  # carried as a customisation even when it equals the old default (an answer chose it)
    removed: bool = False  # a rule removed the key: it is in no output, and no rule sees it any more

    @property
    def live(self) -> bool:
        return not self.removed

    @property
    def input_key(self) -> HubKey:
        """The input key a track follows (a track that a rule added has none)."""
        assert self.origin is not None, "a key that a rule added has no input key"
        return self.origin


@dataclass
class Context:
    """What rule guards read besides the keys: the profile, --keep-old-defaults and the answers file's choices."""

    profile: str | None = None
    keep_old_defaults: bool = False
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Standalone:
    """A finding about a key that no input leaf carries (a requirement, a changed default)."""

    action: Action
    key: str
    rule: Rule
    message: str
    old_value: Any = None
    new_value: Any = None


class _Node:
    __slots__ = ("children", "positions")

    def __init__(self) -> None:
        self.children: dict[Any, _Node] | None = None  # made for the first child: most nodes are a key's last segment
        self.positions: list[int] = []  # of the tracks that end here, in the state's list


class PathIndex:
    """The live tracks as a tree of their path segments: a pattern leads, segment by segment (a wildcard into the
    children it takes), to the only tracks that can match it, so a rule costs what it touches, not the whole file.
    A node holds its tracks' positions in the state's list (append-only): they sort the tracks found in the order
    they came."""

    def __init__(self, tracks: list[Track]) -> None:
        self.root = _Node()
        self.tracks = tracks
        for position in range(len(tracks)):
            self.add(position)

    def add(self, position: int) -> None:
        """The track at this position of the state's list, at its path."""
        track = self.tracks[position]
        if track.live:
            self._make(track.path).positions.append(position)

    def remove(self, track: Track) -> int | None:
        """The track out of the index (by identity: two tracks may hold equal values); its position, or None when it
        was not in."""
        node = self._find(track.path) if track.live else None
        if node is None:
            return None
        tracks = self.tracks
        found = next((i for i in node.positions if tracks[i] is track), None)
        if found is not None:
            node.positions[:] = [i for i in node.positions if tracks[i] is not track]
        return found

    def matching(self, pattern: KeyPath, prefix: bool) -> list[Track]:
        """The tracks whose path ``matches`` the pattern (with ``prefix``, also those below it), in the order they came:
        the walk follows a wildcard into the children it takes (``*`` the keys, ``[]`` the items) and no further."""
        frontier = [self.root]
        for seg in pattern:
            step: list[_Node] = []
            for node in frontier:
                children = node.children
                if not children:
                    continue
                if seg == ANY_KEY:
                    step.extend(child for key, child in children.items() if isinstance(key, str))
                elif seg == ANY_ITEM:
                    step.extend(child for key, child in children.items() if isinstance(key, int))
                else:
                    child = children.get(seg)
                    if child is not None:
                        step.append(child)
            frontier = step
            if not frontier:
                return []
        found: list[int] = []
        if prefix:
            stack = frontier
            while stack:
                node = stack.pop()
                found.extend(node.positions)
                if node.children:
                    stack.extend(node.children.values())
        else:
            for node in frontier:
                found.extend(node.positions)
        if len(found) > 1:
            found.sort()
        tracks = self.tracks
        return [tracks[i] for i in found]

    def _find(self, path: KeyPath) -> _Node | None:
        node: _Node | None = self.root
        for seg in path:
            node = node.children.get(seg) if node is not None and node.children is not None else None
        return node

    def _make(self, path: KeyPath) -> _Node:
        node = self.root
        for seg in path:
            if node.children is None:
                node.children = {}
            child = node.children.get(seg)
            if child is None:
                child = node.children[seg] = _Node()
            node = child
        return node


@dataclass
class HubState:
    """The keys the rules work on (a track each), their findings tied to no one key, and the keys the new
    baseline must keep out of the output."""

    tracks: list[Track]
    findings: list[Standalone] = field(default_factory=list)
    withheld: list[KeyPath] = field(default_factory=list)  # keys the new baseline must not bring into the output
    _index: PathIndex | None = field(default=None, repr=False, compare=False)
    _settled: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def from_keys(cls, keys: Iterable[HubKey]) -> "HubState":
        return cls([Track(k, k.path, k.value) for k in keys])

    def live(self) -> list[Track]:
        return [t for t in self.tracks if t.live]

    def add(self, track: Track) -> None:
        self.tracks.append(track)
        if self._index is not None:
            self._index.add(len(self.tracks) - 1)

    def move(self, track: Track, path: KeyPath) -> None:
        """Where a track is now; with ``remove``, the only ways the rules change a track's place."""
        position = self._index.remove(track) if self._index is not None else None
        track.path = path
        if self._index is not None and track.live:
            if position is None:
                position = next(i for i, t in enumerate(self.tracks) if t is track)
            self._index.add(position)

    def remove(self, track: Track) -> None:
        """A rule removed the key: its track keeps its last path and leaves the index."""
        if self._index is not None:
            self._index.remove(track)
        track.removed = True

    def settle(self) -> None:
        """The rules are done: the path index goes (a large file's weighs as much as its tracks) and the few
        lookups left scan the tracks."""
        self._index, self._settled = None, True

    def matching(self, pattern: KeyPath, prefix: bool = True) -> list[Track]:
        head = literal_head(pattern)
        if self._settled and head == pattern and not prefix:
            return [t for t in self.tracks if t.live and t.path == pattern]
        if not head or self._settled:
            return [t for t in self.tracks if t.live and matches(pattern, t.path, prefix=prefix)]
        if self._index is None:
            self._index = PathIndex(self.tracks)
        return self._index.matching(pattern, prefix)

    def present(self, pattern: KeyPath) -> bool:
        return bool(self.matching(pattern))

    def value_at(self, path: KeyPath) -> Any:
        for t in self.matching(path, prefix=False):
            return t.value
        return None


def literal_head(pattern: KeyPath) -> KeyPath:
    """The segments of a pattern before its first wildcard."""
    for i, seg in enumerate(pattern):
        if seg in (ANY_KEY, ANY_ITEM):
            return pattern[:i]
    return pattern


def run(keys: Iterable[HubKey], packs: list[RulePack], ctx: Context | None = None) -> HubState:
    state = HubState.from_keys(keys)
    ctx = ctx or Context()
    for pack in packs:
        for rule in pack.rules:
            apply_rule(state, rule, ctx)
    return state


def apply_rule(state: HubState, rule: Rule, ctx: Context) -> None:
    if not _rule_guards_hold(state, rule, ctx):
        return
    handler = _choose if rule.raw.get("choice") else _HANDLERS[rule.op]
    handler(state, rule, ctx)


def _rule_guards_hold(state: HubState, rule: Rule, ctx: Context) -> bool:
    when = rule.when
    profiles = when.get("profile")
    if profiles:
        wanted = [profiles] if isinstance(profiles, str) else list(profiles)
        if (ctx.profile or "all-in-one") not in wanted:
            return False
    for key in _as_list(when.get("present")):
        if not state.present(parse_key(key)):
            return False
    for key in _as_list(when.get("absent")):
        if state.present(parse_key(key)):
            return False
    for key, value in (when.get("equals") or {}).items():
        if not same_value(state.value_at(parse_key(key)), value):
            return False
    for key, values in (when.get("one_of") or {}).items():
        path = parse_key(key)
        if not any((v is None and not state.present(path)) or (v is not None and same_value(state.value_at(path), v))
                   for v in values):
            return False
    return True


def _value_guard_holds(track: Track, rule: Rule) -> bool:
    when = rule.when
    if "value" in when and not same_value(track.value, when["value"]):
        return False
    return "value_in" not in when or any(same_value(track.value, v) for v in when["value_in"])


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _targets(state: HubState, rule: Rule, prefix: bool = True) -> list[tuple[KeyPath, Track]]:
    found = []
    for pattern in rule.keys:
        for track in state.matching(pattern, prefix=prefix):
            if _value_guard_holds(track, rule):
                found.append((pattern, track))
    return found


def _message(rule: Rule, default: str) -> str:
    return rule.message or default


def _rename(state: HubState, rule: Rule, ctx: Context) -> None:
    for pattern, track in _targets(state, rule):
        assert rule.to is not None, "a rename or move rule has a target (model checks it)"
        new_path = substitute(pattern, rule.to, track.path)
        if new_path == track.path:
            continue
        clash = [t for t in state.matching(new_path, prefix=False) if t is not track]
        if clash:
            track.events.append(Event("review", rule, (
                f"both {format_key(track.path)} and {format_key(new_path)} are set; "
                f"kept {format_key(new_path)}, dropped this one. " + rule.message).strip()))
            state.remove(track)
            continue
        old_path = track.path
        same_table = len(new_path) == len(old_path) and new_path[:-1] == old_path[:-1]
        action = "renamed" if same_table or rule.op == "rename" else "moved"
        track.events.append(Event(action, rule, _message(rule, f"{action} to {format_key(new_path)}")))
        state.move(track, new_path)


def _remove(state: HubState, rule: Rule, ctx: Context) -> None:
    for _, track in _targets(state, rule):
        track.events.append(Event("removed", rule, _message(rule, "no longer exists in the target version")))
        state.remove(track)


def _set(state: HubState, rule: Rule, ctx: Context) -> None:
    targets = _targets(state, rule, prefix=False)
    for _, track in targets:
        if not same_value(track.value, rule.value):
            track.events.append(Event("changed", rule, _message(rule, f"set to {rule.value!r}")))
            track.value = rule.value
    if not targets and all(not any(isinstance(s, int) or s == "*" for s in k) for k in rule.keys):
        for key in rule.keys:
            track = Track(None, key, rule.value)
            track.events.append(Event("added", rule, _message(rule, "added by the migration")))
            state.add(track)


def _transform(state: HubState, rule: Rule, ctx: Context) -> None:
    for _, track in _targets(state, rule, prefix=False):
        assert rule.transform is not None, "a transform rule has a transform (model checks it)"
        outcome = transform_value(track.value, rule.transform)
        if outcome.split_into:
            _split(state, track, rule, outcome.split_into)
        elif not same_value(outcome.value, track.value) or type(outcome.value) is not type(track.value):
            track.events.append(Event("changed", rule, _message(rule, "value converted")))
            track.value = outcome.value


def _split(state: HubState, track: Track, rule: Rule, parts: list[tuple[str, Any]]) -> None:
    parent = track.path[:-1]
    (first_key, first_value), rest = parts[0], parts[1:]
    track.events.append(Event("moved", rule, _message(rule, "split into " + ", ".join(k for k, _ in parts))))
    state.move(track, parent + (first_key,))
    track.value = first_value
    for key, value in rest:
        extra = Track(None, parent + (key,), value)
        assert track.origin is not None, "only a key read from the input is split"
        extra.events.append(Event("added", rule, _message(rule, f"split from {format_key(track.origin.path)}")))
        state.add(extra)


def _require(state: HubState, rule: Rule, ctx: Context) -> None:
    for key in rule.keys:
        if not state.present(key):
            message = _message(rule, "the target needs this key")
            state.findings.append(Standalone("review", format_key(key), rule, message))


def _warn(state: HubState, rule: Rule, ctx: Context) -> None:
    targets = _targets(state, rule)
    for _, track in targets:
        track.events.append(Event("review", rule, rule.message))
    if not targets and rule.when.get("absent"):
        for key in rule.keys:
            state.findings.append(Standalone("review", format_key(key), rule, rule.message))


def _default_change(state: HubState, rule: Rule, ctx: Context) -> None:
    for key in rule.keys:
        if state.present(key):
            continue
        switch = f" To keep the old behaviour server-wide, WSO2 offers {rule.keep_switch}." if rule.keep_switch else ""
        if ctx.keep_old_defaults and not any(isinstance(s, int) or s == "*" for s in key):
            track = Track(None, key, rule.old)
            track.events.append(Event("added", rule, (
                f"default changes from {rule.old!r} to {rule.new!r}; pinned the old value (--keep-old-defaults). "
                + rule.message).strip()))
            state.add(track)
        else:
            state.findings.append(Standalone(
                "review", format_key(key), rule,
                (f"you rely on the default, which changes from {rule.old!r} to {rule.new!r}. "
                 f"{rule.message}{switch} --keep-old-defaults pins the old value.").strip(),
                old_value=rule.old, new_value=rule.new))


def _list_to_keys(state: HubState, rule: Rule, ctx: Context) -> None:
    """Each item of a list becomes a key of its own: ``to`` with its ``*`` replaced by the item, set to ``value``."""
    assert rule.to is not None, "a list_to_keys rule has a target (model checks it)"
    to = rule.to
    for _, track in _targets(state, rule, prefix=False):
        items = track.value if isinstance(track.value, list) else [track.value]
        paths = [tuple(str(item) if seg == ANY_KEY else seg for seg in to) for item in items]
        taken = [p for p in paths if state.matching(p, prefix=False)]
        note = _message(rule, "each item became a key of its own")
        if not paths:
            track.events.append(Event("removed", rule, note + " (the list was empty)"))
            state.remove(track)
            continue
        for path in taken:
            for other in state.matching(path, prefix=False):
                if not same_value(other.value, rule.value):
                    other.events.append(Event("changed", rule, f"{note} (listed in {_origin_key(track)})"))
                    other.value = rule.value
        fresh = [p for p in paths if p not in taken]
        if not fresh:
            track.events.append(Event("removed", rule, f"{note}; every item already had {format_key(to)}"))
            state.remove(track)
            continue
        track.events.append(Event("moved", rule, f"{note}: " + ", ".join(format_key(p) for p in fresh)))
        state.move(track, fresh[0])
        track.value = rule.value
        for path in fresh[1:]:
            extra = Track(None, path, rule.value)
            extra.events.append(Event("added", rule, f"{note} (from {_origin_key(track)})"))
            state.add(extra)


def _origin_key(track: Track) -> str:
    assert track.origin is not None, "only a key read from the input becomes keys of its own"
    return format_key(track.origin.path)


def _fill(state: HubState, rule: Rule, ctx: Context) -> None:
    """Each table or array item that the key's parent pattern matches gets the key with ``value`` when it lacks it."""
    for key in rule.keys:
        parent, leaf = key[:-1], key[-1]
        holders: dict[KeyPath, None] = {}
        for track in state.matching(parent, prefix=True):
            holders.setdefault(track.path[: len(parent)], None)
        for holder in holders:
            path = holder + (leaf,)
            if not state.matching(path, prefix=True):
                track = Track(None, path, rule.value)
                track.events.append(Event("added", rule, _message(rule, f"set to {rule.value!r}")))
                state.add(track)


def _withhold(state: HubState, rule: Rule, ctx: Context) -> None:
    """A key the file lacks stays out of the output, though the new baseline sets it; reported once."""
    for key in rule.keys:
        if state.present(key):
            continue
        state.withheld.append(key)
        state.findings.append(Standalone("review", format_key(key), rule, rule.message))


def chosen_option(rule: Rule, ctx: Context) -> tuple[str, bool]:
    """The option the answers pick for a choice rule, and whether an answer picked it (else the default)."""
    choice = rule.raw["choice"]
    answer: Any = (ctx.answers.get("rules") or {}).get(rule.id)
    if answer in choice["options"]:
        return answer, True
    return choice["default"], False


def _choose(state: HubState, rule: Rule, ctx: Context) -> None:
    """A rule that needs a human choice: apply the answered option, or the documented default as review."""
    targets = _targets(state, rule)
    if not targets:
        return
    name, answered = chosen_option(rule, ctx)
    option = rule.raw["choice"]["options"][name] or {}
    summary = option.get("summary", name)
    if answered:
        note = f"answers file: {rule.id}: {name} ({summary})"
    else:
        names = "|".join(rule.raw["choice"]["options"])
        note = (f"{rule.message} No answer in .k8s-migrate.yaml; took the default {name!r} ({summary}); "
                f"add `rules: {{{rule.id}: {names}}}` to decide.").strip()
    for _, track in targets:
        changes = "value" in option and not same_value(track.value, option["value"])
        if changes:
            track.value = option["value"]
        track.pinned = track.pinned or bool(option.get("pin"))
        action = "review" if not answered else ("changed" if changes else "kept")
        track.events.append(Event(action, rule, note))
    for key, items in (option.get("add_items") or {}).items():
        _add_items(state, parse_key(key), list(items), rule, note if answered else summary)


def _add_items(state: HubState, key: KeyPath, items: list[Any], rule: Rule, note: str) -> None:
    found = state.matching(key, prefix=False)
    for track in found:
        current = track.value if isinstance(track.value, list) else [track.value]
        missing = [i for i in items if not any(same_value(i, c) for c in current)]
        if missing:
            track.value = current + missing
            track.events.append(Event("changed", rule, f"added {', '.join(map(str, missing))}; {note}"))
    if not found:
        track = Track(None, key, items)
        track.events.append(Event("added", rule, note))
        state.add(track)


_HANDLERS = {
    "rename": _rename,
    "move": _rename,
    "remove": _remove,
    "set": _set,
    "transform": _transform,
    "require": _require,
    "warn": _warn,
    "default_change": _default_change,
    "list_to_keys": _list_to_keys,
    "fill": _fill,
    "withhold": _withhold,
}
