"""Per-version key catalogs: which deployment.toml keys an API-M version knows, and their defaults.

The data is ``mappings/catalog/<version>.json``, derived by ``scripts/derive_catalogs.py``
(format: ``mappings/catalog/README.md``).  Every key string there is in hub text form.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from itertools import repeat
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .data import load_json
from .hub import (
    ANY_ITEM,
    ANY_KEY,
    KeyPath,
    KeyPathError,
    flatten,
    format_key,
    matches,
    parse_key,
    strip_indices,
    stripped_keys,
)
from .versions import VersionError, normalise_version

_NOT_FOUND = object()
_NO_SIBLINGS: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


class UnknownVersionError(VersionError):
    pass


_REF = re.compile(r"\$ref\{([^}]*)\}")


def _walk(value: Any, rest: KeyPath) -> Any:
    """Follow ``rest`` into a table / array-of-tables value; ``[]`` matches the first item that has it."""
    for i, seg in enumerate(rest):
        if isinstance(value, dict) and isinstance(seg, str) and seg in value:
            value = value[seg]
        elif isinstance(value, list) and isinstance(seg, int):
            if seg == ANY_ITEM:
                found = (_walk(item, rest[i + 1:]) for item in value)
                return next((v for v in found if v is not _NOT_FOUND), _NOT_FOUND)
            if seg >= len(value):
                return _NOT_FOUND
            value = value[seg]
        else:
            return _NOT_FOUND
    return value


def _is_container(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and isinstance(value[0], dict))


def infer_and_alias_keys(data: dict[str, Any]) -> set[str]:
    """Keys the server reads through infer.json (conditions and implied keys) and key-mappings.json."""
    keys = set()
    for condition, by_value in data["infer"].items():
        keys.add(condition)
        for implied in by_value.values():
            keys.update(implied)
    for new, olds in data["aliases"].items():
        keys.add(new)
        keys.update(olds)
    return keys


def referenced_keys(defaults: dict[str, Any]) -> set[str]:
    """Keys that default values pull in with ``$ref{key}`` (``server.node_ip``)."""
    found = set()
    for value in defaults.values():
        for ref in _REF.findall(value) if isinstance(value, str) else ():
            try:
                found.add(format_key(parse_key(ref)))
            except KeyPathError:
                continue
    return found


def canonical_paths(texts: Iterable[str]) -> dict[KeyPath, str]:
    """Each text that is a key as format_key writes it, by its path (a path's heads are then looked up as paths,
    not each written out)."""
    out: dict[KeyPath, str] = {}
    for text in texts:
        try:
            path = parse_key(text)
        except KeyPathError:
            continue
        if format_key(path) == text:
            out[path] = text
    return out


def _by_shape(paths: Iterable[KeyPath]) -> dict[tuple[int, Any, Any], tuple[KeyPath, ...]]:
    """Patterns by (length, first segment, last segment), a wildcard end filed as None. A path can only match the
    patterns of its own length whose ends are its own or wildcards."""
    grouped: dict[tuple[int, Any, Any], list[KeyPath]] = {}
    for path in paths:
        first, last = (None if seg in (ANY_KEY, ANY_ITEM) else seg for seg in (path[0], path[-1]))
        grouped.setdefault((len(path), first, last), []).append(path)
    return {k: tuple(v) for k, v in grouped.items()}


def _candidates(by_shape: dict[tuple[int, Any, Any], tuple[KeyPath, ...]], path: KeyPath) -> Iterator[KeyPath]:
    n, first, last = len(path), path[0], path[-1]
    for shape in ((n, first, last), (n, first, None), (n, None, last), (n, None, None)):
        yield from by_shape.get(shape, ())


def stock_keys(data: dict[str, Any]) -> set[str]:
    """The keys WSO2's own stock files of the version set (the all-in-one file and each 4.5+ distribution's)."""
    found: set[str] = set()

    def walk(node: Any, prefix: KeyPath) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, prefix + (key,))
        elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            for item in node:
                walk(item, prefix + (ANY_ITEM,))
        elif prefix:
            found.add(format_key(prefix))

    for stock in (data.get("stock") or {}, *(data.get("profiles") or {}).values()):
        walk(stock, ())
    return found


@dataclass(frozen=True)
class KnownKeys:
    """What counts as a known key of one version.

    A key is known if it (with array indices read as ``[]``)
    - is a default.json key, a template key, a key that infer.json or key-mappings.json reads, or
      one a default value pulls in with ``$ref{}``, with ``*`` / ``[]`` in them as wildcards;
    - lies inside a default.json value that is itself a table or array of tables;
    - lies under a free-form table (``system.parameter.*``): one the templates iterate with
      ``.items()`` and copy entry by entry, so any entry name is valid;
    - or is a table above a known key.
    """

    exact: frozenset[str]
    patterns: tuple[KeyPath, ...]
    free_form: tuple[KeyPath, ...]
    containers: dict[str, Any] = field(default_factory=dict)
    data_file: str | None = field(default=None, compare=False, repr=False)  # under mappings/: the lookups are kept

    @classmethod
    def build(
        cls, defaults: dict[str, Any], template_keys: Iterable[str], free_form: Iterable[str],
        data_file: str | None = None,
    ) -> KnownKeys:
        exact, patterns = set(defaults), []
        for text in template_keys:
            path = parse_key(text) if "*" in text or "[" in text else ()  # a wildcard is written * or [] / [*]
            if ANY_KEY in path or ANY_ITEM in path:
                patterns.append(path)
            else:
                exact.add(text)
        containers = {k: v for k, v in defaults.items() if _is_container(v)}
        return cls(frozenset(exact), tuple(patterns), tuple(parse_key(t) for t in free_form), containers, data_file)

    @classmethod
    def from_catalog_data(cls, data: dict[str, Any], with_stock: bool = True,
                          data_file: str | None = None) -> KnownKeys:
        """``data_file``: the catalog file ``data`` was read from, unchanged; the lookups built from its keys are
        then kept between runs (datacache), named by that file."""
        extra = data.get("interpolated_known") or {}
        defaults = {**{k: e["value"] for k, e in data.get("interpolated_defaults", {}).items()}, **data["defaults"]}
        return cls.build(
            defaults,
            [*data["template_keys"], *extra.get("template_keys", []), *extra.get("other_keys", []),
             *infer_and_alias_keys(data), *referenced_keys(defaults), *(stock_keys(data) if with_stock else ())],
            [*data["free_form_tables"], *extra.get("free_form_tables", [])],
            data_file,
        )

    @cached_property
    def _key_lookups(self) -> KeyLookups:
        """What an unknown key's checks and its did-you-mean look in, built from every known key (a tenth of a
        values proof's run): read from the user's cache when the keys come from a catalog file as it is."""
        if self.data_file is None:
            return KeyLookups.build(self)
        from .datacache import kept

        return kept(f"known-keys-{self.data_file.replace('/', '-')}", [self.data_file], CODE,
                    lambda: KeyLookups.build(self))

    @cached_property
    def _parsed_exact(self) -> tuple[KeyPath, ...]:
        return tuple(parse_key(t) for t in sorted(self.exact))

    @property
    def _table_prefixes(self) -> frozenset[KeyPath]:
        return self._key_lookups.table_prefixes

    @cached_property
    def _answers(self) -> dict[KeyPath, bool]:
        return {}

    def is_known(self, path: KeyPath) -> bool:
        path = strip_indices(path)
        answer = self._answers.get(path)
        if answer is None:
            answer = self._answers[path] = self._is_known(path)
        return answer

    def _is_known(self, path: KeyPath) -> bool:
        if format_key(path) in self.exact:
            return True
        if any(matches(p, path) for p in _candidates(self._patterns_by_shape, path)):
            return True
        if self._under_free_form(path[:-1]):
            return True
        if any(matches(f, path) for f in _candidates(self._free_form_by_shape, path)):
            return True
        if self._inside_container(path):
            return True
        return path in self._table_prefixes or any(
            matches(p, path) for p in _candidates(self._wildcard_prefixes_by_shape, path))

    @cached_property
    def _patterns_by_shape(self) -> dict[tuple[int, Any, Any], tuple[KeyPath, ...]]:
        return _by_shape(self.patterns)

    @cached_property
    def _free_form_by_shape(self) -> dict[tuple[int, Any, Any], tuple[KeyPath, ...]]:
        return _by_shape(self.free_form)

    @cached_property
    def _wildcard_prefixes_by_shape(self) -> dict[tuple[int, Any, Any], tuple[KeyPath, ...]]:
        return _by_shape(p for p in self._table_prefixes if ANY_KEY in p or ANY_ITEM in p)

    @cached_property
    def _free_form_answers(self) -> dict[KeyPath, bool]:
        return {}

    def _under_free_form(self, table: KeyPath) -> bool:
        """Is the table a free-form table or inside one? (Asked once per table, not per key in it.)"""
        answer = self._free_form_answers.get(table)
        if answer is None:
            answer = self._free_form_answers[table] = bool(table) and any(
                matches(f, table, prefix=True)
                for f in (*self._free_form_by_first.get(table[0], ()), *self._free_form_by_first.get(None, ())))
        return answer

    @cached_property
    def _free_form_by_first(self) -> dict[Any, tuple[KeyPath, ...]]:
        """The free-form tables by first segment (None: a wildcard): a table lies in one only if they begin alike."""
        grouped: dict[Any, list[KeyPath]] = {}
        for path in self.free_form:
            grouped.setdefault(None if path[0] in (ANY_KEY, ANY_ITEM) else path[0], []).append(path)
        return {first: tuple(paths) for first, paths in grouped.items()}

    def _inside_container(self, path: KeyPath) -> bool:
        for i in range(len(path) - 1, 0, -1):
            value = self._containers_by_path.get(path[:i], _NOT_FOUND)
            if value is not _NOT_FOUND:
                return _walk(value, path[i:]) is not _NOT_FOUND
        return False

    @cached_property
    def _containers_by_path(self) -> dict[KeyPath, Any]:
        """The containers by the path whose text is their key: a path is looked up without writing out the text
        of each of its heads (a file of 400,000 unknown keys has as many heads)."""
        return {path: self.containers[head] for path, head in canonical_paths(self.containers).items()}

    @cached_property
    def key_texts(self) -> tuple[str, ...]:
        return tuple(sorted({*self.exact, *(format_key(p) for p in self.patterns)}))

    @cached_property
    def _suggestions(self) -> dict[KeyPath, str | None]:
        return {}

    def suggest(self, path: KeyPath) -> str | None:
        """A known key close to ``path``: first a sibling with a similar last segment, then any similar key."""
        if path not in self._suggestions:
            self._suggestions[path] = self._suggest(path)
        return self._suggestions[path]

    def _suggest(self, path: KeyPath) -> str | None:
        if self.is_known(path) or not isinstance(path[-1], str):
            return None
        parent = strip_indices(path[:-1])
        siblings, sibling_texts = self._siblings(parent)
        close = close_match(path[-1], siblings, 0.6)
        if close is not None:
            return format_key(path[:-1] + (close,))
        nearby = {*self._texts_by_last_segment.get(path[-1], ()), *sibling_texts}
        return close_match(format_key(strip_indices(path)), nearby, 0.8)

    @cached_property
    def _sibling_answers(self) -> dict[KeyPath, tuple[frozenset[str], frozenset[str]]]:
        return {}

    def _siblings(self, parent: KeyPath) -> tuple[frozenset[str], frozenset[str]]:
        """The known last segments under a table, and those keys' texts (once per table with some, not per key in
        it; a table without any, as each of a file's unknown tables, is not remembered)."""
        answer = self._sibling_answers.get(parent)
        if answer is None:
            siblings = self._last_segments_under.get(parent, set()) | {
                last for pattern, last in self._wildcard_parents_of(parent) if matches(pattern, parent)}
            if not siblings:
                return _NO_SIBLINGS
            answer = self._sibling_answers[parent] = (frozenset(siblings),
                                                      frozenset(format_key(parent + (s,)) for s in siblings))
        return answer

    @property
    def _last_segments_under(self) -> dict[KeyPath, set[str]]:
        return self._key_lookups.last_segments_under

    @property
    def _wildcard_parents(self) -> dict[tuple[int, Any, Any], tuple[tuple[KeyPath, str], ...]]:
        return self._key_lookups.wildcard_parents

    def _wildcard_parents_of(self, parent: KeyPath) -> Iterator[tuple[KeyPath, str]]:
        """The wildcard patterns whose parent may match ``parent`` (of its length, its ends or wildcards)."""
        if not parent:
            return
        n, first, last = len(parent), parent[0], parent[-1]
        for shape in ((n, first, last), (n, first, None), (n, None, last), (n, None, None)):
            yield from self._wildcard_parents.get(shape, ())

    @property
    def _texts_by_last_segment(self) -> dict[str, tuple[str, ...]]:
        return self._key_lookups.texts_by_last_segment


