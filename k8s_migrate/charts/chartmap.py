"""Chart maps: which Helm values path feeds which deployment.toml key, for one chart version.

Built-in maps ship as JSON under ``mappings/charts/`` (see ``scripts/derive_chart_maps.py``);
a chart directory given by path (a fork too) is analysed on the fly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from k8s_migrate.data import mappings_dir
from k8s_migrate.errors import UsageError
from k8s_migrate.hub import ANY_ITEM, ANY_KEY, KeyPath, format_key, matches, parse_key, substitute, unflatten
from k8s_migrate.request import known_version

from .builtin import builtin_ids, resolve_id
from .effective import GuardVerdicts, offer_guards

if TYPE_CHECKING:  # pathlib is imported only for a chart directory (derive), not on the built-in maps' path
    from pathlib import Path

HOLE = "{}"
OTHER_HOLE = re.compile(r"\{\{.*?\}\}")
ADD = re.compile(r"^add\s+(-?\d+)$")


Key = TypeVar("Key", str, KeyPath)  # a key as text, or as its segments


class UnknownChartError(ValueError):
    """A chart id that is neither built in nor a chart directory."""


TRANSLATIONS_KEPT = 65536  # path shapes whose matching links a LinkIndex keeps (past this, it starts again from none)


@dataclass(slots=True, unsafe_hash=True)
class ChartLink:
    """One link of a chart map: the values path a template reads, and the deployment.toml key it renders. Read,
    never edited, but not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, and the
    two maps of a values run make hundreds of links (a fifth of unpickling a kept map went to it); the hash is the
    frozen one's (of the fields)."""

    values: str
    toml: str | None  # None for an embedded link whose TOML text has no table of its own
    kind: str  # direct | pattern | list | subtree | embedded
    instance: str | None = None
    line: int | None = None  # the template line
    guard: str | None = None  # the Go-template condition around it
    pattern: str | None = None  # the TOML value with {} where the values entry goes
    filter: str | None = None  # an arithmetic filter (add N)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ChartLink":
        """A link as the chart map files (and derive_chart) write it."""
        return cls(**{k: v for k, v in data.items() if k in _LINK_FIELDS})

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        """Pickled as its fields in order, read back through __init__: a kept map holds hundreds of links, and
        dataclasses' own __setstate__ sets them one by one through object.__setattr__."""
        return ChartLink, tuple(getattr(self, name) for name in _LINK_FIELD_ORDER)


_LINK_FIELDS = frozenset(ChartLink.__dataclass_fields__)
_LINK_FIELD_ORDER = tuple(ChartLink.__dataclass_fields__)


