"""Verify a values migration: the chart-rendered deployment.toml must mean what the TOML migration says.

T1 = render(values, chart X) taken through the TOML migration to Y's API-M version;
T2 = render(migrated values, chart Y). Every difference is explained by a report entry (of the values
migration or of the TOML migration), by a value given with --set, by no change in effect (one side
renders the server's own default), or by the charts' wiring (service addresses each chart builds from
its release and chart name, fed by no values path); anything else is unexplained.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any, Iterable, Iterator

from k8s_migrate.charts.chartmap import ChartMap
from k8s_migrate.charts.locate import DEFAULT_REFERENCE, REFERENCE_ENV, chart_directory, reference_root  # noqa: F401
from k8s_migrate.errors import ProofError, UsageError
from k8s_migrate.hub import ANY_ITEM, ANY_KEY, KeyPath, format_key, matches, parse_key, unflatten
from k8s_migrate.report import ATTENTION, Report
from k8s_migrate.rules.values import same_value


@dataclass
class Difference:
    """One deployment.toml key that the two renders give otherwise, and what explains it."""

    key: str
    before: Any  # T1's value (absent: None with present_before False)
    after: Any
    present_before: bool = True
    present_after: bool = True
    reason: str = ""
    instance: str = ""  # the destination instance (the source one when it vanished)


class ValuesProofError(ProofError):
    """The migrated values render a deployment that no report entry explains: nothing is written, exit 3."""

    def __init__(self, name: str, unexplained: list[Difference], report: Report | None = None):
        self.unexplained = unexplained
        self.report = report
        if report is not None:
            report.notes.extend(f"proof failed: {d.key}{f' in {d.instance}' if d.instance else ''} renders "
                                "differently and no report entry explains it" for d in unexplained)
        first = next((d for d in unexplained if d.key.startswith("(instance")), unexplained[0])  # the largest first
        more = f" (and {len(unexplained) - 1} more)" if len(unexplained) > 1 else ""
        Exception.__init__(self, f"{name}: internal inconsistency: {first.key}"
                         f"{f' in {first.instance}' if first.instance else ''} renders differently and no report entry "
                         f"explains it{more}; nothing written; please report it")


@dataclass
class Verification:
    """What verify found: the differences, explained or not, and the instances rendered on each side."""

    explained: list[Difference] = field(default_factory=list)
    unexplained: list[Difference] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # a render that is not TOML: nothing to compare
    instances_before: list[str] = field(default_factory=list)  # the instances (deployment.toml ConfigMaps) rendered
    instances_after: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # full charts: how the other rendered objects differ
    renders: dict[str, dict] = field(default_factory=dict)  # new instance -> its deployment.toml, parsed
    pairs: list[tuple[str | None, str | None]] = field(default_factory=list)  # (old instance, new instance)

    @property
    def ok(self) -> bool:
        return not self.unexplained and not self.errors


def load_rendered_toml(text: str, label: str) -> tuple[dict, str]:
    """The TOML data, or {} and a message quoting the line that does not parse."""
    import tomllib  # here: render, which imports this module for chart_directory, reads no TOML

    try:
        return tomllib.loads(text), ""
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_of(str(exc))
        lines = text.splitlines()
        quoted = f": {lines[line - 1].strip()!r}" if line and 0 < line <= len(lines) else ""
        return {}, f"{label} is not valid TOML ({exc}){quoted}"


def _line_of(message: str) -> int | None:
    import re

    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None


def differences(t1: dict, t2: dict) -> list[Difference]:
    """Every leaf that differs, key by key (a value of another type differs). Tables are compared here; two
    arrays that differ go to deepdiff, whose import costs more than the rest of a run, only when there are any."""
    out: list[Difference] = []
    _diff((), t1, t2, out)
    return sorted(out, key=lambda d: d.key)


def _diff(path: KeyPath, t1: Any, t2: Any, out: list[Difference]) -> None:
    if type(t1) is dict and type(t2) is dict:
        for key, value in t1.items():
            if key in t2:
                _diff((*path, key), value, t2[key], out)
            else:
                out += [Difference(format_key(p), v, None, True, False) for p, v in _leaves((*path, key), value)]
        out += [Difference(format_key(p), None, v, False, True)
                for key, value in t2.items() if key not in t1 for p, v in _leaves((*path, key), value)]
    elif type(t1) is list and type(t2) is list:
        if _identical(t1, t2):
            return
        kinds = {_kind(v) for v in (*t1, *t2)}
        if kinds != {"plain"} and "other" not in kinds:  # deepdiff pairs such arrays item by item, as here
            for i, (a, b) in enumerate(zip_longest(t1, t2, fillvalue=_ABSENT)):
                if a is _ABSENT:
                    out += [Difference(format_key(p), None, v, False, True) for p, v in _leaves((*path, i), b)]
                elif b is _ABSENT:
                    out += [Difference(format_key(p), v, None, True, False) for p, v in _leaves((*path, i), a)]
                else:
                    _diff((*path, i), a, b, out)
        else:
            out += _array_differences(path, t1, t2)
    elif not _identical(t1, t2):
        out.append(Difference(format_key(path), t1, t2))


_ABSENT = object()
_PLAIN = (str, bytes, int, float, bool, type(None), datetime.date, datetime.time, datetime.timedelta)


def _kind(value: Any) -> str:
    """deepdiff lines up arrays of plain values with difflib, and pairs the others by index."""
    if type(value) in (dict, list):
        return "nested"
    return "plain" if isinstance(value, _PLAIN) else "other"


def _identical(t1: Any, t2: Any) -> bool:
    """Equal, and of the same types all the way down (1, 1.0 and True are three different values here)."""
    if type(t1) is not type(t2):
        return False
    if type(t1) is dict:
        return t1.keys() == t2.keys() and all(_identical(v, t2[k]) for k, v in t1.items())
    if type(t1) is list:
        return len(t1) == len(t2) and all(_identical(a, b) for a, b in zip(t1, t2, strict=True))
    return t1 == t2


def _array_differences(path: KeyPath, t1: list, t2: list) -> list[Difference]:
    if _changed_in_place(t1, t2):
        return [Difference(format_key((*path, i)), a, b) for i, (a, b) in enumerate(zip(t1, t2, strict=True)) if a != b]
    from deepdiff import DeepDiff

    tree = DeepDiff(t1, t2, ignore_order=False, view="tree", threshold_to_diff_deeper=0)  # key by key, always
    out: list[Difference] = []
    for kind, items in tree.items():
        for item in items:
            where = (*path, *item.path(output_format="list"))
            if "added" in kind:
                out += [Difference(format_key(p), None, v, False, True) for p, v in _leaves(where, item.t2)]
            elif "removed" in kind:
                out += [Difference(format_key(p), v, None, True, False) for p, v in _leaves(where, item.t1)]
            else:
                out.append(Difference(format_key(where), item.t1, item.t2))
    return out


def _changed_in_place(t1: list, t2: list) -> bool:
    """Two arrays of strings, as long as each other, where each item is either the same on both sides or, on each
    side, a string the other array does not hold (a service address each chart builds its own way). difflib then
    lines every kept item up with itself, so deepdiff reports each other index as a changed value, and nothing else;
    here that costs no import of deepdiff (60-180 ms)."""
    if len(t1) != len(t2) or any(type(v) is not str for v in (*t1, *t2)):
        return False
    left, right = set(t1), set(t2)
    return all(a == b or (a not in right and b not in left) for a, b in zip(t1, t2, strict=True))


def _leaves(path: KeyPath, value: Any) -> list[tuple[KeyPath, Any]]:
    """A table that only one side has, as its leaves (so each can be explained on its own)."""
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves((*path, k), v)]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [leaf for i, v in enumerate(value) for leaf in _leaves((*path, i), v)]
    return [(path, value)]


class Keyed:
    """A report's entries that name a key, each with its key parsed, found by the key's first segment."""

    def __init__(self, pairs: list[tuple[Any, KeyPath]]):
        self.pairs = pairs
        self.by_head: dict[Any, list[int]] = {}
        for position, (_, pattern) in enumerate(pairs):
            self.by_head.setdefault(pattern[0], []).append(position)

    def related(self, key: KeyPath) -> Iterator[tuple[Any, KeyPath]]:
        """The entries whose key matches ``key``, or a table above or below it, in report order: only those whose
        first segment is the key's, or the wildcard that takes it, can."""
        head = key[0] if key else ANY_KEY
        if head in (ANY_KEY, ANY_ITEM):
            positions: Iterable[int] = range(len(self.pairs))
        else:
            positions = sorted(self.by_head.get(head, []) + self.by_head.get(
                ANY_ITEM if isinstance(head, int) else ANY_KEY, []))
        for position in positions:
            entry, pattern = self.pairs[position]
            if _related(pattern, key):
                yield entry, pattern