class KeyLookups:
    """A KnownKeys' lookups derived from all its keys: the tables above them, the known last segments under each
    table and under each wildcard table (the near did-you-mean), the known keys by last segment (the far one). A
    plain class: a toml run, which never reads one, makes no dataclass or named tuple for it."""

    __slots__ = ("table_prefixes", "last_segments_under", "wildcard_parents", "texts_by_last_segment")

    def __init__(self, table_prefixes: frozenset[KeyPath], last_segments_under: dict[KeyPath, set[str]],
                 wildcard_parents: dict[tuple[int, Any, Any], tuple[tuple[KeyPath, str], ...]],
                 texts_by_last_segment: dict[str, tuple[str, ...]]):
        self.table_prefixes = table_prefixes
        self.last_segments_under = last_segments_under
        self.wildcard_parents = wildcard_parents  # by the parent's shape, as _by_shape files it
        self.texts_by_last_segment = texts_by_last_segment  # comparing with every known key cost ~10 ms a key

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return KeyLookups, tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is KeyLookups and self.__reduce__()[1] == other.__reduce__()[1]

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def build(cls, known: KnownKeys) -> KeyLookups:
        parsed_exact = tuple(parse_key(t) for t in sorted(known.exact))
        prefixes: set[KeyPath] = set()
        last_segments_under: dict[KeyPath, set[str]] = {}
        for path in (*parsed_exact, *known.patterns):
            prefixes.update(path[:i] for i in range(1, len(path)))
            if (isinstance(path[-1], str) and path[-1] != ANY_KEY
                    and ANY_KEY not in path[:-1] and ANY_ITEM not in path[:-1]):
                last_segments_under.setdefault(path[:-1], set()).add(path[-1])
        wildcard_parents: dict[tuple[int, Any, Any], list[tuple[KeyPath, str]]] = {}
        for cand in known.patterns:
            if isinstance(cand[-1], str) and cand[-1] != ANY_KEY and (ANY_KEY in cand[:-1] or ANY_ITEM in cand[:-1]):
                parent = cand[:-1]
                first, last = (None if seg in (ANY_KEY, ANY_ITEM) else seg for seg in (parent[0], parent[-1]))
                wildcard_parents.setdefault((len(parent), first, last), []).append((parent, cand[-1]))
        by_last: dict[str, set[str]] = {}
        for path, text in (*zip(parsed_exact, sorted(known.exact), strict=True),
                           *((path, format_key(path)) for path in known.patterns)):
            if isinstance(path[-1], str):
                by_last.setdefault(path[-1], set()).add(text)
        return cls(frozenset(prefixes), last_segments_under,
                   {shape: tuple(v) for shape, v in wildcard_parents.items()},
                   {last: tuple(sorted(texts)) for last, texts in by_last.items()})