@dataclass
class ChartMap:
    """A chart's map: its instances, and the links between its values paths and the deployment.toml keys."""

    id: str
    name: str | None
    version: str | None
    app_version: str | None
    source: dict[str, Any]
    instances: list[dict[str, Any]]
    links: list[ChartLink]
    constants: list[dict[str, Any]] = field(default_factory=list)
    guards: list[dict[str, Any]] = field(default_factory=list)
    guard_only: list[str] = field(default_factory=list)
    commented: list[dict[str, Any]] = field(default_factory=list)
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)  # the chart's fail calls and their guards
    defaults: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    _tree: tuple[int, dict[str, Any]] | None = field(default=None, init=False, repr=False, compare=False)
    _parents: tuple[int, frozenset[str]] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ChartMap":
        names = cls.__dataclass_fields__
        fields = {k: v for k, v in data.items() if k in names}
        fields["links"] = [ChartLink.from_dict(link) for link in data.get("links", [])]
        return cls(**fields)

    def __getstate__(self) -> dict[str, Any]:
        """The map as pickle keeps it (datacache), with the indexes still built for its own links and defaults."""
        state = dict(self.__dict__)
        if self._tree is not None and self._tree[0] != id(self.defaults):
            state["_tree"] = None
        if self._parents is not None and self._parents[0] != id(self.defaults):
            state["_parents"] = None
        for built in ("_link_indexes", "_link_shapes"):
            if state.get(built, (id(self.links),))[0] != id(self.links):
                del state[built]
        state.pop("_constant_keys", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled: the indexes kept are those of these links and defaults (now other objects)."""
        self.__dict__.update(state)
        if self._tree is not None:
            self._tree = (id(self.defaults), self._tree[1])
        if self._parents is not None:
            self._parents = (id(self.defaults), self._parents[1])
        for built in ("_link_indexes", "_link_shapes"):
            if built in state:
                self.__dict__[built] = (id(self.links), state[built][1])

    def all_guards(self) -> frozenset[str]:
        """The guards of the links, the constants and the requirements (what guard_holds is asked of this map)."""
        return frozenset({link.guard for link in self.links if link.guard}
                         | {c["guard"] for c in (*self.constants, *self.requirements) if c.get("guard")})

    def defaults_tree(self) -> dict[str, Any]:
        """The defaults as nested values, built once per map (shared: nothing may edit the tree)."""
        if self._tree is None or self._tree[0] != id(self.defaults):
            self._tree = (id(self.defaults), unflatten(self.defaults))
        return self._tree[1]

    def default_parents(self) -> frozenset[str]:
        """Every key text that stands above a default (``a`` and ``a.b`` above ``a.b[0].c``), once per map."""
        if self._parents is None or self._parents[0] != id(self.defaults):
            found = {text[:m.start()] for text in self.defaults for m in re.finditer(r"[.\[]", text) if m.start()}
            self._parents = (id(self.defaults), frozenset(found))
        return self._parents[1]

    def values_to_toml(self, values_path: str | KeyPath, instance: str | None = None) -> list[tuple[str, ChartLink]]:
        """TOML keys fed by a values path (concrete or with wildcards; its text or its segments), with the link
        that says how."""
        return self._translate(values_path, "values", "toml", instance)

    def toml_to_values(self, toml_key: str | KeyPath, instance: str | None = None) -> list[tuple[str, ChartLink]]:
        """Values paths that feed a TOML key (its text or its segments), with the link that says how."""
        return self._translate(toml_key, "toml", "values", instance)

    def values_to_toml_paths(self, values_path: KeyPath) -> list[tuple[KeyPath, ChartLink]]:
        """values_to_toml, each TOML key as its segments."""
        return self._translate_paths(values_path, "values", "toml")

    def toml_to_values_paths(self, toml_path: KeyPath) -> list[tuple[KeyPath, ChartLink]]:
        """toml_to_values, each values path as its segments."""
        return self._translate_paths(toml_path, "toml", "values")

    def _translate(self, key: str | KeyPath, side: str, other: str,
                   instance: str | None) -> list[tuple[str, ChartLink]]:
        path = parse_key(key) if isinstance(key, str) else key
        index = self._link_index(side, other)
        if index is None:
            return self._translate_slowly(path, side, other, instance)
        return [(format_key(target), link) for target, link in self._translate_indexed(index, path, instance)]

    def _translate_paths(self, path: KeyPath, side: str, other: str) -> list[tuple[KeyPath, ChartLink]]:
        index = self._link_index(side, other)
        if index is None:
            return [(parse_key(text), link) for text, link in self._translate_slowly(path, side, other, None)]
        return self._translate_indexed(index, path, None)

    @staticmethod
    def _translate_indexed(index: "LinkIndex", path: KeyPath,
                           instance: str | None) -> list[tuple[KeyPath, ChartLink]]:
        out: list[tuple[KeyPath, ChartLink]] = []
        targets: dict[tuple[int, int], KeyPath] = {}  # links of several instances share their patterns
        for link, here, there in index.matching(path):
            if instance and link.instance != instance:
                continue
            target = targets.get((id(here), id(there)))
            if target is None:
                target = targets[(id(here), id(there))] = substitute(here, there, path)
            out.append((target, link))
        return out

    def _link_index(self, side: str, other: str) -> "LinkIndex | None":
        """The links parsed once, in a trie by segment; rebuilt when ``links`` is replaced (a copy)."""
        built_for, indexes = self.__dict__.get("_link_indexes", (None, {}))
        if built_for != id(self.links):
            built_for, indexes = id(self.links), {}
            self.__dict__["_link_indexes"] = (built_for, indexes)
        if side not in indexes:
            indexes[side] = LinkIndex.build(self.links, side, other)
        return indexes[side]

    def link_shapes(self) -> list[LinkShape | None]:
        """link_shape of each link, in order (None where a key does not parse: asked of the link, it raises); built
        once and kept with the map as the indexes are, rebuilt when ``links`` is replaced. Links of the same
        patterns (one per instance) share one shape, which a kept map then holds once."""
        built_for, shapes = self.__dict__.get("_link_shapes", (None, None))
        if built_for != id(self.links) or shapes is None:
            by_patterns: dict[tuple[str, str | None], LinkShape | None] = {}
            shapes = []
            for link in self.links:
                patterns = (link.values, link.toml)
                if patterns not in by_patterns:
                    by_patterns[patterns] = _shape_or_none(link)
                shapes.append(by_patterns[patterns])
            self.__dict__["_link_shapes"] = (id(self.links), shapes)
        return shapes

    def _translate_slowly(self, path: KeyPath, side: str, other: str,
                          instance: str | None) -> list[tuple[str, ChartLink]]:
        out: list[tuple[str, ChartLink]] = []
        seen: set[tuple[str, int]] = set()
        for link in self.links:
            here_text, there_text = getattr(link, side), getattr(link, other)
            if there_text is None or here_text is None or (instance and link.instance != instance):
                continue
            here, there = parse_key(here_text), parse_key(there_text)
            if not (matches(here, path) or (link.kind == "subtree" and matches(here, path, prefix=True))):
                continue
            target = format_key(substitute(here, there, path))
            if (target, id(link)) not in seen:
                seen.add((target, id(link)))
                out.append((target, link))
        return out

    def stock_value(self, toml_key: str, instance: str | None = None) -> list[dict[str, Any]]:
        """The literal values the chart fixes for a TOML key (with their guards)."""
        path = parse_key(toml_key)
        index = self._constant_index()
        if index is None:
            return [c for c in self.constants
                    if matches(parse_key(c["toml"]), path) and (not instance or c.get("instance") == instance)]
        exact, patterned = index
        positions = exact.get(path, ())
        if patterned:
            positions = sorted([*positions, *(p for p, pattern in patterned if matches(pattern, path))])
        return [c for c in map(self.constants.__getitem__, positions)
                if not instance or c.get("instance") == instance]

    def _constant_index(self) -> tuple[dict[KeyPath, list[int]], list[tuple[int, KeyPath]]] | None:
        """The constants' keys parsed once: positions by key, and the keys with wildcards to match (a large file
        asks for each of its keys); None when a key does not parse (asked of it, it raises)."""
        built_for, index = self.__dict__.get("_constant_keys", (None, None))
        if built_for != id(self.constants):
            index = None
            exact: dict[KeyPath, list[int]] = {}
            patterned: list[tuple[int, KeyPath]] = []
            try:
                for position, const in enumerate(self.constants):
                    pattern = parse_key(const["toml"])
                    if ANY_KEY in pattern or ANY_ITEM in pattern:
                        patterned.append((position, pattern))
                    else:
                        exact.setdefault(pattern, []).append(position)
                index = (exact, patterned)
            except ValueError:
                pass
            self.__dict__["_constant_keys"] = (id(self.constants), index)
        return index


ITEMS = ("[]", ANY_ITEM)  # a list path's "each item" segment
# a link's patterns as a model of the rendering expands them: values and TOML pattern, whether a list of scalars
# renders as one TOML array (``whole``: then without their item segment), their texts cut at the item segments, and
# the positions of the item segments in the values pattern
LinkShape = tuple[KeyPath, KeyPath, bool, list[str] | None, list[str] | None, tuple[int, ...]]


def link_shape(link: ChartLink) -> LinkShape:
    """The link's patterns parsed, as migrate.default_changes expands them over values (ChartMap.link_shapes keeps
    them: parsing and cutting them took a tenth of a values migration's model of both charts)."""
    values_pattern, toml_pattern = parse_key(link.values), parse_key(link.toml)
    whole = bool(values_pattern) and values_pattern[-1] in ITEMS and toml_pattern[-1:] == values_pattern[-1:]
    if whole:  # a list of scalars renders as one TOML array
        values_pattern, toml_pattern = values_pattern[:-1], toml_pattern[:-1]
    slots = tuple(i for i, seg in enumerate(values_pattern) if seg in ITEMS)
    return values_pattern, toml_pattern, whole, item_pieces(values_pattern), item_pieces(toml_pattern), slots


