"""Helm values migration through the hub: values -> TOML keys -> rules -> TOML keys -> values.

The chart maps (derived from each chart's own templates) say which values path feeds which TOML
key. Values that feed no TOML key are chart-level: they keep their path when the new chart has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, NamedTuple, Protocol

from ..charts.chartmap import (
    ChartLink,
    ChartMap,
    Key,
    apply_pattern,
    chart_version,
    embedded_link,
    in_first_instance,
    invert_pattern,
    load_map,
    to_toml,
    to_values,
    to_values_path,
)
from ..charts.deployment_rules import RuleContext, apply_rules
from ..charts.effective import GuardVerdicts, guard_holds, overlay, own_field_guard, simple_guard
from ..counting import counted
from ..errors import UsageError
from ..formats.text import SourceText, decode
from ..formats.values import ValuesDocument, plain
from ..hub import HubKey, KeyPath, forget_formatted, format_key, parse_key
from ..report import Entry, Report
from ..request import Request
from ..rules.apply import HubState, Track, run
from ..rules.entries import AS_RULED, Verdict, add_findings, entry_for, ruled_action
from ..rules.load import rule_chain
from ..rules.values import same_value
from .default_changes import default_changes
from .toml import Result, collector_paused


@dataclass
class ValuesOptions(Request):
    """A values migration's request: ``chart`` and ``to_chart`` given; without versions, the charts' appVersions."""

    subchart: str | None = field(default=None, kw_only=True)

    @property
    def charts(self) -> tuple[str, str]:
        assert self.chart and self.to_chart, "a values migration is asked with both charts"
        return self.chart, self.to_chart


Leaf = tuple[KeyPath, Any, int | None]  # a values path, its value, its line


@dataclass(frozen=True, slots=True)
class FedLeaf:
    """One values leaf and the TOML key it feeds through a link of the source chart."""

    values_path: KeyPath
    value: Any
    line: int | None
    toml_path: KeyPath
    link: ChartLink
    own: str  # the values path's text


class Toggle(NamedTuple):
    """A switch the new chart's guard needs, so that a value keeps its effect at its own path."""

    switch: tuple[KeyPath, bool]
    guard: str | None
    own: str
    toml_key: str


class Move(NamedTuple):
    old: KeyPath
    new: KeyPath
    old_value: Any
    new_value: Any


class Unexposed(NamedTuple):
    """A key the new chart can only take in its extraConfigs TOML."""

    leaf: FedLeaf
    track: Track
    extra: str


@dataclass
class ValuesMigration:
    """What the stages of one values migration share, and what each stage leaves for the next."""

    options: ValuesOptions
    source: SourceText
    doc: ValuesDocument
    src_map: ChartMap
    dst_map: ChartMap
    src_version: str
    dst_version: str
    report: Report
    alias: str | None = None
    fed: list[FedLeaf] = field(default_factory=list)
    also: list[FedLeaf] = field(default_factory=list)  # further TOML keys a leaf feeds besides its main one
    chart_only: list[Leaf] = field(default_factory=list)
    user_values: dict[str, Any] = field(default_factory=dict)
    effective: dict[str, Any] = field(default_factory=dict)  # the new chart's defaults under the user's values
    source_effective: dict[str, Any] = field(default_factory=dict)
    new_guards: GuardVerdicts = field(default_factory=lambda: GuardVerdicts(None))  # guards over ``effective``
    old_guards: GuardVerdicts = field(default_factory=lambda: GuardVerdicts(None))  # over ``source_effective``
    state: HubState = field(default_factory=lambda: HubState([]))
    removed: list[KeyPath] = field(default_factory=list)
    unexposed: list[Unexposed] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    toggles: list[Toggle] = field(default_factory=list)

    def fed_tracks(self) -> Iterator[tuple[FedLeaf, Track]]:
        return zip(self.fed, self.state.tracks[:len(self.fed)], strict=True)

    def also_tracks(self) -> Iterator[tuple[FedLeaf, Track]]:
        return zip(self.also, self.state.tracks[len(self.fed):len(self.fed) + len(self.also)], strict=True)

    def placed(self) -> None:
        """Written: what each fed leaf became is in the report and the document, so the leaves, their tracks and
        the moves go (a large file's weigh more than the checks that follow); the rules' findings stay."""
        self.fed, self.also, self.moves, self.removed, self.unexposed, self.toggles = [], [], [], [], [], []
        self.state = HubState([], self.state.findings, self.state.withheld)