def close_match(word: str, candidates: Iterable[str], cutoff: float) -> str | None:
    """``difflib.get_close_matches(word, candidates, n=1, cutoff)``, the same answer. Only the candidates that
    pass difflib's length and character-count bounds are compared; which those are depends on the word only
    through its length and its counts of the characters the candidates use, so a file of many unknown keys
    that differ in other characters (``custom_limit_000123_window``) finds them once (``_within_bounds``)."""
    import difflib

    pool = candidates if isinstance(candidates, frozenset) else frozenset(candidates)
    letters = "".join(sorted(_not_in(pool).sub("", word)))
    matcher: difflib.SequenceMatcher | None = None
    best: tuple[float, str] | None = None
    for cand in _within_bounds(pool, len(word), letters, cutoff):
        if matcher is None:
            matcher = difflib.SequenceMatcher()
            matcher.set_seq2(word)
        matcher.set_seq1(cand)
        score = matcher.ratio()
        if score >= cutoff and (best is None or (score, cand) > best):
            best = (score, cand)
    return best[1] if best else None


@lru_cache(maxsize=1024)
def _not_in(candidates: frozenset[str]) -> re.Pattern[str]:
    """A character no candidate has."""
    chars = "".join(re.escape(char) for char in sorted({c for cand in candidates for c in cand}))
    return re.compile(f"[^{chars}]" if chars else ".", re.S)


