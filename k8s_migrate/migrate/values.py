"""Helm values migration through the hub: values -> TOML keys -> rules -> TOML keys -> values.

The chart maps (derived from each chart's own templates) say which values path feeds which TOML
key. Values that feed no TOML key are chart-level: they keep their path when the new chart has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..catalog import load_catalog
from ..charts.chartmap import (
    ChartLink,
    ChartMap,
    apply_pattern,
    chart_version,
    embedded_link,
    in_first_instance,
    invert_pattern,
    load_map,
    to_toml,
    to_values,
)
from ..charts.deployment_rules import RuleContext, apply_rules
from ..charts.effective import effective_set, guard_holds, overlay, simple_guard
from ..counting import counted
from ..errors import UsageError
from ..formats.text import decode
from ..formats.values import ValuesDocument
from ..hub import HubKey, KeyPath, format_key, parse_key
from ..report import Entry, Report
from ..request import Request
from ..rules.apply import run
from ..rules.entries import add_findings, entry_for, join
from ..rules.load import rule_chain
from ..rules.values import same_value
from .default_changes import default_changes
from .toml import Result


@dataclass
class ValuesOptions(Request):
    """A values migration's request: ``chart`` and ``to_chart`` given; without versions, the charts' appVersions."""

    subchart: str | None = field(default=None, kw_only=True)

    @property
    def charts(self) -> tuple[str, str]:
        assert self.chart and self.to_chart, "a values migration is asked with both charts"
        return self.chart, self.to_chart


@dataclass
class Link:
    """One values leaf and the TOML key it feeds (through the source chart's link)."""

    values_path: KeyPath
    value: Any
    line: int | None
    toml_key: str
    link: ChartLink


# One pass over the file's leaves and the rule tracks, with each outcome (removed, kept, extraConfigs, moved,
# toggled) reporting into the same entry; split further, the steps would pass most of these locals around.
def migrate_values(data: bytes, name: str, options: ValuesOptions) -> Result:  # noqa: C901
    src_map, dst_map = (load_map(chart) for chart in options.charts)
    src_version = chart_version(src_map, options.from_version, "--from")
    dst_version = chart_version(dst_map, options.to_version, "--to")
    source = decode(data, name)
    doc = ValuesDocument(source, name)
    report = Report(name, src_version, dst_version)
    report.notes.append(f"chart {src_map.id} (API-M {src_version}) -> {dst_map.id} (API-M {dst_version})")
    alias = subchart_alias(doc, src_map, options.subchart, name)
    if alias is not None:
        doc.focus(alias)
        report.notes.append(f"values of the subchart under {alias}: "
                            + ("--subchart" if options.subchart else "detected: its subtree holds the chart's values"))
    report.extend(duplicate_entries(doc))

    fed: list[Link] = []
    also: list[Link] = []  # further TOML keys a values leaf feeds besides its main one
    chart_only: list[tuple[KeyPath, Any, int | None]] = []
    for path, value, line in doc.leaves():
        links = src_map.values_to_toml(format_key(path))
        embedded = embedded_link(src_map, path, links)
        if embedded is not None and isinstance(value, str):
            report.extend(migrate_embedded(doc, path, value, line, embedded, src_map, dst_map,
                                           src_version, dst_version, options))
            continue
        hit = to_toml(src_map, path, value, links)
        if hit is None or part_of_each_item(src_map, dst_map, path, hit[1]):
            chart_only.append((path, value, line))
            continue
        toml_key, chart_link = hit
        fed.append(Link(path, value, line, toml_key, chart_link))
        also.extend(Link(path, value, line, key, other_link)
                    for key, other_link in other_toml_keys(src_map, path, toml_key, links))

    keys = [HubKey(parse_key(fed_link.toml_key),
                   apply_pattern(fed_link.link.pattern, fed_link.value, fed_link.link.filter),
                   fed_link.line, origin=format_key(fed_link.values_path)) for fed_link in fed + also]
    from ..formats.values import plain

    user_values = plain(doc.data)
    effective = overlay(dst_map.defaults_tree(), user_values)
    source_effective = overlay(src_map.defaults_tree(), user_values)
    packs = rule_chain(src_version, dst_version)
    state = run(keys, packs, options.rule_context())
    toggles: list[tuple[tuple[KeyPath, bool], str | None, str, str]] = []
    unexposed: list[tuple[Link, Any, Entry, str]] = []  # keys the new chart can only take in extraConfigs
    moves: list[tuple[KeyPath, KeyPath, Any, Any]] = []  # (old values path, new values path, old value, new value)
    for link, track in zip(fed, state.tracks[:len(fed)], strict=True):
        entry = entry_for(track, load_catalog(dst_version))
        entry.origin = format_key(link.values_path)
        if not track.live:
            doc.delete(link.values_path)
            entry.message = join(entry.message, f"removed {format_key(link.values_path)} from the values")
            report.add(entry)
            continue
        target = to_values(dst_map, format_key(track.path), prefer=format_key(link.values_path), values=effective)
        if target is None and not carries_weight(link, track, src_map, dst_map, source_effective):
            entry.action = "kept"  # it stays in the file, where the new chart does not read it
            entry.message = join(entry.message, (
                f"{dst_map.id} does not expose {format_key(track.path)}, and this value had no effect of its own "
                f"in {src_map.id} (its default, or a guard that did not hold); left at {format_key(link.values_path)}, "
                "which the new chart does not read"))
            report.add(entry)
            continue
        extra = extra_configs_path(dst_map, track.path) if target is None and wants_extra(options) else None
        if extra is not None:
            unexposed.append((link, track, entry, extra))
            continue
        if target is None:
            entry.action = "review"
            entry.message = join(entry.message, (
                f"{dst_map.id} does not expose {format_key(track.path)}; kept at {format_key(link.values_path)}. "
                "Set it through a ConfigMap override of deployment.toml (or extraConfigs where the chart has it)"))
            report.add(entry)
            continue
        new_path_text, new_link = target
        own = format_key(link.values_path)
        gated = [dst_link for k, dst_link in dst_map.toml_to_values(format_key(track.path)) if k == own]
        if new_path_text != own and gated:
            switch = simple_guard(gated[0].guard)
            was_effective = guard_holds(link.link.guard, source_effective) is not False
            if not was_effective:
                new_path_text, new_link = own, gated[0]  # it had no effect before either; leave it be
            elif switch is not None:
                toggles.append((switch, gated[0].guard, own, format_key(track.path)))
                new_path_text, new_link = own, gated[0]
                effective_set(effective, switch[0], switch[1])
            else:
                entry.message = join(entry.message, f"{dst_map.id} reads {own} only when {gated[0].guard}, "
                                     f"which does not hold with these values; written to {new_path_text}")
        same_form = ((new_link.pattern, new_link.filter)
                     == (link.link.pattern, link.link.filter))
        assert track.origin is not None, "the tracks of fed come from input keys, never from a rule"
        if same_form and same_value(track.value, track.origin.value):
            new_value = link.value  # the rules left it alone and the new chart renders it the same way
        else:
            new_value = invert_pattern(new_link.pattern, track.value, new_link.filter)
        if new_value is None or same_value(new_value, link.value):
            new_value = link.value
        if same_lineage(src_map, dst_map):
            new_value = follow_new_default(src_map, dst_map, link.values_path, new_path_text, link.value, new_value,
                                           entry)
        moves.append((link.values_path, parse_key(new_path_text), link.value, new_value))
        if new_path_text != format_key(link.values_path) and entry.action in ("kept", "renamed"):
            entry.action = "moved" if entry.action == "kept" else entry.action
            entry.message = join(entry.message, f"values path {format_key(link.values_path)} -> {new_path_text}")
        entry.new_key = new_path_text if entry.action == "moved" and not track.events else entry.new_key
        report.add(entry)
    apply_moves(doc, moves)
    report.extend(write_extra_configs(doc, dst_map, unexposed))
    resolved = {format_key(old): format_key(new) for old, new, _, _ in moves}
    for link, track in zip(also, state.tracks[len(fed):len(fed) + len(also)], strict=True):
        other_entry = feed_other_path(doc, dst_map, link, track, resolved, effective)
        if other_entry:
            report.add(other_entry)
    for (path, value), guard, own, toml_key in dict((t[0], t) for t in toggles).values():
        doc.set(path, value)
        report.add(Entry("added", None, format_key(path), None, value, origin=format_key(path), message=(
            f"{dst_map.id} reads {own} (-> {toml_key}) only when {guard}; set {format_key(path)}: "
            f"{str(value).lower()} so your value keeps its effect. Check this matches how you expose the service")))

    report.extend(complete_list_items(doc, src_map, dst_map))
    for path, value, line in chart_only:
        report.add(carry_chart_value(doc, src_map, dst_map, path, value, line))
    apply_rules(RuleContext(doc, report, src_map, dst_map, source_effective))
    report.extend(default_changes(report, src_map, dst_map, user_values, plain(doc.data), src_version, dst_version))
    report.extend(unmet_requirements(dst_map, overlay(dst_map.defaults_tree(), plain(doc.data))))
    add_findings(report, state)
    if alias is not None:
        under_alias(report, alias, dst_map, src_map)
    output = doc.dumps()
    report.changed = output != source.original
    return Result(output, report, source.original)


def subchart_alias(doc: ValuesDocument, chart_map: ChartMap, given: str | None, name: str) -> str | None:
    """The umbrella chart's alias whose subtree holds this chart's values: given, or the one top-level key
    that does (when the file sets none of the chart's own top-level keys)."""
    if given is not None:
        if not isinstance(doc.data.get(given), dict):
            raise UsageError(f"--subchart {given}: the file has no mapping under {given}", name)
        return given
    own = {parse_key(k)[0] for k in chart_map.defaults if k}
    if own & set(doc.data):
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
    for entry in report.entries:
        if entry.origin and not entry.origin.startswith("chart:"):
            entry.origin = f"{alias}.{entry.origin}"
        for attr in ("old_key", "new_key"):
            value = getattr(entry, attr)
            if value and value in values_paths:
                setattr(entry, attr, f"{alias}.{value}")
        if pattern is not None and entry.message:
            entry.message = pattern.sub(lambda m: f"{alias}.{m.group(1)}", entry.message)


def part_of_each_item(src_map: ChartMap, dst_map: ChartMap, path: KeyPath, link: ChartLink) -> bool:
    """A value that fills one hole of every item of a TOML list (the port in ``tcp://{{ $element }}:{}``)
    is no TOML key of its own: when the new chart renders it the same way, it stays where it is."""
    if link.kind != "pattern" or "[]" not in (link.toml or "") or "{{" not in (link.pattern or ""):
        return False
    return any((other.toml, other.pattern, other.filter) == (link.toml, link.pattern, link.filter)
               for _, other in dst_map.values_to_toml(format_key(path)))


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


def migrate_embedded(doc: ValuesDocument, path: KeyPath, text: str, line: int | None, link: ChartLink,
                     src_map: ChartMap, dst_map: ChartMap, src_version: str, dst_version: str,
                     options: ValuesOptions) -> list[Entry]:
    """Embedded TOML is TOML: migrate it through the hub (edit mode) and write it back in its own style."""
    from .toml import Options, migrate_toml

    key = format_key(path)
    target = embedded_link(dst_map, path)
    if not same_lineage(src_map, dst_map) or target is None:
        return [Entry("review", key, None, text, None, line=line, origin=key, message=(
            f"TOML text that {src_map.id} pastes into deployment.toml; {dst_map.id} has no such value. "
            "Migrate it with `k8s-migrate toml --mode edit` and give it as a ConfigMap override"))]
    if not text.strip():
        return [Entry("kept", key, key, text, text, line=line, origin=key)]
    try:
        result = migrate_toml(text.encode("utf-8"), f"{key} (embedded TOML)", Options(
            src_version, dst_version, mode="edit", profile=options.profile,
            keep_old_defaults=options.keep_old_defaults, answers=options.answers))
    except UsageError as exc:
        raise UsageError(f"{key} (embedded TOML): {exc.message}", doc.name,
                         line + (exc.line or 0) if line else None) from None
    keys = [e for e in result.report.entries if e.old_key]  # findings are the outer migration's already
    for entry in keys:
        entry.origin = key
        entry.line = None
    output = result.output if text.startswith("\n") else result.output.lstrip("\n")
    if output != text:
        doc.set(path, output)
    summary = Entry("changed" if output != text else "kept", key, key, None, None, line=line, origin=key,
                    message=f"embedded deployment.toml text: {counted(len(keys), 'key')} migrated "
                            f"(the entries with origin {key})")
    return [summary, *keys]


def carries_weight(link: Link, track, src_map: ChartMap, dst_map: ChartMap, source_effective: dict[str, Any]) -> bool:
    """Did this value shape the old configuration as a customisation? Not when the old chart's guard kept
    it out of deployment.toml, nor (within one chart lineage) when it was the old chart's default."""
    if guard_holds(link.link.guard, source_effective) is False:
        return False
    if track.events:
        return True
    old_default = src_map.defaults.get(format_key(link.values_path), _NONE)
    return not (same_lineage(src_map, dst_map) and old_default is not _NONE and same_value(link.value, old_default))


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


def write_extra_configs(doc: ValuesDocument, dst_map: ChartMap, unexposed: list) -> list[Entry]:
    """Move keys the new chart does not expose into its extraConfigs TOML, one table section each."""
    if not unexposed:
        return []
    from ..formats.text import decode as decode_text
    from ..formats.toml import TomlDocument

    entries = []
    by_path: dict[str, list] = {}
    for link, track, entry, extra in unexposed:
        by_path.setdefault(extra, []).append((link, track, entry))
    for extra, items in by_path.items():
        current = doc.get(parse_key(extra)) if doc.has(parse_key(extra)) else ""
        text = str(current or "")
        toml = TomlDocument(decode_text((text if text.strip() else "# written by k8s-migrate\n").encode(), extra),
                            extra)
        for link, track, entry in items:
            toml.set(track.path, track.value)
            doc.delete(link.values_path)
            entry.action = "moved"
            entry.new_key = f"{extra}: {format_key(track.path)}"
            entry.message = join(entry.message, (
                f"{dst_map.id} does not expose {format_key(track.path)}; written into {extra}, which the chart "
                "pastes into deployment.toml "
                f"(answers file `unexposed: keep` keeps it at {format_key(link.values_path)})"))
            entries.append(entry)
        from ruamel.yaml.scalarstring import LiteralScalarString

        doc.set(parse_key(extra), LiteralScalarString(toml.dumps()))
    return entries


def other_toml_keys(chart_map: ChartMap, path: KeyPath, main_key: str,
                    links: list[tuple[str, ChartLink]] | None = None) -> list[tuple[str, ChartLink]]:
    """The other TOML keys one values leaf feeds (one database type feeds apim_db and shared_db)."""
    found = in_first_instance(chart_map, chart_map.values_to_toml(format_key(path)) if links is None else links)
    seen, out = {main_key}, []
    for key, link in found:
        if key not in seen and link.kind != "embedded":
            seen.add(key)
            out.append((key, link))
    return out


def feed_other_path(doc: ValuesDocument, dst_map: ChartMap, link: Link, track, resolved: dict[str, str],
                    effective: dict[str, Any]) -> Entry | None:
    """When the new chart reads a further key from another values path, write the value there too."""
    if not track.live:
        return None
    own = format_key(link.values_path)
    target = to_values(dst_map, format_key(track.path), prefer=resolved.get(own, own), values=effective)
    if target is None or target[0] in (own, resolved.get(own)):
        return None
    path_text, new_link = target
    value = invert_pattern(new_link.pattern, track.value, new_link.filter)
    if value is None:
        value = link.value
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


def follow_new_default(src_map: ChartMap, dst_map: ChartMap, old_path: KeyPath, new_path_text: str,
                       old_value: Any, new_value: Any, entry: Entry) -> Any:
    """A value left at the old chart's default takes the new chart's default when that differs."""
    old_default = src_map.defaults.get(format_key(old_path), _NONE)
    new_default = dst_map.defaults.get(new_path_text, _NONE)
    if old_default is _NONE or new_default is _NONE or not same_value(old_value, old_default):
        return new_value
    if same_value(new_default, new_value):
        return new_value
    entry.action = "defaulted"
    entry.new_value = new_default
    entry.message = join(entry.message, f"was {src_map.id}'s default; takes {dst_map.id}'s default")
    return new_default


_NONE = object()


def apply_moves(doc: ValuesDocument, moves: list[tuple[KeyPath, KeyPath, Any, Any]]) -> None:
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
    entry = Entry("kept", key, key, value, value, line=line, origin=key)
    known = key in dst_map.defaults or key in dst_map.default_parents()
    if not known:
        parent = format_key(path[:-1]) if len(path) > 1 else ""
        free_form = parent and dst_map.defaults.get(parent) == {}
        if not free_form:
            entry.action = "review"
            entry.message = f"{dst_map.id} has no value at {key}; kept where it is, check where it belongs"
        return entry
    new_value = follow_new_default(src_map, dst_map, path, key, value, value, entry)
    if new_value is not value:
        doc.set(path, new_value)
        entry.new_value = new_value
    return entry