def keyed_entries(report: Report) -> Keyed:
    """The report's entries that not_exposed, rule_finding or default_followed may give, with the key each names
    (its new key, else its old one), parsed once for all the differences asked about them."""
    out = []
    for entry in report.entries:
        text = entry.new_key or entry.old_key
        if not text or not _may_explain(entry):
            continue
        try:
            out.append((entry, parse_key(text)))
        except ValueError:
            continue
    return Keyed(out)


def _may_explain(entry: Any) -> bool:
    return ((entry.action == "review" and entry.rule is None) or entry.action == "defaulted"
            or bool(entry.rule and (entry.old_key is None or entry.action in ATTENTION)))


def _related(pattern: KeyPath, key: KeyPath) -> bool:
    return matches(pattern, key, prefix=True) or matches(key, pattern, prefix=True)


def not_exposed(keyed: Keyed, key: KeyPath) -> str:
    for entry, _ in keyed.related(key):
        if entry.action == "review" and entry.rule is None:
            return f"the destination chart does not expose it (values report: {entry.origin or entry.old_key})"
    return ""


def rule_finding(keyed: Keyed, key: KeyPath) -> str:
    for entry, _ in keyed.related(key):
        finding = entry.old_key is None or entry.action in ATTENTION
        if entry.rule and finding:
            return f"rule {entry.rule}: {entry.message}".strip()
    return ""


def default_followed(keyed: Keyed, diff: Difference) -> str:
    """The values migration moved a value left at the old chart's default to the new chart's default."""
    key = parse_key(diff.key)
    for entry, _ in keyed.related(key):
        if entry.action != "defaulted":
            continue
        if str(entry.new_value) == str(diff.after):
            return f"chart default change ({entry.origin}: {entry.old_value!r} -> {entry.new_value!r})"
        if not diff.present_after and "does not expose" in entry.message:
            return f"the old chart's default ({entry.origin}), which the new chart no longer sets"
    return ""


def filled_in(values_report: Report, dst_map: ChartMap, key: KeyPath) -> str:
    """The values migration added the value that feeds this key (a field the new chart's items need)."""
    feeders = [parse_key(path) for path, _ in dst_map.toml_to_values(format_key(key))]
    if not feeders:
        return ""
    for entry in values_report.entries:
        if entry.action != "added" or not entry.new_key:
            continue
        added = parse_key(entry.new_key)
        if any(matches(f, added) for f in feeders):
            return f"set by the values migration from the new chart's default ({entry.new_key}): {entry.message}"
    return ""


