"""`rules lint --evidence DIR`: each rule's claim, checked against WSO2's own files of the versions it spans.

- rename, move, list_to_keys: the old key is read by the from-version, the new key by the to-version;
- remove: no template of the to-version or of a later version reads the key, unless a later pack writes it;
- default_change: default.json of the two versions holds the rule's old and new default, and they differ;
- warn, require, transform, set, fill, withhold: the key exists in some version.

"Read" means the version's template keys (template-keys.txt), default.json, infer.json, key-mappings.json
or stock files know the key; for remove only the templates count. A rule that cannot be checked this
way carries `evidence: "unchecked: <why>"`. Where the files live is data: mappings/evidence.json.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..data import load_json
from ..hub import ANY_ITEM, ANY_KEY, KeyPath, KeyPathError, flatten, format_key, parse_key, strip_indices, substitute
from ..versions import VersionError, normalise_version, version_key
from .lint import Problem
from .model import Rule, RulePack
from .values import same_value

NAMED_BY_KEY = ("warn", "require", "transform", "set", "fill", "withhold")


@dataclass
class VersionFiles:
    """What one version's own files say about keys."""

    version: str
    folder: Path
    layout: dict[str, Any]
    fallback: "VersionFiles | None" = None  # for a partial version: the nearest older version with templates

    def _first(self, name: str) -> Path | None:
        for relative in self.layout[name]:
            path = self.folder / relative
            if path.is_file():
                return path
        return None

    @cached_property
    def defaults(self) -> dict[KeyPath, Any]:
        path = self._first("default_json")
        return _parsed_keys(json.loads(path.read_text(encoding="utf-8"))) if path else {}

    @cached_property
    def template_keys(self) -> set[KeyPath] | None:
        path = self._first("template_keys")
        if path is None:
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
        return set(_parsed_keys({line.strip(): None for line in lines if line.strip()}))

    @cached_property
    def infer(self) -> dict[str, Any]:
        path = self._first("infer_json")
        return json.loads(path.read_text(encoding="utf-8")) if path else {}

    def implied(self, condition: str, value: Any, key: KeyPath) -> tuple[bool, Any]:
        """What infer.json sets ``key`` to when the ``condition`` key has ``value``."""
        for text, by_value in self.infer.items():
            if _parsed_keys({text: None}) != _parsed_keys({condition: None}):
                continue
            for candidate, implied in (by_value or {}).items():
                if same_value(candidate, value):
                    for known, result in _parsed_keys(implied or {}).items():
                        if _covers(key, known, exact=True):
                            return True, result
        return False, None

    @cached_property
    def other_keys(self) -> set[KeyPath]:
        """Keys infer.json, key-mappings.json and the stock files name."""
        keys: set[KeyPath] = set()
        for condition, by_value in self.infer.items():
            keys |= set(_parsed_keys({condition: None}))
            for implied in (by_value or {}).values():
                keys |= set(_parsed_keys(implied or {}))
        path = self._first("key_mappings_json")
        if path:
            for new, old in json.loads(path.read_text(encoding="utf-8")).items():
                olds = old if isinstance(old, list) else [old]
                keys |= set(_parsed_keys({k: None for k in [new, *olds] if isinstance(k, str)}))
        for pattern in self.layout["stock_files"]:
            for stock in sorted(self.folder.glob(pattern)):
                try:
                    keys |= {strip_indices(p) for p in flatten(tomllib.loads(stock.read_text(encoding="utf-8")))}
                except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                    continue
        return keys

    @property
    def partial(self) -> bool:
        return self.template_keys is None

    @cached_property
    def _indexes(self) -> list[tuple[str, dict[str | int, list[KeyPath]]]]:
        """Each source's keys, grouped by their first segment (``*`` for a wildcard one)."""
        sources = (("template-keys.txt", self.template_keys or set()), ("default.json", set(self.defaults)),
                   ("infer.json/key-mappings.json/stock file", self.other_keys))
        indexes = []
        for name, keys in sources:
            index: dict[str | int, list[KeyPath]] = {}
            for k in sorted(keys, key=format_key):
                index.setdefault(k[0] if k else "", []).append(k)
            indexes.append((name, index))
        return indexes

    @staticmethod
    def _candidates(index: dict[str | int, list[KeyPath]], key: KeyPath) -> list[KeyPath]:
        if key and key[0] == ANY_KEY:
            return [k for ks in index.values() for k in ks]
        return index.get(key[0] if key else "", []) + index.get(ANY_KEY, [])

    def read_by_templates(self, key: KeyPath) -> list[str]:
        """Template keys that read ``key`` itself or a key below it (a table): the evidence of a read."""
        key = strip_indices(key)
        _, index = self._indexes[0]
        return sorted(format_key(t) for t in self._candidates(index, key)
                      if _covers(key, t) or _covers(t, key, exact=True))

    def knows(self, key: KeyPath) -> str | None:
        hit = self.own_knowledge(key)
        if hit is None and self.partial and self.fallback is not None:
            hit = self.fallback.own_knowledge(key)
            return f"{hit} ({self.version}'s files are partial)" if hit else None
        return hit

    def own_knowledge(self, key: KeyPath) -> str | None:
        """Where this version's files name ``key`` (or a key below it, or the table it sits in)."""
        key = strip_indices(key)
        for name, index in self._indexes:
            hit = next((k for k in self._candidates(index, key) if _covers(key, k) or _covers(k, key)), None)
            if hit is not None:
                return f"{self.version} {name}: {format_key(hit)}"
        return None

    def default(self, key: KeyPath) -> tuple[bool, Any]:
        for known, value in self.defaults.items():
            if _covers(key, known, exact=True):
                return True, value
        return False, None