@collector_paused
def migrate_values(data: bytes, name: str, options: ValuesOptions) -> Result:
    """The file's leaves by the source chart's links, through the rules, to the new chart's paths."""
    m = prepare(data, name, options)
    read_links(m)
    run_rules(m)
    place(m)
    write(m)
    m.placed()
    chart_level(m)
    if m.alias is not None:
        under_alias(m.report, m.alias, m.dst_map, m.src_map)
    output = m.doc.dumps()
    m.report.changed = output != m.source.original
    forget_formatted()
    return Result(output, m.report, m.source.original)


def prepare(data: bytes, name: str, options: ValuesOptions) -> ValuesMigration:
    """Load both charts and the file, focus on the subchart's values, and report keys given twice."""
    src_map, dst_map = (load_map(chart) for chart in options.charts)
    src_version = chart_version(src_map, options.from_version, "--from")
    dst_version = chart_version(dst_map, options.to_version, "--to")
    source = decode(data, name)
    doc = ValuesDocument(source, name, patchable=True)
    report = Report(name, src_version, dst_version)
    report.notes.append(f"chart {src_map.id} (API-M {src_version}) -> {dst_map.id} (API-M {dst_version})")
    alias = subchart_alias(doc, src_map, options.subchart, name)
    if alias is not None:
        doc.focus(alias)
        report.notes.append(f"values of the subchart under {alias}: "
                            + ("--subchart" if options.subchart else "detected: its subtree holds the chart's values"))
    report.extend(duplicate_entries(doc))
    return ValuesMigration(options, source, doc, src_map, dst_map, src_version, dst_version, report, alias)


def read_links(m: ValuesMigration) -> None:
    """Sort the leaves by the source chart's links: embedded TOML (migrated where it stands), leaves that feed
    TOML keys, and chart-level leaves. Then the values Helm sees, with the embedded TOML migrated."""
    for path, value, line in m.doc.leaves():
        links = m.src_map.values_to_toml_paths(path)
        embedded = embedded_link(m.src_map, path, links)
        if embedded is not None and isinstance(value, str):
            m.report.extend(migrate_embedded(m, path, value, line))
            continue
        hit = to_toml(m.src_map, path, value, links)
        if hit is None or part_of_each_item(m.src_map, m.dst_map, path, hit[1]):
            m.chart_only.append((path, value, line))
            continue
        toml_path, link = hit
        own = format_key(path)
        m.fed.append(FedLeaf(path, value, line, toml_path, link, own))
        m.also.extend(FedLeaf(path, value, line, key, other, own)
                      for key, other in other_toml_keys(m.src_map, path, toml_path, links))
    m.user_values = plain(m.doc.data)
    m.effective = overlay(m.dst_map.defaults_tree(), m.user_values)
    m.source_effective = overlay(m.src_map.defaults_tree(), m.user_values)
    m.new_guards, m.old_guards = GuardVerdicts(m.effective), GuardVerdicts(m.source_effective)


def run_rules(m: ValuesMigration) -> None:
    keys = [HubKey(leaf.toml_path,
                   apply_pattern(leaf.link.pattern, leaf.value, leaf.link.filter),
                   leaf.line, origin=leaf.own) for leaf in m.fed + m.also]
    m.state = run(keys, rule_chain(m.src_version, m.dst_version), m.options.rule_context())


def place(m: ValuesMigration) -> None:
    """Decide where the new chart reads each fed key, and report each (the extraConfigs ones once written)."""
    for leaf, track in m.fed_tracks():
        verdict = place_leaf(m, leaf, track)
        if verdict is not None:
            m.report.add(entry_for(track, verdict))