def unchanged_in_effect(diff: Difference, catalog) -> str:
    """One side renders the key and the other leaves it to the server, whose default is the same value
    (an empty table is no setting at all)."""
    before, after = _effective(diff.present_before, diff.before, diff.key, catalog), \
        _effective(diff.present_after, diff.after, diff.key, catalog)
    if before is _ABSENT and after is _ABSENT and {type(diff.before), type(diff.after)} & {dict}:
        return "an empty table on one side: no setting either way"
    if before is _ABSENT or after is _ABSENT or not same_value(before, after):
        return ""
    return f"rendered on one side only, at API-M {catalog.version}'s own default {after!r}: no change in effect"


def _effective(present: bool, value: Any, key: str, catalog) -> Any:
    if present and not (isinstance(value, dict) and not value):
        return value
    if catalog is None:
        return _ABSENT
    found, default, _ = catalog.default(key)
    return default if found else _ABSENT


def reported_change(report: Report, key: KeyPath, t1: dict, t2: dict, catalog, names: tuple[str, ...] = (),
                    src_map: ChartMap | None = None) -> str:
    """A defaulted or review entry that names this key (or the list it is an item of) with the values both
    renders give it: the new chart renders it from its default or its template, or no longer renders it.
    An entry that shows a chart-built service host as <service> is compared with the renders' hosts so shown."""

    for cut in range(len(key), 0, -1):
        if any(not isinstance(s, int) for s in key[cut:]):
            break
        head = key[:cut]
        text = format_key(head)
        before, after = (_effective(*_find(t, head), text, catalog) for t in (t1, t2))
        for entry in report.entries:
            if entry.new_key == text and _states(entry, before, after, text, names, src_map):
                return f"{entry.action}: {entry.message}"
    return _reported_items(report, key, t1, t2, catalog, names, src_map)


def _states(entry: Any, before: Any, after: Any, text: str, names: tuple[str, ...], src_map: ChartMap | None) -> bool:
    """A defaulted or review entry whose old and new values are what the two renders give the key."""
    from k8s_migrate.migrate.default_changes import SERVICE, without_service_hosts

    if entry.action not in ("defaulted", "review"):
        return False
    old, new = before, after
    if SERVICE in str(entry.old_value) + str(entry.new_value):
        old = without_service_hosts(before, names, old_side=True) if before is not _ABSENT else before
        new = without_service_hosts(after, names) if after is not _ABSENT else after
    old_holds = _same(entry.old_value, old) or old_wiring(before, text, names, src_map)
    return _same(entry.new_value, new) and old_holds


def _reported_items(report: Report, key: KeyPath, t1: dict, t2: dict, catalog, names: tuple[str, ...],
                    src_map: ChartMap | None) -> str:
    """An array of values on either side (none on the other) whose every item an entry states, item by item
    (the chart model renders such an array one item per template line)."""
    text = format_key(key)
    before, after = (_effective(*_find(t, key), text, catalog) for t in (t1, t2))
    sides = (before, after)
    if not any(isinstance(v, list) and v for v in sides) or not all(v is _ABSENT or isinstance(v, list) for v in sides):
        return ""
    first = None
    for i in range(max(len(v) for v in sides if isinstance(v, list))):
        item = f"{text}[{i}]"
        old, new = (v[i] if isinstance(v, list) and i < len(v) else _ABSENT for v in sides)
        found = next((e for e in report.entries if e.new_key == item and _states(e, old, new, item, names, src_map)),
                     None)
        if found is None:
            return ""
        first = first or found
    return f"{first.action}: {first.message}" if first is not None else ""


def old_wiring(before: Any, key: str, names: tuple[str, ...], src_map: ChartMap | None) -> bool:
    """The old chart built this value around its own service hosts, from no values path and not as a literal its
    map records: the migration cannot know it, so its entry's old value is not held against it."""
    from k8s_migrate.migrate.default_changes import without_service_hosts

    if src_map is None or before is _ABSENT or without_service_hosts(before, names, old_side=True) == before:
        return False
    literal = any(same_value(c["value"], before) for c in src_map.stock_value(key))
    return not src_map.toml_to_values(key) and not literal


def _find(tree: Any, path: KeyPath) -> tuple[bool, Any]:
    from k8s_migrate.charts.deployment_rules import ABSENT, lookup

    found = lookup(tree, path)
    return (False, None) if found is ABSENT else (True, found)


def _same(reported: Any, rendered: Any) -> bool:
    if rendered is _ABSENT:
        return reported is None
    return same_value(reported, rendered)