def _shape_or_none(link: ChartLink) -> LinkShape | None:
    try:
        return link_shape(link)
    except (ValueError, TypeError):
        return None


def item_pieces(pattern: KeyPath) -> list[str] | None:
    """A pattern's text cut at its item segments (``[]``), which the expansion fills in order with the items'
    indices: the concrete path's text without formatting it. None when a quoted key holds ``[]`` itself."""
    text = format_key(pattern) if pattern else ""
    pieces = text.split("[]")
    return pieces if pattern and len(pieces) - 1 == sum(seg in ITEMS for seg in pattern) else None


TrieNode = tuple[dict[Any, "TrieNode"], tuple[int, ...], tuple[int, ...]]  # children by segment, exact, subtree links
_TrieBuilt = tuple[dict[Any, "_TrieBuilt"], list[int], list[int]]  # a node while LinkIndex.build adds to it


class LinkIndex:
    """Links of one side as a segment trie: a lookup visits only the branches a path can match
    (``matches`` semantics: ``*`` takes any key, ``[]`` any item; a subtree link also matches below)."""

    def __init__(self) -> None:
        self.entries: list[tuple[ChartLink, KeyPath, KeyPath]] = []
        self.root: TrieNode = ({}, (), ())
        self.indices: set[int] = set()  # the item indices some link names (``environment[0]``)
        self.by_shape: dict[KeyPath, list[tuple[ChartLink, KeyPath, KeyPath]]] = {}

    @classmethod
    def build(cls, links: list[ChartLink], side: str, other: str) -> "LinkIndex | None":
        """None when a link's key does not parse (the slow path then raises as it always did)."""
        index = cls()
        root: _TrieBuilt = ({}, [], [])
        patterns: dict[KeyPath, KeyPath] = {}  # one tuple per pattern: the instances' links share theirs
        for link in links:
            here_text, there_text = getattr(link, side), getattr(link, other)
            if there_text is None or here_text is None:
                continue
            try:
                here, there = parse_key(here_text), parse_key(there_text)
            except ValueError:
                return None
            here, there = patterns.setdefault(here, here), patterns.setdefault(there, there)
            node = root
            for seg in here:
                node = node[0].setdefault(seg, ({}, [], []))
                if isinstance(seg, int) and seg != ANY_ITEM:
                    index.indices.add(seg)
            position = len(index.entries)
            index.entries.append((link, here, there))
            node[1].append(position)
            if link.kind == "subtree":
                node[2].append(position)
        index.root = _compact(root, {})
        return index

    def matching(self, path: KeyPath) -> list[tuple[ChartLink, KeyPath, KeyPath]]:
        """The entries whose key matches ``path``, in link order. Kept per shape: the path with each item index
        that no link names replaced by ``[]`` (a file's list items ask the same, item after item)."""
        indices = self.indices
        shape = tuple([ANY_ITEM if isinstance(seg, int) and seg not in indices else seg for seg in path])
        found = self.by_shape.get(shape)
        if found is None:
            if len(self.by_shape) >= TRANSLATIONS_KEPT:
                self.by_shape.clear()
            unique = {id(self.entries[p][0]): self.entries[p] for p in sorted(self.candidates(shape))}
            found = self.by_shape[shape] = list(unique.values())
        return found

    def candidates(self, path: KeyPath) -> set[int]:
        found: set[int] = set()
        frontier = [self.root]
        for seg in path:
            wildcard = ANY_ITEM if isinstance(seg, int) else ANY_KEY
            step = []
            for children, _, subtree in frontier:
                found.update(subtree)
                for key in (seg, wildcard) if seg != wildcard else (seg,):
                    if key in children:
                        step.append(children[key])
            frontier = step
            if not frontier:
                return found
        for _, exact, _ in frontier:
            found.update(exact)
        return found