def place_leaf(m: ValuesMigration, leaf: FedLeaf, track: Track) -> Verdict | None:
    """Removed, left where the new chart does not read it, kept for review, placed, or (None) bound for
    extraConfigs."""
    own = leaf.own
    if not track.live:
        m.removed.append(leaf.values_path)
        return Verdict(then=(f"removed {own} from the values",))
    links = m.dst_map.toml_to_values_paths(track.path)
    target = to_values_path(m.dst_map, track.path, prefer=leaf.values_path, values=m.new_guards, links=links)
    if target is not None:
        return place_at(m, leaf, track, target, links)
    toml_key = format_key(track.path)
    if not carries_weight(leaf, track, m.src_map, m.dst_map, m.old_guards):
        return Verdict(action="kept", then=(
            f"{m.dst_map.id} does not expose {toml_key}, and this value had no effect of its own "
            f"in {m.src_map.id} (its default, or a guard that did not hold); left at {own}, "
            "which the new chart does not read",))
    extra = extra_configs_path(m.dst_map, track.path) if wants_extra(m.options) else None
    if extra is not None:
        m.unexposed.append(Unexposed(leaf, track, extra))
        return None
    return Verdict(action="review", then=(
        f"{m.dst_map.id} does not expose {toml_key}; kept at {own}. "
        "Set it through a ConfigMap override of deployment.toml (or extraConfigs where the chart has it)",))


def place_at(m: ValuesMigration, leaf: FedLeaf, track: Track, target: tuple[KeyPath, ChartLink],
             links: list[tuple[KeyPath, ChartLink]]) -> Verdict:
    """A key the new chart reads from a values path: its value there, and the verdict that says so. ``links``:
    every values path the new chart reads the key from."""
    (new_path, new_link), guard_note = through_guard(m, leaf, track.path, target, links)
    new_path_text = leaf.own if new_path == leaf.values_path else format_key(new_path)
    new_value = value_for(leaf, track, new_link)
    if new_path != leaf.values_path and m.doc.has(new_path):
        there = plain(m.doc.get(new_path))
        if not same_value(there, new_value):
            return occupied(m, leaf, track, new_path_text, there)
    action, reported_value, notes = ruled_action(track), track.value, [guard_note]
    if same_lineage(m.src_map, m.dst_map) and takes_new_default(m.src_map, m.dst_map, leaf.own,
                                                               new_path_text, leaf.value, new_value):
        new_value = reported_value = m.dst_map.defaults[new_path_text]
        action = "defaulted"
        notes.append(default_note(m.src_map, m.dst_map))
    m.moves.append(Move(leaf.values_path, new_path, leaf.value, new_value))
    if new_path_text != leaf.own and action in ("kept", "renamed"):
        action = "moved" if action == "kept" else action
        notes.append(f"values path {leaf.own} -> {new_path_text}")
    if would_turn_on(m, leaf, new_link):
        from ..catalog import load_catalog

        found, server_default, _ = load_catalog(m.dst_version).default(format_key(track.path))
        notes.append(f"it had no effect in {m.src_map.id} ({leaf.link.guard} did not hold: "
                     + (f"the server's default {server_default!r} applied" if found else "the key was not set")
                     + f"), and {m.dst_map.id} renders it from {new_path_text}, so it takes effect now; remove it "
                     "if it should stay off")
        return Verdict(action="review", old_value=server_default if found else None, new_value=reported_value,
                       then=tuple(notes))
    return Verdict(action=action, new_value=reported_value, then=tuple(notes),
                   new_key=new_path_text if action == "moved" and not track.events else AS_RULED)


def would_turn_on(m: ValuesMigration, leaf: FedLeaf, new_link: ChartLink) -> bool:
    """A value of the user's own (not the old chart's default) that the old chart's guard kept out of
    deployment.toml, which the new chart renders from its new path."""
    if old_guard_holds(leaf, m.old_guards) is not False or m.new_guards(new_link.guard) is False:
        return False
    old_default = m.src_map.defaults.get(leaf.own, _NONE)
    return old_default is _NONE or not same_value(leaf.value, old_default)