def topology(diff: Difference, names: tuple[str, str], catalog, dst_map: ChartMap, src_map: ChartMap | None = None,
             release: str = "release") -> str:
    """The charts' own wiring, fed by no values path (of the map's instance where the map names it). Either the two
    sides differ only in the service addresses (URL host and port, or a bare host name) that each chart builds in
    its template from its release and chart name (the old charts' ``localhost`` included); or the old chart did not
    render the key (or rendered the server's own default) and the new one builds it around such an address, from no
    literal of its map; or the old chart built it so and the new one does not render it (the server's default, if
    any, in its place); or each chart builds it around such an address in its own way."""
    from k8s_migrate.migrate.default_changes import SERVICE, template_hosts

    hosts = (*[n for n in names if n], f"{release}-", *template_hosts(dst_map, diff.key, diff.after),
             *(template_hosts(src_map, diff.key, diff.before) if src_map is not None else ()))
    before, after = (_effective(diff.present_before, diff.before, diff.key, catalog),
                     _effective(diff.present_after, diff.after, diff.key, catalog))
    old_wired = before is not _ABSENT and _wired(before, hosts, True) != before and src_map is not None \
        and _unfed(src_map, diff.key, diff.instance, literal=_ABSENT if diff.present_after else before)
    if not diff.present_after and old_wired:
        if after is _ABSENT:
            return (f"the old chart's wiring: {names[0]} built this address from its release and chart name; "
                    f"{names[1]} does not render the key, and the server has no default for it")
        return (f"the old chart's wiring: {names[0]} built this address from its release and chart name, fed by no "
                f"values path; {names[1]} does not render the key: API-M's own default {after!r} applies")
    if after is _ABSENT:
        return ""
    old, new = _wired(before, hosts, True), _wired(after, hosts, False)
    if new == after or SERVICE not in str(new):
        return ""
    if before is not _ABSENT and same_value(old, new):
        return (f"the charts' wiring: only the service host differs, which each chart builds from its release and "
                f"chart name ({names[0]} -> {names[1]}) in its template")
    if not _unfed(dst_map, diff.key, diff.instance):
        return ""
    server_default = diff.present_before and _default_of(diff.key, catalog, before)
    if not diff.present_before or server_default:
        return (f"the new chart's wiring: {names[1]} addresses its own service (built from its release and chart "
                f"name in its template, fed by no values path) where {names[0]} left the key to the server"
                f"{' (it wrote the default ' + repr(before) + ')' if server_default else ''}")
    if old_wired:
        return (f"the charts' wiring: each chart builds this address in its template from its release and chart "
                f"name, fed by no values path ({old!r} -> {new!r})")
    if src_map is not None and _unfed(src_map, diff.key, diff.instance, literal=_ABSENT) \
            and not _unfed(src_map, diff.key, diff.instance, literal=before):
        return (f"the charts' wiring: {names[0]} wrote {before!r} as a literal of its template, fed by no values "
                f"path; {names[1]} builds this address from its release and chart name, fed by no values path")
    return ""


_BARE_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")


def _wired(value: Any, hosts: tuple[str, ...], old_side: bool) -> Any:
    """The value with each service host a chart builds from its release or chart name shown as <service>: in a URL,
    or the whole value when it is a bare host name (``server.hostname``)."""
    from k8s_migrate.migrate.default_changes import SERVICE, without_service_hosts

    if isinstance(value, str) and _BARE_HOST.fullmatch(value) and any(h and h in value for h in hosts):
        return SERVICE
    return without_service_hosts(value, hosts, old_side=old_side)


def _default_of(key: str, catalog, value: Any) -> bool:
    """The value is the server's own default for the key."""
    if catalog is None:
        return False
    found, default, _ = catalog.default(key)
    return bool(found) and same_value(default, value)


def _unfed(chart_map: ChartMap, key: str, instance: str = "", literal: Any = None) -> bool:
    """No values path feeds the key and no literal of the map fixes it (when ``literal`` is given: no literal of
    that value; _ABSENT: literals do not count) in the map's instance of this name, or in any instance when the map
    has none of that name: only the template's wiring renders it."""
    mine = _map_instance_id(chart_map, instance)
    feeds = [link for _, link in chart_map.toml_to_values(key) if mine is None or link.instance in (None, mine)]
    fixed = [c for c in chart_map.stock_value(key) if (mine is None or c.get("instance") in (None, mine))
             and literal is not _ABSENT and (literal is None or same_value(c["value"], literal))]
    return not feeds and not fixed


def _map_instance_id(chart_map: ChartMap, instance: str) -> str | None:
    """The map's instance of this rendered instance: the same id, else the one instance with the same last folder
    (its id as the 3.0.x maps write it, ``am-km/repository/conf``, read as ``am/km``)."""
    from k8s_migrate.migrate.default_changes import _component

    known = [i["instance"] for i in chart_map.instances]
    if not instance or instance in known:
        return instance or None
    tail = instance.strip("/").split("/")[-1]
    found = [k for k in known if _component(k).split("/")[-1] == tail]
    return found[0] if len(found) == 1 else None


def given_value(dst_map: ChartMap, key: KeyPath, given: dict[str, str]) -> str:
    feeders = {path for path, _ in dst_map.toml_to_values(format_key(key))}
    hit = sorted(feeders & set(given))
    return f"given with --set {hit[0]}" if hit else ""




def classify(diff: Difference, values_report: Report, toml_report: Report, dst_map: ChartMap,
             instance: str | None, names: tuple[str, str] = ("", ""),
             src_map: ChartMap | None = None, given: dict[str, str] | None = None, t1: dict | None = None,
             t2: dict | None = None, catalog=None, keyed: tuple[Keyed, Keyed] | None = None) -> str:
    """``keyed``: both reports' keyed_entries (values, toml), when the caller asks about many differences."""
    key = parse_key(diff.key)
    values_keyed, toml_keyed = keyed or (keyed_entries(values_report), keyed_entries(toml_report))
    return (given_value(dst_map, key, given or {})
            or unchanged_in_effect(diff, catalog)
            or not_exposed(values_keyed, key) or default_followed(values_keyed, diff)
            or filled_in(values_report, dst_map, key)
            or reported_change(values_report, key, t1 or {}, t2 or {}, catalog, (*[n for n in names if n], "release-"),
                               src_map)
            or rule_finding(toml_keyed, key)
            or topology(diff, names, catalog, dst_map, src_map))