@lru_cache(maxsize=4096)
def _within_bounds(candidates: frozenset[str], length: int, letters: str, cutoff: float) -> tuple[str, ...]:
    """The candidates whose length and character counts allow a ratio of ``cutoff`` with a word of ``length``
    characters, of which ``letters`` are those the candidates use."""
    mine = Counter(letters)
    out = []
    for cand in candidates:
        total = len(cand) + length
        if _ratio(min(len(cand), length), total) < cutoff:
            continue
        theirs = _char_counts(cand)
        shared = sum(map(min, theirs.values(), map(mine.get, theirs, repeat(0))))
        if _ratio(shared, total) >= cutoff:
            out.append(cand)
    return tuple(out)


def _ratio(matches: int, length: int) -> float:
    return 2.0 * matches / length if length else 1.0


@lru_cache(maxsize=65536)
def _char_counts(text: str) -> dict[str, int]:
    return Counter(text)


@dataclass(frozen=True)
class Catalog:
    """One API-M version's keys and defaults (mappings/catalog/<version>.json): its defaults, the keys its
    templates read, its stock files, key aliases and inferred values, and what counts as a known key."""

    version: str
    partial: bool
    partial_note: str
    defaults: dict[str, Any] = field(repr=False)
    interpolated_defaults: dict[str, dict[str, Any]] = field(repr=False)
    template_keys: tuple[str, ...] = field(repr=False)
    free_form_tables: tuple[str, ...] = field(repr=False)
    stock: dict[str, Any] = field(repr=False)
    profiles: dict[str, dict[str, Any]] = field(repr=False)
    aliases: dict[str, list[str]] = field(repr=False)
    infer: dict[str, Any] = field(repr=False)
    units: dict[str, Any] = field(repr=False)
    known: KnownKeys = field(repr=False)
    source: dict[str, str] = field(repr=False)

    @classmethod
    def from_data(cls, data: dict[str, Any], data_file: str | None = None) -> Catalog:
        """``data_file``: the catalog file ``data`` was read from, unchanged (KnownKeys.from_catalog_data)."""
        return cls(
            version=data["version"],
            partial=data["partial"],
            partial_note=data["partial_note"],
            defaults=data["defaults"],
            interpolated_defaults=data["interpolated_defaults"],
            template_keys=tuple(data["template_keys"]),
            free_form_tables=tuple(data["free_form_tables"]),
            stock=data["stock"],
            profiles=data["profiles"],
            aliases=data["aliases"],
            infer=data["infer"],
            units=data["units"],
            known=KnownKeys.from_catalog_data(data, data_file=data_file),
            source=data["source"],
        )

    def __getstate__(self) -> dict[str, Any]:
        """A catalog load_catalog keeps is pickled without the names of REST, which are entries of their own (PARTS,
        each read on the first use of one of its names: a values run asks its old catalog only its profiles and
        inferred values, its new one no known key but the free-form tables, and unpickling the old one's defaults
        and known keys took 1.5% of a verify run). Any other catalog whole."""
        if "_kept_as" not in self.__dict__:
            return self.__dict__
        return {name: value for name, value in self.__dict__.items() if name not in REST}

    if not TYPE_CHECKING:  # mypy would take any name for a Catalog's

        def __getattr__(self, name: str) -> Any:
            """A name of REST, on its first use in a catalog read from the data cache."""
            kept_as = self.__dict__.get("_kept_as")
            if kept_as is None or name not in REST:
                raise AttributeError(name)
            self._read_part(kept_as, _PART_OF[name])
            return self.__dict__[name]

    def _read_part(self, kept_as: str, part: str) -> None:
        for name, value in _part(kept_as, part).items():
            self.__dict__.setdefault(name, value)

    @cached_property
    def alias_table(self) -> dict[KeyPath, tuple[KeyPath, ...]]:
        """Each old key of key-mappings.json (a path without wildcards) and the new keys it feeds, in a stable order;
        built with the catalog and kept with it (load_catalog)."""
        if (kept_as := self.__dict__.get("_kept_as")) is not None:  # kept, with its part not read yet
            self._read_part(kept_as, "rest")
            return self.__dict__["alias_table"]
        table: dict[KeyPath, list[KeyPath]] = {}
        for new_text, olds in sorted(self.aliases.items()):
            new = _plain_path(new_text)
            for old_text in olds:
                old = _plain_path(old_text)
                if new is not None and old is not None and old != new:
                    table.setdefault(old, []).append(new)
        return {old: tuple(news) for old, news in table.items()}

    @cached_property
    def free_form_paths(self) -> tuple[KeyPath, ...]:
        """known.free_form, kept with the catalog itself: what the alias step asks of its known keys."""
        return self.known.free_form

    def stock_key_shapes(self, profile_stock: str | None = None) -> frozenset[str]:
        """The keys of the stock file (or of the 4.5+ distribution's ``profile_stock``), index-stripped and
        formatted (hub.stripped_keys): what the profile detection and the fragment check compare a file with."""
        return self._stock_key_shapes[profile_stock]

    @cached_property
    def _stock_key_shapes(self) -> dict[str | None, frozenset[str]]:
        """Built with the catalog and kept with it (load_catalog), each text the known keys' own object."""
        if (kept_as := self.__dict__.get("_kept_as")) is not None:  # kept, with its part not read yet
            self._read_part(kept_as, "known")
            return self.__dict__["_stock_key_shapes"]
        own = {text: text for text in self.known.exact}
        return {name: frozenset(own.get(text, text) for text in stripped_keys(flatten(stock)))
                for name, stock in ((None, self.stock), *self.profiles.items())}

    @cached_property
    def _default_heads(self) -> dict[KeyPath, str]:
        """The keys of the defaults (plain and interpolated) by path, each written as format_key writes it: the
        lookup below matches a key's prefixes as paths instead of formatting each one."""
        return canonical_paths((*self.defaults, *self.interpolated_defaults))

    def default(self, path_text: str) -> tuple[bool, Any, list[str] | None]:
        """(found, value, interpolated_from): the version's default for a key, or for a key inside a default table."""
        return self.default_at(parse_key(path_text))

    @cached_property
    def _lookups(self) -> list[int]:
        return [0]

    def _default_head(self, path: KeyPath) -> str | None:
        text = format_key(path)
        return text if text in self.defaults or text in self.interpolated_defaults else None

    def default_at(self, path: KeyPath) -> tuple[bool, Any, list[str] | None]:
        """default, for a key given as a path."""
        self._lookups[0] += 1
        # the index of the defaults by path pays for itself on a large file; a small one formats its few keys
        head_of = self._default_heads.get if self._lookups[0] > 500 else self._default_head
        for i in range(len(path), 0, -1):
            head = head_of(path[:i])
            if head is None:
                continue
            if head in self.defaults:
                value = _walk(self.defaults[head], path[i:])
                return (value is not _NOT_FOUND, None if value is _NOT_FOUND else value, None)
            if head in self.interpolated_defaults:
                entry = self.interpolated_defaults[head]
                value = _walk(entry["value"], path[i:])
                if value is _NOT_FOUND:
                    return (False, None, None)
                return (True, value, list(entry["from"]))
        return (False, None, None)

    def stock_value(self, path_text: str, profile: str | None = None) -> Any:
        """The value the stock deployment.toml (or a profile's) sets for a key; None when it sets none."""
        doc = self.profiles[profile] if profile else self.stock
        value = _walk(doc, parse_key(path_text))
        return None if value is _NOT_FOUND else value

    def is_known(self, path_text: str) -> bool:
        return self.known.is_known(parse_key(path_text))

    def suggest(self, path_text: str) -> str | None:
        return self.known.suggest(parse_key(path_text))