def occupied(m: ValuesMigration, leaf: FedLeaf, track: Track, new_path: str, there: Any) -> Verdict:
    """The new chart reads the key from a path this file already sets to something else (two old paths that fed
    one key under opposite guards, or a path that meant something else): the file's value there is not written
    over."""
    toml_key = format_key(track.path)
    if not carries_weight(leaf, track, m.src_map, m.dst_map, m.old_guards):
        return Verdict(action="kept", then=(
            f"{m.dst_map.id} reads {toml_key} from {new_path}, which this file sets itself ({there!r}); this value "
            f"had no effect of its own in {m.src_map.id} (its default, or a guard that did not hold); left at "
            f"{leaf.own}, which the new chart does not read for it",))
    def said(key: str) -> str:
        if "{{" in (leaf.link.pattern or ""):  # the leaf gave one part of the key, another values path the rest
            return (f"{leaf.own} gave a part of {key} in {m.src_map.id} ({leaf.link.pattern}); {m.dst_map.id} builds "
                    f"the key from {new_path} alone, which this file sets ({there!r}): {leaf.own} is left where it "
                    f"is, which the new chart does not read; check what {key} becomes")
        return (f"{m.dst_map.id} reads {key} from {new_path}, which this file also sets ({there!r}); {leaf.own} is "
                f"left where it is rather than written over it: choose the value {new_path} should have")

    for other, other_track in m.also_tracks():  # the further keys the leaf fed change with it
        if other.values_path == leaf.values_path:
            key = format_key(other_track.path)
            m.report.add(Entry("review", key, key, other_track.value, other_track.value, line=leaf.line,
                               origin=leaf.own, message=said(key)))
    return Verdict(action="review", then=(said(toml_key),))


def through_guard(m: ValuesMigration, leaf: FedLeaf, toml_path: KeyPath, target: tuple[KeyPath, ChartLink],
                  links: list[tuple[KeyPath, ChartLink]]) -> tuple[tuple[KeyPath, ChartLink], str]:
    """When the new chart also reads the key from the leaf's own path under a guard: keep it there when it had
    no effect before either, or set the guard's switch; else say why it goes elsewhere."""
    own = leaf.values_path
    gated = [link for k, link in links if k == own]
    if target[0] == own or not gated:
        return target, ""
    switch = simple_guard(gated[0].guard)
    if old_guard_holds(leaf, m.old_guards) is False:
        return (own, gated[0]), ""
    if switch is not None:
        m.toggles.append(Toggle(switch, gated[0].guard, format_key(own), format_key(toml_path)))
        m.new_guards.set(switch[0], switch[1])
        return (own, gated[0]), ""
    return target, (f"{m.dst_map.id} reads {format_key(own)} only when {gated[0].guard}, "
                    f"which does not hold with these values; written to {format_key(target[0])}")


def value_for(leaf: FedLeaf, track: Track, new_link: ChartLink) -> Any:
    """The values entry that renders the track's value through the new link; the user's own when it does as well."""
    same_form = (new_link.pattern, new_link.filter) == (leaf.link.pattern, leaf.link.filter)
    if same_form and same_value(track.value, track.input_key.value):
        return leaf.value
    new_value = invert_pattern(new_link.pattern, track.value, new_link.filter)
    return leaf.value if new_value is None or same_value(new_value, leaf.value) else new_value


def write(m: ValuesMigration) -> None:
    """Write what place decided: removals, moves, extraConfigs, the further paths a leaf feeds, and switches."""
    for path in m.removed:
        m.doc.delete(path)
    apply_moves(m.doc, m.moves)
    m.report.extend(write_extra_configs(m.doc, m.dst_map, m.unexposed))
    resolved = {format_key(move.old): format_key(move.new) for move in m.moves}
    for leaf, track in m.also_tracks():
        other_entry = feed_other_path(m.doc, m.dst_map, leaf, track, resolved, m.new_guards)
        if other_entry:
            m.report.add(other_entry)
    for (path, value), guard, own, toml_key in dict((t.switch, t) for t in m.toggles).values():
        m.doc.set(path, value)
        m.report.add(Entry("added", None, format_key(path), None, value, origin=format_key(path), message=(
            f"{m.dst_map.id} reads {own} (-> {toml_key}) only when {guard}; set {format_key(path)}: "
            f"{str(value).lower()} so your value keeps its effect. Check this matches how you expose the service")))