def _compact(node: _TrieBuilt, empty: dict[Any, TrieNode]) -> TrieNode:
    """A built trie read-only: positions as tuples, and each empty dict and tuple one object (a kept map's two
    indexes unpickle in a quarter fewer instructions)."""
    children, exact, subtree = node
    kept = {seg: _compact(child, empty) for seg, child in children.items()} if children else empty
    return kept, tuple(exact) if exact else (), tuple(subtree) if subtree else ()


def apply_pattern(pattern: str | None, value: Any, filt: str | None = None) -> Any:
    """The TOML value a values entry renders to through a link's pattern and arithmetic filter."""
    value = _apply_add(filt, value, +1)
    if not pattern or pattern == HOLE:
        return value
    return pattern.replace(HOLE, str(value), 1)


def invert_pattern(pattern: str | None, toml_value: Any, filt: str | None = None) -> Any:
    """The values entry that renders to ``toml_value``; None when the value does not fit the pattern."""
    if pattern and pattern != HOLE:
        if not isinstance(toml_value, str):
            return None
        regex = ""
        for piece in re.split(r"(\{\{.*?\}\}|\{\})", pattern):
            if piece == HOLE:
                regex += "(?P<hole>.*?)"
            elif OTHER_HOLE.fullmatch(piece or "x"):
                regex += ".*?"
            else:
                regex += re.escape(piece)
        m = re.fullmatch(regex, toml_value, re.S)
        if not m:
            return None
        toml_value = m.group("hole")
    return _apply_add(filt, toml_value, -1)


