"""The checks on deployment.toml keys (hub form), whatever file they came from.

Everything WSO2-specific comes from data: the version's catalog (``mappings/catalog/``), the rule
packs (``mappings/apim/``) for keys dropped or renamed, and ``mappings/validation/<version>.json``
for value sets, validator.json requirements and the types the templates demand.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Iterable

from ..catalog import Catalog, known_versions, load_catalog, read_keys
from ..data import load_json
from ..hub import HubKey, KeyPath, format_key, is_placeholder, matches, parse_key, strip_indices, substitute
from ..versions import version_key
from . import placeholders
from .findings import Finding

_NUMBER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_WITH_UNIT = re.compile(r"^\s*\d+(\.\d+)?\s*[A-Za-z]+\s*$")
DROPPING_OPS = ("remove", "rename", "move")


@dataclass
class VersionFacts:
    """What one API-M version reads, for the checks."""

    catalog: Catalog
    rules: dict[str, Any]
    profile: str | None = None

    @classmethod
    def load(cls, version: str, profile: str | None = None) -> "VersionFacts":
        catalog = load_catalog(version)
        return cls(catalog, load_json(f"validation/{catalog.version}.json"), profile)

    @property
    def version(self) -> str:
        return self.catalog.version

    @cached_property
    def stock_keys(self) -> dict[str, str]:
        """Leaf keys (``[]`` for items) that WSO2's own stock files of this version set -> which file."""
        from ..hub import flatten

        own = self.own_stock_name
        docs = {"stock": self.catalog.stock, **{f"{p} profile": d for p, d in self.catalog.profiles.items()}}
        if own:
            docs = {f"{own} profile": self.catalog.profiles[own]}
        found: dict[str, str] = {}
        for label, doc in docs.items():
            for path in flatten(doc):
                found.setdefault(format_key(strip_indices(path)), label)
        return found

    @property
    def own_stock_name(self) -> str | None:
        """The 4.5+ stock file of the given profile, when the version has one."""
        from ..profiles import stock_name

        name = stock_name(self.profile)
        return name if name in self.catalog.profiles else None

    @cached_property
    def template_types(self) -> list[tuple[KeyPath, str]]:
        return [(parse_key(k), t) for k, t in self.rules.get("template_types", {}).items()]

    def expected_types(self, path: KeyPath) -> list[tuple[str, bool, Any, str]]:
        """(type, quoted_ok, default, where) for each way the version reads a key: default.json's value,
        what the templates do with it, the stock file's value. Numbers and booleans that WSO2 writes as
        text ("15", "true") may be written either way. A key the templates loop over also takes a single
        value (Jinjava loops over a single value once)."""
        found: list[tuple[str, bool, Any, str]] = []
        text = format_key(path)
        present, default, _ = self.catalog.default(text)
        if present and default is not None and not is_placeholder(default):
            found.append(_kind_of_value(default) + (default, "default.json"))
        stock = self.catalog.stock_value(text, self.own_stock_name)
        if stock is not None and not is_placeholder(stock):
            found.append(_kind_of_value(stock) + (stock, "the stock deployment.toml"))
        bare = strip_indices(path)
        for pattern, kind in self.template_types:
            if matches(pattern, bare):
                found.append((kind, kind != "bool", None, "the templates"))
                if kind == "list":
                    found += [(scalar, True, None, "the templates") for scalar in ("string", "int", "float", "bool")]
                break
        return found


def _kind_of_value(value: Any) -> tuple[str, bool]:
    if isinstance(value, str):
        looks = _text_looks_like(value)
        return looks, True
    return type_of(value), False


_SCALAR_TYPES = ((bool, "bool"), (int, "int"), (float, "float"), (str, "string"))


def type_of(value: Any) -> str:
    """The TOML-side type name of a value: bool, int, float, string, list or table."""
    name = next((n for cls, n in _SCALAR_TYPES if isinstance(value, cls)), None)
    if name:
        return name
    if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        return "table"
    return "list" if isinstance(value, list) else type(value).__name__


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _text_looks_like(text: str) -> str:
    if text.strip().lower() in ("true", "false"):
        return "bool"
    if _NUMBER.match(text.strip()):
        return "int"
    if _DECIMAL.match(text.strip()):
        return "float"
    return "string"