def chart_level(m: ValuesMigration) -> None:
    """The values that feed no TOML key, then the checks over the whole migrated file and the rules' findings."""
    m.report.extend(complete_list_items(m.doc, m.src_map, m.dst_map))
    for path, value, line in m.chart_only:
        m.report.add(carry_chart_value(m.doc, m.src_map, m.dst_map, path, value, line))
    apply_rules(RuleContext(m.doc, m.report, m.src_map, m.dst_map, m.source_effective))
    migrated = plain(m.doc.data)  # read by both checks, which change neither it nor the document
    m.report.extend(default_changes(m.report, m.src_map, m.dst_map, m.user_values, migrated,
                                    m.src_version, m.dst_version))
    m.report.extend(unmet_requirements(m.dst_map, overlay(m.dst_map.defaults_tree(), migrated)))
    add_findings(m.report, m.state)


def subchart_alias(doc: ValuesDocument, chart_map: ChartMap, given: str | None, name: str) -> str | None:
    """The umbrella chart's alias whose subtree holds this chart's values: given, or the one top-level key
    that does (when the file sets none of the chart's own top-level keys)."""
    if given is not None:
        if not isinstance(doc.data.get(given), dict):
            raise UsageError(f"--subchart {given}: the file has no mapping under {given}", name)
        return given
    if not chart_map.defaults_tree().keys().isdisjoint(doc.data):  # the chart's own top-level keys
        return None
    found = [key for key, value in doc.data.items()
             if isinstance(value, dict) and _holds_chart_values(value, chart_map)]
    return found[0] if len(found) == 1 else None


def _holds_chart_values(subtree: dict[str, Any], chart_map: ChartMap) -> bool:
    from ..formats.values import walk_values

    for path, _, _ in walk_values(subtree):
        text = format_key(path)
        if text in chart_map.defaults or any(k.startswith(text + ".") for k in chart_map.defaults):
            return True
    return False


def under_alias(report: Report, alias: str, *maps: ChartMap) -> None:
    """Name values paths as they stand in the umbrella chart's file: under the alias."""
    tops = sorted({top for m in maps for k in m.defaults if k and isinstance(top := parse_key(k)[0], str)},
                  key=len, reverse=True)
    pattern = (re.compile(r"(?<![\w.])((?:" + "|".join(re.escape(t) for t in tops) + r")\.[\w.\[\]-]+)")
               if tops else None)
    values_paths = {e.origin for e in report.entries if e.origin and not e.origin.startswith("chart:")}

    def named(key: str | None) -> str | None:
        return f"{alias}.{key}" if key and key in values_paths else key

    report.entries = [replace(
        entry, origin=named(entry.origin), old_key=named(entry.old_key), new_key=named(entry.new_key),
        message=pattern.sub(lambda m: f"{alias}.{m.group(1)}", entry.message) if pattern else entry.message,
    ) for entry in report.entries]


def part_of_each_item(src_map: ChartMap, dst_map: ChartMap, path: KeyPath, link: ChartLink) -> bool:
    """A value that fills one hole of every item of a TOML list (the port in ``tcp://{{ $element }}:{}``)
    is no TOML key of its own: when the new chart renders it the same way, it stays where it is."""
    if link.kind != "pattern" or "[]" not in (link.toml or "") or "{{" not in (link.pattern or ""):
        return False
    return any((other.toml, other.pattern, other.filter) == (link.toml, link.pattern, link.filter)
               for _, other in dst_map.values_to_toml(path))


def duplicate_entries(doc: ValuesDocument) -> list[Entry]:
    """A key given more than once in one mapping: Helm takes the last, and so does the migration."""
    entries = []
    for path, lines in doc.duplicates:
        key = format_key(path)
        value = doc.get(path) if doc.has(path) else None
        shown = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
        entries.append(Entry("review", key, key, value, value, line=lines[-1], origin=key, message=(
            f"{key} is given {len(lines)} times in one mapping (lines {shown}); Helm takes the last one, "
            f"and so does this migration. Remove the others (a rewritten file keeps only the last)")))
    return entries