def verify(values_data: bytes, name: str, chart: str, to_chart: str, instance: str | None = None,
           chart_dir_from: str | None = None, chart_dir_to: str | None = None,
           given: dict[str, str] | None = None, renderer: str = "builtin", subchart: str | None = None,
           values_result=None, source_instances: set[str] | None = None, profile: str | None = None,
           objects: bool = True) -> Verification:
    """Render every instance of the old chart with the values and of the new chart with the migrated values;
    compare each pair's deployment.toml (the old one taken through the TOML migration) and the set of
    instances. ``given`` holds values the operator supplies for the new chart (``--set``): the manual steps
    the values report asks for, such as a key the new chart requires. ``values_result`` is the migration
    to check (default: run it). ``objects``: also compare the other objects of full charts (the proof does not)."""
    from k8s_migrate.charts.chartmap import load_map
    from k8s_migrate.charts.render import load_values_text
    from k8s_migrate.migrate.default_changes import pair_instances  # verify's pairing is the model's
    from k8s_migrate.migrate.values import ValuesOptions, migrate_values
    from k8s_migrate.output import without_bom

    src_map, dst_map = load_map(chart), load_map(to_chart)
    src_dir = chart_directory(chart_dir_from, None) if chart_dir_from else chart_directory(chart, src_map)
    dst_dir = chart_directory(chart_dir_to, None) if chart_dir_to else chart_directory(to_chart, dst_map)
    values_text = without_bom(values_data)
    if values_result is None:
        values_result = migrate_values(values_data, name,
                                       ValuesOptions(chart=chart, to_chart=to_chart, subchart=subchart))
    alias = _alias(values_result.report)
    source_values = _subtree(load_values_text(values_text), alias)
    del values_text
    migrated_values = _subtree(load_values_text(values_result.output), alias)

    before = render_instances(src_dir, source_values, renderer)
    if source_instances is not None:  # a split: this chart takes the instances of its own component
        before = {k: v for k, v in before.items() if k in source_instances}
    try:
        after = render_instances(dst_dir, merge_given(migrated_values, given), renderer)
    except UsageError as exc:  # the destination chart refuses the migrated values (e.g. a required value)
        return Verification(errors=[f"{to_chart} cannot render the migrated values: {exc.message}"],
                            instances_before=list(before))
    if before and not after and not dst_map.instances:
        return Verification(errors=[f"{to_chart} renders no deployment.toml here: its chart map lists no instance "
                                    f"(an umbrella chart whose subcharts{_dependencies(dst_dir)} are not bundled)"],
                            instances_before=list(before))
    result = Verification(instances_before=list(before), instances_after=list(after))
    rendered_values = ((source_values, migrated_values) if objects and is_full_chart(src_dir) and is_full_chart(dst_dir)
                       else None)
    del source_values, migrated_values  # the comparison reads the renders only (a large file's values weigh much)
    context = Compared(values_result.report, src_map, dst_map, given or {},
                       (_chart_name(src_dir), _chart_name(dst_dir)), profile)
    result.pairs = pair_instances(list(before), list(after), instance)
    for old, new in result.pairs:
        if old is None or new is None:
            diff = instance_difference(old, new, src_dir, dst_dir, values_result.report)
            (result.explained if diff.reason else result.unexplained).append(diff)
            continue
        compare_instance(result, before[old], after[new], old, new, context)
    if rendered_values is not None:
        source_values, migrated_values = rendered_values
        old_objects, failed_old = render_objects(src_dir, source_values, renderer)
        new_objects, failed_new = render_objects(dst_dir, merge_given(migrated_values, given), renderer)
        result.objects = compare_objects(old_objects, new_objects, values_result.report)
        result.objects += [f"(not rendered: {f})" for f in failed_old + failed_new]
    return result


def _dependencies(chart_dir: str) -> str:
    """The subcharts a chart names in requirements.yaml or Chart.yaml, as `` (a 1.0, b)``; empty if none."""
    from ruamel.yaml import YAML

    names = []
    for file in ("Chart.yaml", "requirements.yaml"):
        try:
            with open(os.path.join(chart_dir, file)) as fh:
                data = YAML(typ="safe", pure=True).load(fh.read())
        except (OSError, ValueError):
            continue
        for dep in (data or {}).get("dependencies") or [] if isinstance(data, dict) else []:
            if isinstance(dep, dict) and dep.get("name"):
                names.append(f"{dep['name']} {dep.get('version', '')}".strip())
    return f" ({', '.join(names)})" if names else ""


@dataclass
class Compared:
    """What the comparison of each pair of instances reads: the values report, both maps, the given values."""

    values_report: Report
    src_map: ChartMap
    dst_map: ChartMap
    given: dict[str, str]
    names: tuple[str, str]
    profile: str | None = None
    migrated: dict[str, Any] = field(default_factory=dict)  # rendered old deployment.toml -> its TOML migration
    keyed: dict[int, Keyed] = field(default_factory=dict)  # id(report) -> its keyed_entries

    def keyed_entries(self, report: Report) -> Keyed:
        found = self.keyed.get(id(report))
        if found is None:
            found = self.keyed[id(report)] = keyed_entries(report)
        return found