def _parsed_keys(flat: dict[str, Any]) -> dict[KeyPath, Any]:
    out: dict[KeyPath, Any] = {}
    for text, value in flat.items():
        try:
            out[strip_indices(parse_key(text))] = value
        except KeyPathError:
            continue
    return out


def _seg(a, b) -> bool:
    if a == b:
        return True
    if ANY_KEY in (a, b):
        return isinstance(a, str) and isinstance(b, str)
    return a == ANY_ITEM and b == ANY_ITEM


def _covers(pattern: KeyPath, key: KeyPath, exact: bool = False) -> bool:
    """``key`` is ``pattern`` or (unless exact) lies below it; ``*`` and ``[]`` on either side match (both
    without item indices)."""
    if len(key) < len(pattern) or (exact and len(key) != len(pattern)):
        return False
    return all(_seg(a, b) for a, b in zip(pattern, key, strict=False))


class Evidence:
    """The versions of DIR that the layout finds, oldest first."""

    def __init__(self, root: Path, layout: dict[str, Any] | None = None):
        self.layout = layout or load_json("evidence.json")
        base = root / self.layout["versions"]
        versions = []
        for folder in base.iterdir() if base.is_dir() else ():
            try:
                versions.append(VersionFiles(normalise_version(folder.name), folder, self.layout))
            except VersionError:
                continue
        self.versions = sorted(versions, key=lambda v: version_key(v.version))
        for earlier, version in zip(self.versions, self.versions[1:], strict=False):
            version.fallback = earlier if not earlier.partial else earlier.fallback
        self.by_version = {v.version: v for v in self.versions}

    def from_on(self, version: str) -> list[VersionFiles]:
        return [v for v in self.versions if version_key(v.version) >= version_key(version)]

    def anywhere(self, key: KeyPath) -> str | None:
        return next((hit for v in self.versions if (hit := v.knows(key))), None)


def evidence_problems(packs: list[RulePack], root: Path) -> list[Problem]:
    evidence = Evidence(root)
    if not evidence.versions:
        return [Problem(str(root), f"no version folders under {root / evidence.layout['versions']}")]
    problems = []
    for pack in packs:
        later = [p for p in packs if version_key(p.from_version) >= version_key(pack.to_version)]
        for rule in pack.rules:
            if rule.raw.get("evidence"):
                continue
            where = f"{Path(pack.path).name} {rule.id}"
            problems += [Problem(where, m) for m in rule_problems(rule, pack, later, evidence)]
    return problems