def migrate_embedded(m: ValuesMigration, path: KeyPath, text: str, line: int | None) -> list[Entry]:
    """Embedded TOML is TOML: migrate it through the hub (edit mode) and write it back in its own style."""
    from .toml import Options, migrate_toml

    key = format_key(path)
    target = embedded_link(m.dst_map, path)
    if not same_lineage(m.src_map, m.dst_map) or target is None:
        return [Entry("review", key, None, text, None, line=line, origin=key, message=(
            f"TOML text that {m.src_map.id} pastes into deployment.toml; {m.dst_map.id} has no such value. "
            "Migrate it with `k8s-migrate toml --mode edit` and give it as a ConfigMap override"))]
    if not text.strip():
        return [Entry("kept", key, key, text, text, line=line, origin=key)]
    try:
        result = migrate_toml(text.encode("utf-8"), f"{key} (embedded TOML)", Options(
            m.src_version, m.dst_version, mode="edit", profile=m.options.profile,
            keep_old_defaults=m.options.keep_old_defaults, answers=m.options.answers))
    except UsageError as exc:
        raise UsageError(f"{key} (embedded TOML): {exc.message}", m.doc.name,
                         line + (exc.line or 0) if line else None) from None
    keys = [replace(e, origin=key, line=None)  # findings are the outer migration's already
            for e in result.report.entries if e.old_key]
    output = result.output if text.startswith("\n") else result.output.lstrip("\n")
    if output != text:
        m.doc.set(path, output)
    summary = Entry("changed" if output != text else "kept", key, key, None, None, line=line, origin=key,
                    message=f"embedded deployment.toml text: {counted(len(keys), 'key')} migrated "
                            f"(the entries with origin {key})")
    return [summary, *keys]


def carries_weight(leaf: FedLeaf, track: Track, src_map: ChartMap, dst_map: ChartMap,
                   source_guards: GuardVerdicts) -> bool:
    """Did this value shape the old configuration as a customisation? Not when the old chart's guard kept
    it out of deployment.toml, nor (within one chart lineage) when it was the old chart's default."""
    if old_guard_holds(leaf, source_guards) is False:
        return False
    if track.events:
        return True
    old_default = src_map.defaults.get(leaf.own, _NONE)
    return not (same_lineage(src_map, dst_map) and old_default is not _NONE and same_value(leaf.value, old_default))


def old_guard_holds(leaf: FedLeaf, source_guards: GuardVerdicts) -> bool | None:
    """The old chart's guard on the leaf's link: over the values tree, or, for a guard on the list item's own
    field, by the leaf's own value (as the template judges ``{{ if .permissions }}`` for that item)."""
    if own_field_guard(leaf.link):
        from ..charts.gotemplate.govalue import is_true

        return is_true(leaf.value)
    return source_guards(leaf.link.guard)


def wants_extra(options: ValuesOptions) -> bool:
    return (options.answers or {}).get("unexposed") in (None, "extraConfigs")


def extra_configs_path(dst_map: ChartMap, toml_path: KeyPath) -> str | None:
    """The values string the new chart pastes into deployment.toml, when the key's table can go there:
    the chart must render nothing in that table itself (a table may not be defined twice)."""
    paths = sorted({link.values for link in dst_map.links
                    if link.kind == "embedded" and "*" not in link.values})
    if not paths or len(toml_path) < 2 or any(isinstance(s, int) for s in toml_path):
        return None
    table = format_key(toml_path[:-1])
    rendered = {link.toml or "" for link in dst_map.links if link.kind != "embedded"} | {
        c.get("toml") or "" for c in dst_map.constants}
    if any(k == table or k.startswith(table + ".") or k.startswith(table + "[") or table.startswith(k + ".")
           for k in rendered if k):
        return None
    return paths[0]


def write_extra_configs(doc: ValuesDocument, dst_map: ChartMap, unexposed: list[Unexposed]) -> list[Entry]:
    """Move keys the new chart does not expose into its extraConfigs TOML, one table section each."""
    if not unexposed:
        return []
    from ..formats.text import decode as decode_text
    from ..formats.toml import TomlDocument

    entries = []
    by_path: dict[str, list[Unexposed]] = {}
    for item in unexposed:
        by_path.setdefault(item.extra, []).append(item)
    for extra, items in by_path.items():
        current = doc.get(parse_key(extra)) if doc.has(parse_key(extra)) else ""
        text = str(current or "")
        toml = TomlDocument(decode_text((text if text.strip() else "# written by k8s-migrate\n").encode(), extra),
                            extra)
        for leaf, track, _ in items:
            toml.set(track.path, track.value)
            doc.delete(leaf.values_path)
            entries.append(entry_for(track, Verdict(action="moved", new_key=f"{extra}: {format_key(track.path)}", then=(
                f"{dst_map.id} does not expose {format_key(track.path)}; written into {extra}, which the chart "
                f"pastes into deployment.toml (answers file `unexposed: keep` keeps it at "
                f"{leaf.own})",))))
        from ruamel.yaml.scalarstring import LiteralScalarString

        doc.set(parse_key(extra), LiteralScalarString(toml.dumps()))
    return entries