def compare_instance(result: Verification, rendered_src: str, rendered_dst: str, old: str, new: str,
                     ctx: Compared) -> None:
    from k8s_migrate.catalog import load_catalog
    from k8s_migrate.charts.chartmap import chart_version
    from k8s_migrate.migrate.toml import Options
    from k8s_migrate.migrate.toml_data import migrate_toml_data

    name = f"{old} (rendered by {ctx.src_map.id})"
    options = Options(chart_version(ctx.src_map, None, "--from"), chart_version(ctx.dst_map, None, "--to"),
                      mode="edit", profile=ctx.profile)
    toml_result = ctx.migrated.get(rendered_src)
    if toml_result is None:  # instances that render the same deployment.toml share one migration
        # classify reads only the entries rules made (rule_finding)
        toml_result = ctx.migrated[rendered_src] = migrate_toml_data(rendered_src, name, options, rules_only=True)
        ctx.keyed_entries(toml_result.report)
        toml_result.report.entries = []  # classify reads the keyed ones (a large file's entries weigh tens of MB)
    t1 = toml_result.data
    t2, error = load_rendered_toml(rendered_dst, f"{ctx.dst_map.id}'s {new} from the migrated values")
    result.renders[new] = t2
    if error:
        result.errors.append(error)
        return
    for diff in differences(t1, t2):
        diff.instance = new
        diff.reason = classify(diff, ctx.values_report, toml_result.report, ctx.dst_map,
                               _map_instance(ctx.dst_map, new), ctx.names, ctx.src_map, ctx.given, t1, t2,
                               load_catalog(chart_version(ctx.dst_map, None, "--to")),
                               (ctx.keyed_entries(ctx.values_report), ctx.keyed_entries(toml_result.report)))
        (result.explained if diff.reason else result.unexplained).append(diff)


def render_instances(chart_dir: str, values: dict, renderer: str = "builtin") -> dict[str, str]:
    """Instance id -> deployment.toml, for each instance the chart renders with these values (as Helm reads them:
    load_values_text's, or merge_given's)."""
    from k8s_migrate.charts.render import Rendering, TemplateError, list_instances, render_deployment_toml

    rendering = Rendering(chart_dir, values, typed=True) if renderer != "helm" else None
    out = {}
    for instance in list_instances(chart_dir):
        try:
            out[instance] = (rendering.deployment_toml(instance) if rendering is not None
                             else render_deployment_toml(chart_dir, values, instance, renderer=renderer))
        except TemplateError as exc:
            if "rendered no data." in str(exc):
                continue  # a guard keeps this instance's ConfigMap out (e.g. highAvailability: false)
            raise UsageError(f"cannot render {chart_dir}: {exc}") from None
    return out


_GUARD = re.compile(r"\{\{-?\s*(?:if|else if|with)\s+(.*?)-?\}\}", re.S)


def instance_template_text(chart_dir: str, instance: str) -> str:
    """The text of the template that renders an instance's deployment.toml ConfigMap ("" when none does)."""
    from k8s_migrate.charts.render import config_sources, load_chart

    chart = load_chart(chart_dir)
    template = config_sources(chart).get(instance)
    return "" if template is None else chart.template_text(template)


def instance_guard_paths(chart_dir: str, instance: str) -> set[str]:
    """The values paths the conditions of an instance's ConfigMap template read."""
    from k8s_migrate.charts.effective import values_read

    return {path for cond in _GUARD.findall(instance_template_text(chart_dir, instance)) for path in values_read(cond)}


def instance_difference(old: str | None, new: str | None, src_dir: str, dst_dir: str, report: Report) -> Difference:
    """An instance (its deployment.toml ConfigMap) only one side renders, and the report entry that says why."""
    chart_dir, instance = (dst_dir, new) if new else (src_dir, old)
    assert instance is not None, "a pair of instances has at least one side"
    guards = instance_guard_paths(chart_dir, instance)
    diff = Difference(f"(instance {instance})", old, new, old is not None, new is not None, instance=instance)
    for entry in report.entries:
        keys = {_dealias(k, report) for k in (entry.origin, entry.new_key, entry.old_key) if k}
        if keys & guards:
            diff.reason = f"{'new' if new else 'gone'}: {entry.rule or entry.action}: {entry.message}".strip()
            break
    else:
        diff.reason = (_unpaired(instance, report, instance_aliases(chart_dir, instance)) if not new
                       else _unpaired(instance, report, side="new"))
    return diff


_CONFS_READ = re.compile(r'\.Files\.(?:Glob|Get)\s+"confs/(.+?)/[^/"]*"')


def instance_aliases(chart_dir: str, instance: str) -> tuple[str, ...]:
    """The names a 3.0.x chart's map gives this rendered instance: the confs folder its ConfigMap template reads
    (``templates/am/devportal`` reads ``confs/am-dev/repository/conf/*``: ``am/dev``)."""
    from k8s_migrate.migrate.default_changes import _component

    return tuple(_component(folder) for folder in _CONFS_READ.findall(instance_template_text(chart_dir, instance)))


def _unpaired(instance: str, report: Report, aliases: tuple[str, ...] = (), side: str = "gone") -> str:
    """The report's entry for an instance that no instance of the other chart pairs with
    (default_changes.unpaired_instances), by the component the map names it for (``am/km``) or one of its
    ``aliases`` (instance_aliases); ``side``: gone (an old instance) or new."""
    for entry in report.entries:
        origin = entry.origin or ""
        if entry.action == "review" and origin.startswith("(instance ") and not entry.old_key and not entry.new_key:
            named = origin.removeprefix("(instance ").removesuffix(")")
            if named in (instance, *aliases) or instance.endswith("/" + named):
                return f"{side}: {entry.action}: {entry.message}"
    return ""