def _plain_path(text: str) -> KeyPath | None:
    try:
        path = parse_key(text)
    except KeyPathError:
        return None
    return None if ANY_KEY in path or ANY_ITEM in path else path


@lru_cache(maxsize=None)
def read_keys(version: str) -> KnownKeys:
    """The keys a version's server reads (defaults, templates, infer and alias files), without the keys its
    stock files set: a stock file may set a key nothing reads (validate says so; a migration carries it)."""
    return KnownKeys.from_catalog_data(load_json(f"catalog/{resolve_version(version)}.json"), with_stock=False)


def known_versions() -> list[str]:
    return [entry["version"] for entry in load_json("catalog/index.json")["versions"]]


def resolve_version(text: str) -> str:
    """A full catalog version for ``4.6.0`` or the short form ``4.6``."""
    versions = known_versions()
    version = normalise_version(text)
    if version in versions:
        return version
    raise UnknownVersionError(f"unknown API-M version {text!r} (known: {', '.join(versions)})")


@lru_cache(maxsize=None)
def load_catalog(version: str) -> Catalog:
    from .datacache import kept

    resolved = resolve_version(version)
    return kept(f"catalog-{resolved}", [f"catalog/{resolved}.json"], CODE, lambda: _built_and_kept(resolved))


# what a run that reads only a catalog's profiles, stock or inferred values does not unpickle (Catalog.__getstate__)
PARTS = {  # the stock key shapes hold the known keys' own texts: they are kept together
    "rest": frozenset({"defaults", "template_keys", "aliases", "alias_table"}),
    "known": frozenset({"known", "_stock_key_shapes"}),
}
REST = frozenset().union(*PARTS.values())
_PART_OF = {name: part for part, names in PARTS.items() for name in names}