def type_problem(expected: str, quoted_ok: bool, default: Any, value: Any, has_unit: bool) -> tuple[str, str] | None:
    """(severity, message) when ``value`` does not fit ``expected``; a value the server still reads the
    same way (a quoted number, a quoted boolean) is a warning, the rest an error."""
    got = type_of(value)
    if got in ("datetime", "date", "time") or (isinstance(value, str) and is_placeholder(value)):
        return None
    if got == expected or (expected == "float" and got == "int"):
        return None
    if got == "string":
        looks = _text_looks_like(value)
        if looks == expected or (expected == "float" and looks == "int"):
            if quoted_ok:
                return None
            return ("warning", f"a quoted {expected}: write {value.strip().lower()} without quotes")
        if expected in ("int", "float") and has_unit and _WITH_UNIT.match(value):
            return None
    if expected == "string" and got in ("int", "float", "bool"):
        return "warning", f"expects text, not the {got} {_shown(value)}"
    if expected == "int" and got == "float" and float(value).is_integer():
        return "warning", f"expects a whole number, not {value}"
    names = {"bool": "a boolean (true or false)", "int": "a whole number", "float": "a number",
             "list": "a list ([...])", "table": "a table", "string": "text"}
    given = f"default {_shown(default)}, " if default is not None else ""
    return "error", f"expects {names.get(expected, expected)} ({given}per WHERE), not the {got} {_shown(value)}"


# ---- history: what other versions read ---------------------------------------------------------
@lru_cache(maxsize=None)
def _dropping_rules() -> tuple[tuple[str, str, Any], ...]:
    """(pack from, pack to, rule) for every unconditional remove/rename/move of the rule packs."""
    from ..rules.load import load_packs

    return tuple((pack.from_version, pack.to_version, rule) for pack in load_packs() for rule in pack.rules
                 if rule.op in DROPPING_OPS and not rule.when)


def dropping_rule(path: KeyPath, after: str | None = None, upto: str | None = None):
    """The rule that drops or renames ``path`` in a pack ending at or before ``upto`` (the latest), or
    starting at or after ``after`` (the earliest)."""
    hits = []
    for src, dst, rule in _dropping_rules():
        if upto and version_key(dst) > version_key(upto):
            continue
        if after and version_key(src) < version_key(after):
            continue
        for pattern in rule.keys:
            if matches(pattern, path, prefix=True):
                hits.append((dst, rule, pattern))
                break
    if not hits:
        return None
    hits.sort(key=lambda h: version_key(h[0]))
    return hits[-1] if upto else hits[0]


def renamed_to(rule, pattern: KeyPath, path: KeyPath) -> str | None:
    if rule.op == "remove" or rule.to is None:
        return None
    return format_key(substitute(pattern, rule.to, path))


def versions_reading(path: KeyPath) -> list[str]:
    return [v for v in known_versions() if not load_catalog(v).partial and read_keys(v).is_known(path)]