def _apply_add(filt: str | None, value: Any, sign: int) -> Any:
    m = ADD.match(filt or "")
    if not m:
        return value
    try:
        return int(value) + sign * int(m.group(1))
    except (TypeError, ValueError):
        return value


def load_chart_map(chart: str | Path) -> ChartMap:
    """A built-in chart map by id, or the map of a chart directory derived on the fly."""
    text = str(chart)
    folder = os.path.expanduser(text)
    if os.path.isdir(folder) and os.path.isfile(os.path.join(folder, "Chart.yaml")):
        from pathlib import Path

        from k8s_migrate.charts.derive import derive_chart

        path = Path(folder)
        return ChartMap.from_dict(derive_chart(path, source={"path": str(path)}))
    chart_id = resolve_id(text)
    if chart_id is None:
        import difflib

        close = difflib.get_close_matches(text, list(builtin_ids()), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownChartError(f"unknown chart {text!r} (not a built-in id or a chart directory){hint}")
    return builtin_map(builtin_ids()[chart_id])


@lru_cache(maxsize=None)
def builtin_map(file_name: str) -> ChartMap:
    """A built-in map, read once per process (shared: callers read it and never edit it), with its indexes; kept
    between runs in the user's cache (datacache): building them took a tenth of a values proof's run."""
    from k8s_migrate.datacache import kept

    chart_map = kept(f"chart-map-{file_name.replace('/', '-')}", [f"charts/{file_name}"], CODE,
                     lambda: indexed(read_builtin_map(file_name)))
    offer_guards(f"charts/{file_name}", chart_map.all_guards())
    return chart_map


CODE = (__name__, "k8s_migrate.hub", "k8s_migrate.data", "k8s_migrate.datacache")  # what a kept map is built by


def read_builtin_map(file_name: str) -> ChartMap:
    import json  # here: a map kept in the data cache is read without the json package

    with open(mappings_dir() / "charts" / file_name, encoding="utf-8") as fh:
        return ChartMap.from_dict(json.load(fh))


def indexed(chart_map: ChartMap) -> ChartMap:
    """The map with the indexes a migration asks (links both ways, the defaults as a tree and their parents)."""
    chart_map._link_index("values", "toml")
    chart_map._link_index("toml", "values")
    chart_map.link_shapes()
    chart_map.defaults_tree()
    chart_map.default_parents()
    return chart_map


def load_map(chart: str) -> ChartMap:
    try:
        return load_chart_map(chart)
    except (UnknownChartError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None


def chart_version(chart_map: ChartMap, given: str | None, flag: str) -> str:
    version = given or chart_map.app_version
    if not version:
        raise UsageError(f"chart {chart_map.id} has no appVersion; give {flag}")
    return known_version(version)


def first_instance(chart_map: ChartMap) -> str | None:
    return chart_map.instances[0]["instance"] if chart_map.instances else None


def in_first_instance(chart_map: ChartMap, links: list[tuple[Key, ChartLink]]) -> list[tuple[Key, ChartLink]]:
    """The links of the chart's first instance, or all of them when it has none of these."""
    first = first_instance(chart_map)
    return [(k, link) for k, link in links if link.instance == first] or links if first else links


def to_toml(chart_map: ChartMap, path: KeyPath, value: Any,
            links: list[tuple[Key, ChartLink]] | None = None) -> tuple[Key, ChartLink] | None:
    """The TOML key a values leaf feeds, preferring unguarded links. ``links``: the path's values_to_toml (or
    values_to_toml_paths: the key comes as they give it)."""
    asked: list[tuple[Any, ChartLink]] = chart_map.values_to_toml(path) if links is None else links
    found = [(k, link) for k, link in in_first_instance(chart_map, asked) if link.kind != "embedded"]
    if not found:
        return None
    found.sort(key=lambda kl: (bool(kl[1].guard), kl[1].kind == "pattern"))
    return found[0]


def to_values(chart_map: ChartMap, toml_key: str | KeyPath, prefer: str | None = None,
              values: dict[str, Any] | GuardVerdicts | None = None) -> tuple[str, ChartLink] | None:
    """The values path that feeds a TOML key in the new chart.

    Links whose guard is false under the values (the new chart's defaults under the user's own)
    lose to links whose guard holds; among the rest the user's own path wins, then unguarded links.
    ``values`` may come as their GuardVerdicts, which a caller asking many keys keeps.
    """
    return _preferred(chart_map, chart_map.toml_to_values(toml_key), prefer, values)


def to_values_path(chart_map: ChartMap, toml_path: KeyPath, prefer: KeyPath | None = None,
                   values: dict[str, Any] | GuardVerdicts | None = None,
                   links: list[tuple[KeyPath, ChartLink]] | None = None) -> tuple[KeyPath, ChartLink] | None:
    """to_values with paths as segments. ``links``: the key's toml_to_values_paths."""
    return _preferred(chart_map, chart_map.toml_to_values_paths(toml_path) if links is None else links, prefer, values)


def _preferred(chart_map: ChartMap, links: list[tuple[Key, ChartLink]], prefer: Key | None,
               values: dict[str, Any] | GuardVerdicts | None) -> tuple[Key, ChartLink] | None:
    found = [(k, link) for k, link in links if link.kind != "embedded"]
    if not found:
        return None
    first = first_instance(chart_map)
    judge = values if isinstance(values, GuardVerdicts) else GuardVerdicts(values)
    verdicts = {id(link): judge(link.guard) for _, link in found}
    found.sort(key=lambda kl: (verdicts[id(kl[1])] is False, kl[0] != prefer, kl[1].instance != first,
                               bool(kl[1].guard), kl[1].kind == "pattern"))
    return found[0]


def embedded_link(chart_map: ChartMap, path: KeyPath,
                  links: list[tuple[Key, ChartLink]] | None = None) -> ChartLink | None:
    """The link of a values string the chart pastes into deployment.toml as TOML text (extraConfigs)."""
    for _, link in chart_map.values_to_toml(path) if links is None else links:
        if link.kind == "embedded":
            return link
    return None