def other_toml_keys(chart_map: ChartMap, path: KeyPath, main_key: Key,
                    links: list[tuple[Key, ChartLink]] | None = None) -> list[tuple[Key, ChartLink]]:
    """The other TOML keys one values leaf feeds (one database type feeds apim_db and shared_db)."""
    asked: list[tuple[Any, ChartLink]] = chart_map.values_to_toml(path) if links is None else links
    found = in_first_instance(chart_map, asked)
    seen, out = {main_key}, []
    for key, link in found:
        if key not in seen and link.kind != "embedded":
            seen.add(key)
            out.append((key, link))
    return out


def feed_other_path(doc: ValuesDocument, dst_map: ChartMap, leaf: FedLeaf, track: Track, resolved: dict[str, str],
                    effective: GuardVerdicts) -> Entry | None:
    """When the new chart reads a further key from another values path, write the value there too."""
    if not track.live:
        return None
    own = leaf.own
    target = to_values(dst_map, track.path, prefer=resolved.get(own, own), values=effective)
    if target is None or target[0] in (own, resolved.get(own)):
        return None
    path_text, new_link = target
    value = invert_pattern(new_link.pattern, track.value, new_link.filter)
    if value is None:
        value = leaf.value
    path = parse_key(path_text)
    if doc.has(path):
        return None
    doc.set(path, value)
    return Entry("added", None, path_text, None, value, origin=path_text, message=(
        f"{own} also fed {format_key(track.path)}, which {dst_map.id} reads from {path_text}; set it there too"))


def unmet_requirements(dst_map: ChartMap, values: dict[str, Any]) -> list[Entry]:
    """The new chart's ``fail`` calls whose guard holds for the migrated values: Helm would refuse them."""
    entries, seen = [], set()
    for req in getattr(dst_map, "requirements", None) or []:
        if req["message"] in seen or guard_holds(req.get("guard"), values) is not True:
            continue
        seen.add(req["message"])
        entries.append(Entry("review", None, None, message=(
            f"{dst_map.id} refuses these values until you act: {req['message']} "
            f"(its template, line {req['line']}); set it, e.g. with your secret tooling, before helm upgrade"),
            source=dst_map.source.get("path") if isinstance(dst_map.source, dict) else None,
            origin=f"chart:{dst_map.id}"))
    return entries


def same_lineage(src_map: ChartMap, dst_map: ChartMap) -> bool:
    """An upgrade of the same chart (not a move to another chart family or topology).

    Only then does a value left at the old chart's default, which feeds the server's
    configuration, follow the new chart's default: across families the defaults describe
    different deployments (a pattern chart ships MySQL, the all-in-one chart H2).
    """
    return src_map.id.split("@")[0] == dst_map.id.split("@")[0]


def takes_new_default(src_map: ChartMap, dst_map: ChartMap, old_path_text: str, new_path_text: str,
                      old_value: Any, new_value: Any) -> bool:
    """A value left at the old chart's default takes the new chart's default when that differs."""
    old_default = src_map.defaults.get(old_path_text, _NONE)
    new_default = dst_map.defaults.get(new_path_text, _NONE)
    return (old_default is not _NONE and new_default is not _NONE and same_value(old_value, old_default)
            and not same_value(new_default, new_value))


def default_note(src_map: ChartMap, dst_map: ChartMap) -> str:
    return f"was {src_map.id}'s default; takes {dst_map.id}'s default"


_NONE = object()