# ---- the checks -------------------------------------------------------------------------------
@dataclass
class KeyChecks:
    facts: VersionFacts
    findings: list[Finding] = field(default_factory=list)
    _reported_tables: set[KeyPath] = field(default_factory=set)

    def run(self, keys: Iterable[HubKey], table_lines: dict[KeyPath, int] | None = None,
            names_are_the_users: bool = True) -> list[Finding]:
        """``names_are_the_users`` is False for keys a chart writes (values files): their names are the
        chart's, so only the values are checked."""
        keys = list(keys)
        for key in keys:
            self.check_placeholders(key)
            if names_are_the_users and not self.check_name(key, table_lines or {}):
                continue
            self.check_type(key)
            self.check_value_set(key)
        self.check_requirements(keys)
        return self.findings

    def add(self, kind: str, severity: str, key: HubKey | str | None, message: str, line: int | None = None,
            **extra: Any) -> None:
        if isinstance(key, HubKey):
            line = key.line if line is None else line
            extra.setdefault("origin", key.origin)
            key = key.key
        self.findings.append(Finding(kind, severity, key, message, line, **extra))

    # -- names
    def check_name(self, key: HubKey, table_lines: dict[KeyPath, int]) -> bool:
        """False when the key is not one this version reads (reported); True to go on checking it."""
        known = read_keys(self.facts.catalog.version)
        if known.is_known(key.path):
            if not self.check_alias(key):
                self.check_renamed_earlier(key)
            self.check_deprecated(key)
            return True
        table = next((key.path[:i] for i in range(1, len(key.path)) if isinstance(key.path[i - 1], str)
                      and not known.is_known(key.path[:i])), None)
        if table is not None and not isinstance(table[-1], int):
            if table not in self._reported_tables:
                self._reported_tables.add(table)
                self.report_unread(table, table_lines.get(table, key.line), key.value, key.origin, is_table=True)
            return False
        self.report_unread(key.path, key.line, key.value, key.origin)
        return False

    def report_unread(self, path: KeyPath, line: int | None, value: Any, origin: str | None,
                      is_table: bool = False) -> None:
        version = self.facts.version
        text = format_key(path)
        what = f"table [{text}]" if is_table else "key"
        lead = f"{what} " if is_table else ""
        hit = dropping_rule(path, upto=version)
        if hit:
            dst, rule, pattern = hit
            new = renamed_to(rule, pattern, path)
            how = f"renamed to {new} in API-M {dst}" if new else f"removed in API-M {dst}"
            self.add("removed", "error", text, f"{lead}{how}; {version} does not read it" +
                     (f" ({rule.message})" if rule.message else ""), line, suggestion=new, source=rule.source,
                     origin=origin, value=None if is_table else value)
            return
        readers = versions_reading(path)
        older = [v for v in readers if version_key(v) < version_key(version)]
        newer = [v for v in readers if version_key(v) > version_key(version)]
        known = read_keys(version)
        hint = suggest_table(known, path) if is_table else known.suggest(path)
        mean = f"; did you mean {hint}?" if hint else ""
        if older:
            self.add("removed", "error", text,
                     f"{lead}last read by API-M {older[-1]}; {version} does not read it{mean}",
                     line, suggestion=hint, origin=origin, value=None if is_table else value)
            return
        stock = self.facts.stock_keys.get(format_key(strip_indices(path)))
        if stock:
            self.add("unknown", "warning", text, f"WSO2's own {version} {stock} file sets this {what}, but no "
                     f"template or default.json of {version} reads it: it has no effect{mean}", line,
                     suggestion=hint, origin=origin, value=None if is_table else value)
            return
        since = f" (API-M {newer[0]} and later read it)" if newer else ""
        self.add("unknown", "error", text, f"unknown {what}: API-M {version} does not read it{since}{mean}",
                 line, suggestion=hint, origin=origin, value=None if is_table else value)

    def check_alias(self, key: HubKey) -> bool:
        from ..rules.aliases import canonical_names

        news = canonical_names(self.facts.catalog, [key.path]).get(key.path)
        if news:
            names = ", ".join(format_key(n) for n in news)
            self.add("alias", "warning", key, f"an old name: API-M {self.facts.version} reads it as {names} "
                     "(key-mappings.json accepts the old name for compatibility)", suggestion=format_key(news[0]),
                     source=f"key-mappings.json of API-M {self.facts.version}")
        return bool(news)

    def check_renamed_earlier(self, key: HubKey) -> None:
        """A key a rule pack up to this version renames or removes, which this version still reads."""
        hit = dropping_rule(key.path, upto=self.facts.version)
        if not hit:
            return
        dst, rule, pattern = hit
        new = renamed_to(rule, pattern, key.path)
        if new:
            self.add("alias", "warning", key, f"renamed to {new} in API-M {dst}; {self.facts.version} still reads "
                     "the old name", suggestion=new, source=rule.source)
        else:
            self.add("removed", "warning", key, f"removed in API-M {dst}, though {self.facts.version}'s "
                     f"default.json or templates still name it" + (f" ({rule.message})" if rule.message else ""),
                     source=rule.source)

    def check_deprecated(self, key: HubKey) -> None:
        hit = dropping_rule(key.path, after=self.facts.version)
        if hit:
            dst, rule, pattern = hit
            new = renamed_to(rule, pattern, key.path)
            how = f"renamed to {new}" if new else "removed"
            self.add("deprecated", "note", key, f"read by {self.facts.version}, {how} in API-M {dst}",
                     suggestion=new, source=rule.source)

    # -- values
    def check_placeholders(self, key: HubKey) -> None:
        for text in _strings(key.value):
            for message, ref in placeholders.problems(text):
                if ref is None:
                    self.add("placeholder", "error", key, message)
                elif not read_keys(self.facts.catalog.version).is_known(parse_key(ref)):
                    self.add("placeholder", "warning", key, f"$ref{{{ref}}} names a key API-M "
                             f"{self.facts.version} does not read")

    def check_type(self, key: HubKey) -> None:
        expected = self.facts.expected_types(key.path)
        if not expected or key.chart_shaped or key.value is None:
            return
        has_unit = any(key.key in keys for keys in self.facts.catalog.units.values() if isinstance(keys, dict))
        problems = []
        for kind, quoted_ok, default, where in expected:
            problem = type_problem(kind, quoted_ok, default, key.value, has_unit)
            if problem is None:
                return
            problems.append((problem, where))
        (severity, message), where = min(problems, key=lambda pw: pw[0][0] != "warning")
        message = message.replace("WHERE", where) if "WHERE" in message else f"{message} (per {where})"
        self.add("type", severity, key, message, value=key.value)

    def check_value_set(self, key: HubKey) -> None:
        spec = self.facts.rules.get("value_sets", {}).get(key.key)
        if not spec or not isinstance(key.value, str) or is_placeholder(key.value) or key.value in spec["values"]:
            return
        close = difflib.get_close_matches(key.value, spec["values"], n=1, cutoff=0.6)
        mean = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(spec["values"])
        if spec.get("closed"):
            self.add("value", "error", key, f"{key.value!r} is not one of the values API-M {self.facts.version} "
                     f"accepts ({known}){mean}", value=key.value, suggestion=close[0] if close else None,
                     source=spec["source"])
        else:
            self.add("value", "warning", key, f"{key.value!r} is none of the values WSO2's files and docs name "
                     f"({known}){mean}", value=key.value, suggestion=close[0] if close else None,
                     source=spec["source"])

    def check_requirements(self, keys: list[HubKey]) -> None:
        by_key = {k.key: k for k in keys}
        for req in self.facts.rules.get("requirements", []):
            conditions = [(by_key.get(k), v) for k, v in req["when"].items()]
            if not all(k is not None and _same(k.value, v) for k, v in conditions):
                continue
            present = by_key.get(req["key"])
            if present is not None and isinstance(present.value, str) and is_placeholder(present.value):
                continue
            if present is not None and re.fullmatch(req["match"], str(present.value), re.S):
                continue
            where = present or conditions[0][0]
            assert where is not None, "the conditions held, so their first key is present"
            given = "; it is missing" if present is None else f"; {present.value!r} does not match {req['match']!r}"
            self.add("required", "error", req["key"], f"{req['message']} (when "
                     f"{', '.join(f'{k} = {v!r}' for k, v in req['when'].items())}){given}", where.line,
                     source=req["source"], origin=where.origin)


def suggest_table(known, path: KeyPath) -> str | None:
    """A known table close to an unknown one: among the tables under the same parent."""
    depth = len(path)
    names = {cand[depth - 1] for cand in map(parse_key, known.key_texts)
             if len(cand) > depth and matches(cand[:depth - 1], strip_indices(path[:-1]))
             and isinstance(cand[depth - 1], str) and cand[depth - 1] != "*"}
    close = difflib.get_close_matches(str(path[-1]), sorted(str(n) for n in names), n=1, cutoff=0.6)
    return format_key(path[:-1] + (close[0],)) if close else None


def _same(value: Any, wanted: Any) -> bool:
    return str(value).lower() == str(wanted).lower()


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