def _built_and_kept(resolved: str) -> Catalog:
    """The catalog of a version, with the entries that keep its PARTS written."""
    from .datacache import kept

    catalog = _built(f"catalog/{resolved}.json")
    for part in PARTS:
        kept(f"catalog-{part}-{resolved}", [f"catalog/{resolved}.json"], CODE, partial(_part_of, catalog, part))
    catalog.__dict__["_kept_as"] = resolved
    return catalog


def _part(resolved: str, part: str) -> dict[str, Any]:
    """One of PARTS of a version's catalog: its kept entry, or the catalog built again."""
    from .datacache import kept

    return kept(f"catalog-{part}-{resolved}", [f"catalog/{resolved}.json"], CODE,
                lambda: _part_of(_built(f"catalog/{resolved}.json"), part))


def _part_of(catalog: Catalog, part: str) -> dict[str, Any]:
    return {name: catalog.__dict__[name] for name in PARTS[part]}


def _built(relative: str) -> Catalog:
    """The catalog with its alias table, the key shapes of its stock files and its key patterns by shape, kept with
    it: parsing its alias keys took a hundredth of a verify run."""
    from .datacache import one_string_each

    catalog = Catalog.from_data(one_string_each(load_json(relative)), relative)
    # built now, so that the cache entry holds them: a toml run asked them of both catalogs (2% of its run)
    catalog.alias_table  # noqa: B018
    catalog._stock_key_shapes  # noqa: B018
    catalog.free_form_paths  # noqa: B018
    catalog.known._patterns_by_shape  # noqa: B018
    return catalog


CODE = (__name__, "k8s_migrate.hub", "k8s_migrate.versions", "k8s_migrate.data")  # what a catalog is built by