def apply_moves(doc: ValuesDocument, moves: list[Move]) -> None:
    """Write values at their new paths: in place when only the value or the last key changes."""
    for old, new, _, _ in moves:
        rename_differing_segment(doc, old, new)
    for old, new, old_value, new_value in moves:
        if old == new:
            if not same_value(old_value, new_value):
                doc.set(new, new_value)
            continue
        if old[:-1] == new[:-1] and isinstance(new[-1], str) and doc.rename_in_place(old, new[-1]):
            if not same_value(old_value, new_value):
                doc.set(new, new_value)
            continue
    # cross-table moves after the in-place ones, so deletions do not shift what is still to move
    for old, new, _, new_value in moves:
        if old == new:
            continue
        if doc.has(old):
            comment = doc.eol_comment(old)
            doc.delete(old)
            doc.set(new, new_value)
            if comment:
                doc.add_eol_comment(new, comment)
        elif not same_value(doc.get(new), new_value):
            doc.set(new, new_value)


def rename_differing_segment(doc: ValuesDocument, old: KeyPath, new: KeyPath) -> None:
    """When two paths differ in one map key only (apimDB -> apim_db), rename that key where it stands,
    so the whole map keeps its place and its comments."""
    if len(old) != len(new) or old == new:
        return
    differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if len(differ) != 1:
        return
    i = differ[0]
    segment = new[i]
    if not isinstance(segment, str):
        return
    if doc.has(old[: i + 1]) and not doc.has(new[: i + 1]):
        doc.rename_in_place(old[: i + 1], segment)


_ITEM_FIELD = re.compile(r"^(?P<list>.+)\[(?P<index>\d+)\]\.(?P<field>[^.\[]+)$")


def item_fields(defaults: dict[str, Any]) -> dict[str, dict[int, dict[str, Any]]]:
    """Lists of maps in a chart's defaults: list path -> item index -> field -> default."""
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for key, value in defaults.items():
        m = _ITEM_FIELD.match(key)
        if m:
            found.setdefault(m["list"], {}).setdefault(int(m["index"]), {})[m["field"]] = value
    return found


class ValuesTree(Protocol):
    """What complete_list_items needs of a values document (a migrated file, or one a split builds)."""

    def get(self, path: KeyPath) -> Any: ...

    def set(self, path: KeyPath, value: Any) -> None: ...


def complete_list_items(doc: ValuesTree, src_map: ChartMap, dst_map: ChartMap) -> list[Entry]:
    """Helm replaces a list whole, so fields the new chart added to its list items (and its templates
    read) must be written into the user's items, from the new chart's default item."""
    entries = []
    old_lists = item_fields(src_map.defaults)
    for list_path, items in item_fields(dst_map.defaults).items():
        user_items = doc.get(parse_key(list_path))
        if not isinstance(user_items, list):
            continue
        old_fields = set().union(*old_lists.get(list_path, {}).values()) if list_path in old_lists else set()
        by_name = {f.get("name"): f for f in items.values()}
        for i, item in enumerate(user_items):
            if not isinstance(item, dict):
                continue
            template = by_name.get(item.get("name"), items.get(0, {}))
            for field_name, default in template.items():
                if field_name in item or field_name in old_fields:
                    continue
                path = parse_key(list_path) + (i, field_name)
                doc.set(path, default)
                entries.append(Entry("added", None, format_key(path), None, default, origin=format_key(path), message=(
                    f"{dst_map.id} reads {field_name} in each item of {list_path}; Helm replaces lists whole, "
                    f"so it is set from the chart's default item")))
    return entries


def carry_chart_value(doc: ValuesDocument, src_map: ChartMap, dst_map: ChartMap, path: KeyPath, value: Any,
                      line: int | None) -> Entry:
    key = format_key(path)
    known = key in dst_map.defaults or key in dst_map.default_parents()
    if not known and not (len(path) > 1 and dst_map.defaults.get(format_key(path[:-1])) == {}):
        return Entry("review", key, key, value, value, line=line, origin=key,
                     message=f"{dst_map.id} has no value at {key}; kept where it is, check where it belongs")
    if known and takes_new_default(src_map, dst_map, key, key, value, value):
        new_default = dst_map.defaults[key]
        doc.set(path, new_default)
        return Entry("defaulted", key, key, value, new_default, line=line, origin=key,
                     message=default_note(src_map, dst_map))
    return Entry("kept", key, key, value, value, line=line, origin=key)