def _alias(report: Report) -> str | None:
    for note in report.notes:
        if note.startswith("values of the subchart under "):
            return note.removeprefix("values of the subchart under ").split(":")[0]
    return None


def _dealias(key: str, report: Report) -> str:
    alias = _alias(report)
    return key.removeprefix(f"{alias}.") if alias else key


def _subtree(values: dict, alias: str | None) -> dict:
    if alias is None:
        return values
    sub = values.get(alias)
    return sub if isinstance(sub, dict) else {}


def merge_given(values: dict, given: dict[str, str] | None) -> dict:
    from k8s_migrate.charts.render import helm_values, merge_values

    return merge_values(values, helm_values(unflatten(given))) if given else values


def prove_values(values_data: bytes, name: str, chart: str, to_chart: str, values_result,
                 subchart: str | None = None) -> Verification | None:
    """The proof before a values file is written: None when the charts' templates are not here (a note says
    so), else the verification; unexplained differences raise ValuesProofError. The cycle collector is paused
    for it, as for a migration (migrate.toml.collector_paused)."""
    from k8s_migrate.migrate.toml import collector_paused

    return collector_paused(_prove_values)(values_data, name, chart, to_chart, values_result, subchart)


def _prove_values(values_data: bytes, name: str, chart: str, to_chart: str, values_result,
                  subchart: str | None = None) -> Verification | None:
    try:
        result = verify(values_data, name, chart, to_chart, subchart=subchart, values_result=values_result,
                        objects=False)
    except UsageError as exc:
        values_result.report.notes.append(f"not proven by rendering: {exc.message}")
        return None
    if result.errors:
        values_result.report.notes.append("not proven by rendering: " + "; ".join(result.errors))
    elif result.unexplained:
        raise ValuesProofError(name, result.unexplained, values_result.report)
    else:
        values_result.report.notes.append(
            f"proven by rendering: instances {', '.join(result.instances_before) or 'none'} -> "
            f"{', '.join(result.instances_after) or 'none'}; {len(result.explained)} differences, each explained")
    return result


def prove_split(values_data: bytes, name: str, chart: str, split) -> list[tuple[Any, Verification]]:
    """The proof of a split, per destination chart: its instances against the source instances of its component.
    A key the source instance rendered and this chart does not is no loss when another file's chart renders it,
    from the same source instance, with the same value. Unexplained differences raise ValuesProofError."""
    from k8s_migrate.migrate.toml import Result

    done: list[tuple[Any, Verification]] = []
    for f in split.files:
        if f.output is None:
            continue
        try:
            result = verify(values_data, name, chart, f.chart, values_result=Result(f.output, f.report, ""),
                            source_instances=f.source_instances, profile=f.profile)
        except UsageError as exc:
            split.report.notes.append(f"{f.name}: not proven by rendering: {exc.message}")
            continue
        done.append((f, result))
    unexplained = []
    for f, result in done:
        for diff in list(result.unexplained):
            carrier = carried_elsewhere(diff, result, [(g, r) for g, r in done if r is not result])
            if carrier:
                diff.reason = carrier
                result.unexplained.remove(diff)
                result.explained.append(diff)
        if result.errors:
            split.report.notes.append(f"{f.name}: not proven by rendering: " + "; ".join(result.errors))
        elif not result.unexplained:
            split.report.notes.append(
                f"{f.name}: proven by rendering: instances {', '.join(result.instances_before) or 'none'} -> "
                f"{', '.join(result.instances_after) or 'none'}; {len(result.explained)} differences, each explained")
        for diff in result.unexplained:
            diff.instance = f"{f.name}: {diff.instance}"
        unexplained += result.unexplained
    if unexplained:
        raise ValuesProofError(name, unexplained, split.report)
    return done


def carried_elsewhere(diff: Difference, result: Verification, others: list) -> str:
    if not diff.present_before or diff.present_after:
        return ""
    old = next((o for o, n in result.pairs if n == diff.instance), None)
    key = parse_key(diff.key)
    for f, other in others:
        for o, n in other.pairs:
            if o == old and n in other.renders:
                found, value = _find(other.renders[n], key)
                explained_there = any(d.key == diff.key and d.instance == n for d in other.explained)
                if found and (_identical(value, diff.before) or explained_there):
                    return f"moved with the split: {f.name} ({f.chart}, {n}) renders it from the same source instance"
    return ""


def _chart_name(path: str) -> str:
    from k8s_migrate.charts.render import load_chart

    return load_chart(path).name


def _map_instance(chart_map: ChartMap, instance: str | None) -> str | None:
    known = [i["instance"] for i in chart_map.instances]
    if instance is None:
        return known[0] if known else None
    tail = instance.strip("/").split("/")[-1]
    return tail if tail in known else None


def _show(present: bool, value: Any) -> str:
    return repr(value) if present else "(absent)"


def verification_text(result: Verification, show_secrets: bool = False) -> str:
    def show(key: str, present: bool, value: Any) -> str:
        from k8s_migrate.report.masking import mask_value  # here: only an unexplained difference shows a value

        return _show(present, value if show_secrets else mask_value(key, value))

    several = max(len(result.instances_before), len(result.instances_after)) > 1
    label = lambda d: f"{d.key} [{d.instance}]" if several and d.instance else d.key  # noqa: E731
    lines = [f"ERROR: {e}" for e in result.errors]
    if result.instances_before or result.instances_after:
        lines.append(f"instances: {', '.join(result.instances_before) or 'none'} -> "
                     f"{', '.join(result.instances_after) or 'none'}")
    if result.objects:
        lines.append(f"other objects ({len(result.objects)}):")
        lines += [f"  {line}" for line in result.objects]
    if result.explained:
        lines.append(f"explained differences ({len(result.explained)}):")
        lines += [f"  {label(d)}: {d.reason}" for d in result.explained]
    if result.unexplained:
        lines.append(f"UNEXPLAINED differences ({len(result.unexplained)}):")
        for d in result.unexplained:
            lines.append(f"  {label(d)}")
            lines.append(f"    - TOML migration:   {show(d.key, d.present_before, d.before)}")
            lines.append(f"    + values migration: {show(d.key, d.present_after, d.after)}")
    lines.append("verify: OK" if result.ok else "verify: FAILED")
    return "\n".join(lines) + "\n"