def rule_problems(rule: Rule, pack: RulePack, later: list[RulePack], evidence: Evidence) -> list[str]:
    old, new = evidence.by_version.get(pack.from_version), evidence.by_version.get(pack.to_version)
    found = []
    for key in map(strip_indices, rule.keys):
        if rule.op in ("rename", "move", "list_to_keys"):
            found += _moves(rule, key, old, new)
        elif rule.op == "remove":
            found += _removes(rule, key, pack, later, evidence)
        elif rule.op == "default_change":
            found += _default_changes(rule, key, old, new)
        elif rule.op == "transform" and "map" in (rule.transform or {}) and old is not None:
            found += _maps_too_late(rule, key, old)
        elif rule.op in NAMED_BY_KEY and not evidence.anywhere(key):
            found.append(f"claims {format_key(key)} is a key, but no version's files name it "
                         f"({', '.join(v.version for v in evidence.versions)})")
    for option in ((rule.raw.get("choice") or {}).get("options") or {}).values():
        for added in (option or {}).get("add_items") or {}:
            if new is not None and not new.knows(parse_key(added)):
                found.append(f"a choice adds {added}, which {new.version}'s files do not name")
    return found


def _target(rule: Rule, key: KeyPath) -> KeyPath:
    return strip_indices(substitute(key, rule.to, key)) if rule.to is not None else key


def _moves(rule: Rule, key: KeyPath, old: VersionFiles | None, new: VersionFiles | None) -> list[str]:
    found = []
    if old is not None and not old.knows(key):
        found.append(f"claims {old.version} reads {format_key(key)}, but {old.version}'s files do not name it")
    target = _target(rule, key)
    if new is not None and not new.knows(target):
        found.append(f"claims {new.version} reads {format_key(target)}, but {new.version}'s files do not name it")
    still = [t for t in (new.template_keys or ()) if _covers(key, t, exact=True)] if new is not None else []
    if new is not None and still and rule.op != "list_to_keys":
        found.append(f"claims {format_key(key)} became {format_key(target)}, but {new.version}'s templates still read "
                     f"{format_key(still[0])} (template-keys.txt)")
    return found


def _removes(rule: Rule, key: KeyPath, pack: RulePack, later: list[RulePack], evidence: Evidence) -> list[str]:
    rewritten = [r.id for p in later for r in p.rules if r.op in ("rename", "move", "set", "fill", "list_to_keys")
                 and any(_covers(key, t) or _covers(t, key) for t in _writes(r))]
    if rewritten:
        return []
    readers = {v.version: hits for v in evidence.from_on(pack.to_version) if (hits := v.read_by_templates(key))}
    if not readers:
        return []
    first = next(iter(readers))
    return [f"claims {format_key(key)} is no longer read from {pack.to_version}, but the templates of "
            f"{', '.join(readers)} read {', '.join(readers[first][:3])} (template-keys.txt)"]


def _maps_too_late(rule: Rule, key: KeyPath, old: VersionFiles) -> list[str]:
    """A value map whose new value is already the from-version's default belongs to an earlier step."""
    known, value = old.default(key)
    if not known or rule.transform is None:
        return []
    return [f"maps {before!r} to {after!r} in {rule.pack}, but {old.version}'s default.json already holds "
            f"{value!r} for {format_key(key)}: the change belongs to an earlier step"
            for before, after in rule.transform["map"].items()
            if same_value(after, value) and not same_value(before, value)]


def _writes(rule: Rule) -> list[KeyPath]:
    if rule.op in ("rename", "move", "list_to_keys"):
        return [strip_indices(_target(rule, k)) for k in rule.keys]
    return [strip_indices(k) for k in rule.keys]


def _default_changes(rule: Rule, key: KeyPath, old: VersionFiles | None, new: VersionFiles | None) -> list[str]:
    found = []
    values = []
    for version, claimed in ((old, rule.old), (new, rule.new)):
        if version is None:
            found.append("no evidence folder for the pack's version")
            continue
        known, value = version.default(key)
        if version is old and not known and rule.keep_switch and new is not None:
            switch, _, setting = rule.keep_switch.partition("=")
            known, value = new.implied(switch.strip(), setting.strip().strip('"'), key)
        if not known:
            found.append(f"claims {format_key(key)} defaults to {claimed!r} in {version.version}, "
                         f"but {version.version}'s default.json has no value for it")
        elif not same_value(value, claimed):
            found.append(f"claims {format_key(key)} defaults to {claimed!r} in {version.version}, but "
                         f"{version.version}'s default.json says {value!r}")
        values.append((known, value))
    if (old is not None and new is not None and len(values) == 2 and all(k for k, _ in values)
            and same_value(values[0][1], values[1][1])):
        found.append(f"claims the default of {format_key(key)} changes, but default.json holds {values[0][1]!r} "
                     f"in both {old.version} and {new.version}")
    return found
