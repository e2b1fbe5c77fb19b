"""Effective values: a chart's defaults under the user's values, as Helm merges them, and the
Go-template guards of chart-map links evaluated on them."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..hub import KeyPath

_SIMPLE_GUARD = re.compile(r"^\s*(not\s*\(?\s*)?\.Values\.([A-Za-z0-9_.]+)\s*\)?\s*$")


def simple_guard(guard: str | None) -> tuple[KeyPath, bool] | None:
    """For ``.Values.X`` or ``not (.Values.X)``: the values path and the value that satisfies it."""
    m = _SIMPLE_GUARD.match(guard or "")
    if not m:
        return None
    return tuple(m.group(2).split(".")), not m.group(1)


def effective_set(values: dict[Any, Any], path: KeyPath, value: Any) -> None:
    """Set a value in an overlay, copying each map on the way (the defaults below are shared)."""
    node = values
    for seg in path[:-1]:
        child = node.get(seg)
        node[seg] = child = dict(child) if isinstance(child, dict) else {}
        node = child
    node[path[-1]] = value


def overlay(defaults: Any, overrides: Any) -> Any:
    """Helm's merge of values over chart defaults (maps merge, the rest replaces, null deletes),
    as a view that shares the untouched parts of the defaults instead of copying them.
    Only guard evaluation reads it; nothing may edit it but effective_set."""
    if not (isinstance(defaults, dict) and isinstance(overrides, dict)):
        return overrides
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = overlay(defaults.get(key), value) if key in defaults else value
    return merged


_FIELD = r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
_SPACE = r"[ \t\r\n]"  # the template lexer's spaces (not \s: that takes Unicode spaces too)
_FIELD_GUARD = re.compile(rf"{_SPACE}*(?:(not){_SPACE}+(?:{_FIELD}|\({_SPACE}*{_FIELD}{_SPACE}*\))|{_FIELD}){_SPACE}*")


_VALUES_READ = re.compile(r"\.Values\.([A-Za-z0-9_.]+)")


def values_read(condition: str | None) -> list[str]:
    """The values paths a template condition reads (``and .Values.a.b (not .Values.c)``: a.b, c)."""
    return _VALUES_READ.findall(condition or "")


_ITEM_FIELD_GUARD = re.compile(r"^\.(\w+)$")  # {{ if .permissions }} inside a range: a field of the item


def own_field_guard(link: Any) -> bool:
    """The link renders a field of each list item under a guard on that same field ({{ if .permissions }}
    around permissions = {{ .permissions }}): judged per item, by the field's own value, not over the tree."""
    found = _ITEM_FIELD_GUARD.match(link.guard or "")
    return found is not None and "[]" in link.values and link.values.rsplit(".", 1)[-1] == found.group(1)


def guard_holds(guard: str | None, values: dict[str, Any] | None) -> bool | None:
    """Evaluate a link's Go-template guard against values; None when it cannot be told."""
    if not guard or values is None or "$" in guard:
        return None
    field = _FIELD_GUARD.fullmatch(guard)
    if field is not None:  # .Values.a.b or not (.Values.a.b), told without the template engine where it is plain
        found = _field_truth(values, (field[2] or field[3] or field[4])[1:].split("."))
        if found is not _NOT_PLAIN:
            return found if found is None or not field[1] else not found
    from .gotemplate import strip_no_value

    try:
        templates, nodes = guard_template(guard)
        return strip_no_value(templates.execute(nodes, "<string>", {"Values": values})) == "1"
    except Exception:  # a guard the evaluator cannot judge (nil pointer, unknown function) decides nothing
        return None


class GuardVerdicts:
    """guard_holds over one values tree, each guard judged once: the tree may change only through ``set``."""

    __slots__ = ("values", "_known")

    def __init__(self, values: dict[str, Any] | None) -> None:
        self.values = values
        self._known: dict[str | None, bool | None] = {}

    def __call__(self, guard: str | None) -> bool | None:
        known = self._known
        if guard not in known:
            known[guard] = guard_holds(guard, self.values)
        return known[guard]

    def set(self, path: KeyPath, value: Any) -> None:
        assert self.values is not None, "a switch is set in effective values"
        effective_set(self.values, path, value)
        self._known.clear()


_NOT_PLAIN = object()


def _field_truth(values: dict[str, Any], names: list[str]) -> Any:
    """The template's truth of a field chain over plain values: None where it stops at nil (the engine's nil
    pointer error); _NOT_PLAIN where a value on the way is not plain data (the engine is asked)."""
    node: Any = values
    for name in names:
        if node is None:
            return None
        if not isinstance(node, dict):
            return _NOT_PLAIN
        node = node.get(name)
    if node is None or isinstance(node, (bool, int, float, str, dict, list, tuple)):
        return bool(node)
    return _NOT_PLAIN


@lru_cache(maxsize=None)
def guard_template(guard: str):
    """A guard parsed once per process, as render_string would parse it (a parse error is not cached); the parse
    kept with a built-in chart map's guards when there is one."""
    from .gotemplate import FUNCTIONS, Template
    from .gotemplate.execute import know_parses

    text = _template_text(guard)
    kept = kept_guard_parses().get(guard)
    if kept is not None:
        know_parses({text: kept})
    templates = Template(FUNCTIONS)
    return templates, templates.add(text, "<string>")


def _template_text(guard: str) -> str:
    return "{{ if " + guard + " }}1{{ end }}"


_GUARDS_OF: dict[str, frozenset[str]] = {}  # a built-in chart map's file (under mappings/) -> its guards
_KEPT_PARSES: dict[str, bytes] = {}  # guard -> the pickled parse of its template


def offer_guards(data_file: str, guards: frozenset[str]) -> None:
    """A built-in chart map read this run (charts/<family>/<chart>/<branch>.json): the parses of its guards are
    kept between runs (datacache), and read when a guard first needs the template engine."""
    _GUARDS_OF.setdefault(data_file, guards)


def kept_guard_parses() -> dict[str, bytes]:
    """The parses of the offered maps' guards that guard_holds gives to the template engine, each map's read from
    the user's cache or made and kept there (parsing them took ~10 ms of a values proof)."""
    for data_file in [f for f in _GUARDS_OF if f not in _READ]:
        _READ.add(data_file)
        _KEPT_PARSES.update(_kept_parses(data_file, _GUARDS_OF[data_file]))
    return _KEPT_PARSES


def _kept_parses(data_file: str, guards: frozenset[str]) -> dict[str, bytes]:
    from ..datacache import kept

    return kept(f"guard-parses-{data_file.replace('/', '-')}", [data_file], _PARSE_CODE, lambda: guard_parses(guards))


_READ: set[str] = set()
_PARSE_CODE = (__name__, "k8s_migrate.charts.gotemplate.parse", "k8s_migrate.charts.gotemplate.execute",
               "k8s_migrate.charts.render_cache", "k8s_migrate.datacache")


def guard_parses(guards: frozenset[str]) -> dict[str, bytes]:
    """guard -> its template's parse, pickled (render_cache.dumps), for each guard not told without the engine."""
    from .gotemplate.execute import parse_texts

    needed = {_template_text(g): g for g in guards if g and "$" not in g and _FIELD_GUARD.fullmatch(g) is None}
    return {needed[text]: parse for text, parse in parse_texts(sorted(needed)).items()}