# ---- full charts: the objects around deployment.toml -----------------------------------------------------

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
_COMPARED = (*_WORKLOADS, "Service", "Ingress", "HTTPRoute", "GRPCRoute", "ConfigMap")


def is_full_chart(chart_dir: str) -> bool:
    from k8s_migrate.charts.render import load_chart

    chart = load_chart(chart_dir)
    return any(_WORKLOAD_KIND.search(chart.template_text(t)) for t in chart.templates)


_WORKLOAD_KIND = re.compile(r"^kind:\s*(Deployment|StatefulSet)\b", re.M)


def render_objects(chart_dir: str, values: dict,
                   renderer: str = "builtin") -> tuple[dict[tuple[str, str], dict], list[str]]:
    """(kind, name) -> object for every object the chart renders; and the templates that failed to render."""
    from io import StringIO

    from ruamel.yaml import YAML

    from k8s_migrate.charts.render import Rendering, TemplateError, load_chart

    loader = YAML(typ="safe", pure=True)
    chart = load_chart(chart_dir)
    texts, failed = [], []
    if renderer == "helm":
        import json

        from k8s_migrate.charts.helm import helm_template, split_manifests

        try:
            texts = [t for _, t in split_manifests(helm_template(chart_dir, [json.dumps(values)]))]
        except TemplateError as exc:
            failed.append(str(exc))
    else:
        rendering = Rendering(chart, values)
        for template in chart.templates:
            if template.endswith((".yaml", ".yml")):
                try:
                    texts.append(rendering.template(template))
                except TemplateError as exc:
                    failed.append(f"{template}: {exc}")
    objects = {}
    for text in texts:
        try:
            documents = list(loader.load_all(StringIO(text)))
        except Exception as exc:  # a template that renders no valid YAML: named, not fatal
            failed.append(f"{' '.join(str(exc).split())[:120]}")
            continue
        for doc in documents:
            if isinstance(doc, dict) and doc.get("kind") in _COMPARED:
                objects[(doc["kind"], str((doc.get("metadata") or {}).get("name")))] = doc
    return objects, failed


def object_facts(obj: dict) -> dict[str, Any]:
    """What a migration must keep of an object: images, replicas, hosts, service ports and type."""
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    facts: dict[str, Any] = {}
    if kind in _WORKLOADS:
        pod = ((spec.get("template") or {}).get("spec") or {})
        containers = (pod.get("containers") or []) + (pod.get("initContainers") or [])
        facts["images"] = sorted(str(c.get("image")) for c in containers)
        facts["replicas"] = spec.get("replicas", 1)
    elif kind == "Service":
        facts["type"] = spec.get("type", "ClusterIP")
        facts["ports"] = sorted(f"{p.get('name', '')}:{p.get('port')}->{p.get('targetPort', p.get('port'))}"
                                for p in spec.get("ports") or [])
    elif kind == "Ingress":
        facts["hosts"] = sorted({str(r.get("host")) for r in spec.get("rules") or []}
                                | {str(h) for t in spec.get("tls") or [] for h in t.get("hosts") or []})
    elif kind in ("HTTPRoute", "GRPCRoute"):
        facts["hosts"] = sorted(str(h) for h in spec.get("hostnames") or [])
    return facts


def compare_objects(before: dict[tuple[str, str], dict], after: dict[tuple[str, str], dict],
                    report: Report) -> list[str]:
    """One line per difference: vanished and new objects, and changed facts of the ones on both sides."""
    lines = []
    for key in sorted(set(before) | set(after)):
        kind, name = key
        if key not in after:
            lines.append(f"{kind}/{name}: gone{_object_reason(kind, report)}")
        elif key not in before:
            lines.append(f"{kind}/{name}: new{_object_reason(kind, report)}")
        else:
            old, new = object_facts(before[key]), object_facts(after[key])
            for fact in sorted(set(old) | set(new)):
                if old.get(fact) != new.get(fact):
                    lines.append(f"{kind}/{name}: {fact} {old.get(fact)!r} -> {new.get(fact)!r}"
                                 f"{_object_reason(fact, report)}")
    return lines


_TOPICS = {"images": ("image",), "replicas": ("replicas", "highAvailability"),
           "hosts": ("hostname", "ingress", "gatewayAPI"), "Ingress": ("ingress",), "HTTPRoute": ("gatewayAPI",),
           "GRPCRoute": ("gatewayAPI",),
           "Deployment": ("highAvailability", "replicas"), "StatefulSet": ("highAvailability", "replicas")}


def _object_reason(topic: str, report: Report) -> str:
    words = _TOPICS.get(topic, ())
    for entry in report.entries:
        keys = " ".join(k for k in (entry.origin, entry.new_key, entry.old_key) if k)
        if entry.action != "kept" and any(w in keys for w in words):
            return f" ({entry.rule or entry.action}: {entry.origin or entry.new_key})"
    return ""
