"""One values file for a chart that runs every component (kubernetes-apim am-pattern-3/4: control plane,
gateway, traffic manager) -> one values file per separate chart (helm-apim distributed/*).

A values leaf that feeds a TOML key of one component's deployment.toml (the source chart map's instance)
goes through the hub and the rules, with that component's profile, to the chart of the same profile.
Chart-level values (image, resources, ingress) move by the path rules in ``mappings/charts/rules/``.
Each new file holds only the user's customisations; the report has one entry per input leaf.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from typing import Any

from ..charts.chartmap import ChartLink, ChartMap, apply_pattern, chart_version, invert_pattern, load_map, to_values
from ..data import load_json, mappings_dir
from ..errors import UsageError
from ..formats.text import decode
from ..formats.values import ValuesDocument, container_for, detect_indent, get_path, plain
from ..hub import HubKey, KeyPath, format_key, matches, parse_key, substitute, unflatten
from ..profiles import canonical
from ..report import Action, Entry, Report, merge_reports
from ..request import Request
from ..rules.apply import Track, run
from ..rules.entries import AS_RULED, Verdict, add_findings, decided, entry_for, join, ruled_action
from ..rules.load import rule_chain
from ..rules.values import same_value
from .default_changes import default_changes, rendered_keys
from .values import complete_list_items

RULES_DIR = "charts/rules"
_MISSING = object()


@dataclass
class SplitOptions(Request):
    """A split's request: ``chart`` and one target chart per file (``to_chart`` is not used)."""

    to_charts: list[str] = field(default_factory=list, kw_only=True)


@dataclass
class SplitFile:
    chart: str  # the target chart's id
    name: str  # file name in the output directory
    output: str | None  # None when the source has nothing for this chart (see the report's notes)
    report: Report | None = None  # this file's own entries (the merged report holds them too)
    source_instances: set[str] | None = None  # the source chart's instances whose settings this chart takes
    profile: str | None = None


@dataclass
class SplitResult:
    files: list[SplitFile]
    report: Report


@dataclass
class SplitChart:
    chart_map: ChartMap
    profile: str
    name: str
    version: str
    instances: set[str]  # source instances whose TOML keys this chart takes
    shared_instances: set[str]  # source instances that give it the keys every component shares
    effective: dict[str, Any]
    doc: "NewValues"
    report: Report


@dataclass
class LeafPlacement:
    """Where one input leaf goes in one target file."""

    target: SplitChart
    path: KeyPath
    value: Any
    routed: Routed | None = None  # for a leaf routed through the hub


@dataclass(frozen=True)
class Routed:
    """A leaf's way through the hub into one target file: the rules' track, and where it went."""

    track: Track
    note: str = ""  # via which TOML key, or that the target does not expose it


class NewValues:
    """A values document built from nothing: only what the split writes into it."""

    def __init__(self) -> None:
        from ruamel.yaml.comments import CommentedMap

        self.data = CommentedMap()

    def get(self, path: KeyPath) -> Any:
        return get_path(self.data, path)

    def set(self, path: KeyPath, value: Any, comment: str | None = None) -> None:
        from ruamel.yaml.comments import CommentedMap

        node, key = container_for(self.data, path)
        node[key] = value
        if comment and isinstance(node, CommentedMap):
            node.yaml_add_eol_comment(comment, key)

    def dumps(self, header: str, like: str) -> str:
        from ruamel.yaml import YAML

        yaml = YAML(typ="rt")
        yaml.width = 100000
        mapping, sequence, offset = detect_indent(like)
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        out = io.StringIO()
        if self.data:
            yaml.dump(self.data, out)
        return "".join(f"# {line}\n" for line in header.splitlines()) + (out.getvalue() or "{}\n")


def chart_name(chart_map: ChartMap) -> str:
    """``helm-apim/control-plane@4.6.x`` -> ``control-plane``; a chart directory's Chart.yaml name."""
    base = chart_map.id.split("@")[0]
    return base.rsplit("/", 1)[-1] if "@" in chart_map.id else (chart_map.name or base.rstrip("/").rsplit("/", 1)[-1])


def chart_family(chart_map: ChartMap) -> str:
    return chart_map.id.split("@")[0]


def load_split_rules(src_map: ChartMap, dst_maps: list[ChartMap]) -> dict[str, Any]:
    """The path rules for this source chart and these targets; an empty rule set when none fits."""
    folder = mappings_dir() / RULES_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        rules = load_json(f"{RULES_DIR}/{path.name}")
        if src_name_in(src_map, rules["from"]) and all(src_name_in(m, rules["to"]) for m in dst_maps):
            return rules
    return {"paths": [], "fallback": {}, "shared_toml": []}


def src_name_in(chart_map: ChartMap, families: list[str]) -> bool:
    return chart_family(chart_map) in families or any(f.endswith("/" + chart_name(chart_map)) for f in families)


def profile_of(name: str) -> str | None:
    """The deployment profile a chart or instance name stands for (``am/control-plane/instance-1``)."""
    for seg in reversed(name.split("/")):
        try:
            return canonical(seg)
        except UsageError:
            continue
    return None


def component_mismatch(chart: str, to_chart: str) -> str:
    """When both charts run one component each, by their maps, and not the same one: the one-line usage error that
    names both and the way out (the chart of the file's own component, or a split); else empty."""
    try:
        src_map, dst_map = load_map(chart), load_map(to_chart)
    except UsageError:
        return ""
    mine, theirs = profile_of(chart_name(src_map)), profile_of(chart_name(dst_map))
    if mine is None or theirs is None or mine == theirs:
        return ""
    family, _, version = dst_map.id.partition("@")
    same = f"{family.rsplit('/', 1)[0]}/{mine}@{version}" if version else ""
    try:
        load_map(same)
    except UsageError:
        same = ""
    return (f"{src_map.id} is {_a(mine)} chart and {dst_map.id} {_a(theirs)} chart: {_a(mine)} file does not "
            f"migrate into another component's chart; use the {mine} chart{f' ({same})' if same else ''}, or, for a "
            "file that runs several components, one --to-chart per component (a split)")


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def instances_by_profile(src_map: ChartMap) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for inst in src_map.instances:
        profile = profile_of(inst["instance"])
        if profile:
            found.setdefault(profile, set()).add(inst["instance"])
    return found


def split_values(data: bytes, name: str, options: SplitOptions) -> SplitResult:
    if len(set(options.to_charts)) != len(options.to_charts):
        raise UsageError("each --to-chart once")
    assert options.chart, "a split is asked with the source chart"
    src_map = load_map(options.chart)
    src_version = chart_version(src_map, options.from_version, "--from")
    dst_maps = [load_map(chart) for chart in options.to_charts]
    rules = load_split_rules(src_map, dst_maps)
    source = decode(data, name)
    doc = ValuesDocument(source, name)
    by_profile = instances_by_profile(src_map)
    targets, skipped = make_targets(src_map, dst_maps, by_profile, rules, options, name)

    landings: dict[KeyPath, list[LeafPlacement]] = {}
    stopped: dict[KeyPath, Routed] = {}  # why a hub-routed leaf landed nowhere (removed, not exposed)
    leaves = doc.leaves()
    links = {path: [(k, link) for k, link in src_map.values_to_toml(format_key(path)) if link.kind != "embedded"]
             for path, _, _ in leaves}
    for target in targets:
        route_through_hub(target, leaves, links, rules, src_version, options, landings, stopped)
    for path, value, _ in leaves:
        for landing in route_chart_level(targets, rules, path, value):
            add_landing(landings, path, landing)

    orphans = Report(name, src_version, ",".join(sorted({t.version for t in targets})) or src_version)
    for path, value, line in leaves:
        entry, owner = judge(src_map, doc, path, value, line, landings.get(path, []), stopped.get(path), rules, name)
        (owner.report if owner else orphans).add(entry)
    merge_findings(targets)
    for target in targets:
        target.report.extend(complete_list_items(target.doc, src_map, target.chart_map))
    apply_set_rules(targets, rules)
    report_default_changes(targets, src_map, plain(doc.data), src_version)

    files = [SplitFile(t.chart_map.id, t.name, t.doc.dumps(file_header(src_map, t, name), source.text),
                       t.report, t.instances, t.profile) for t in targets]
    files += [SplitFile(m.id, f"{chart_name(m)}.yaml", None) for m in skipped]
    for t in targets:
        t.report.changed = True
    reports = [t.report for t in targets] + ([orphans] if orphans.entries else [])
    merged = merge_reports(reports, name)
    merged.notes.insert(0, f"chart {src_map.id} (API-M {src_version}) split into "
                           + ", ".join(f"{t.chart_map.id} -> {t.name}" for t in targets))
    for m in skipped:
        merged.notes.append(f"{m.id}: {src_map.id} has no separate {profile_of(chart_name(m))}; no file written")
    return SplitResult(files, merged)


def apply_set_rules(targets: list[SplitChart], rules: dict[str, Any]) -> None:
    """Values a target needs because of the split itself (``set`` rules: the profile, the other targets that
    must be there, the path and value), each with an added entry."""
    profiles = {t.profile for t in targets}
    for rule in rules.get("set", []):
        if not set(rule.get("when_targets", [])) <= profiles:
            continue
        for target in targets:
            path = parse_key(rule["path"])
            if target.profile != rule["profile"] or not known_path(target.chart_map, path) \
                    or same_value(target.doc.get(path), rule["value"]):
                continue
            target.doc.set(path, rule["value"])
            target.report.add(Entry("added", None, rule["path"], None, rule["value"], rule=rule["id"],
                                    source=rule.get("source"), origin=rule["path"],
                                    message=rule["message"].format(chart=target.chart_map.id)))


def report_default_changes(targets: list[SplitChart], src_map: ChartMap, source_values: dict[str, Any],
                           src_version: str) -> None:
    """Each file's keys that its chart renders otherwise than the source chart did, from no value of the file;
    a key another target chart renders from the same source instance moved there."""
    written = [plain(t.doc.data) for t in targets]
    renders = [rendered_keys(src_map, t.chart_map, values, t.instances)
               for t, values in zip(targets, written, strict=True)]
    for i, target in enumerate(targets):
        elsewhere: dict[str, set[str]] = {}
        for j, keys_by_instance in enumerate(renders):
            for instance, keys in keys_by_instance.items() if j != i else ():
                elsewhere.setdefault(instance, set()).update(keys)
        target.report.extend(default_changes(target.report, src_map, target.chart_map, source_values, written[i],
                                             src_version, target.version, target.instances, elsewhere))


def file_header(src_map: ChartMap, target: SplitChart, name: str) -> str:
    return (f"Values for {target.chart_map.id}: the customisations of {name} ({src_map.id})\n"
            f"that this chart takes, written by k8s-migrate. The chart's own values.yaml gives the rest.")


def make_targets(src_map: ChartMap, dst_maps: list[ChartMap], by_profile: dict[str, set[str]],
                 rules: dict[str, Any], options: SplitOptions, name: str) -> tuple[list[SplitChart], list[ChartMap]]:
    targets: list[SplitChart] = []
    skipped: list[ChartMap] = []
    names: set[str] = set()
    shared = by_profile.get(rules.get("shared_from", ""), set())
    for dst_map in dst_maps:
        profile = profile_of(chart_name(dst_map))
        if profile is None:
            raise UsageError(f"{dst_map.id} is not a chart of one profile (control-plane, gateway, ...); "
                             "give one --to-chart to migrate to a single chart")
        instances = by_profile.get(profile, set())
        note = None
        fallback = rules.get("fallback", {}).get(profile)
        if not instances and fallback and by_profile.get(fallback):
            instances = by_profile[fallback]
            note = rules.get("fallback_note", "").format(profile=profile, fallback=fallback)
        if not instances:
            skipped.append(dst_map)
            continue
        file_name = f"{chart_name(dst_map)}.yaml"
        if file_name in names:
            file_name = f"{chart_name(dst_map)}-{len(names)}.yaml"
        names.add(file_name)
        version = chart_version(dst_map, options.to_version, "--to")
        report = Report(file_name, chart_version(src_map, options.from_version, "--from"), version)
        report.notes.append(f"{name} ({src_map.id}) -> {dst_map.id} (profile {profile})")
        if note:
            report.notes.append(note)
        targets.append(SplitChart(dst_map, profile, file_name, version, instances, shared - instances,
                              unflatten(dst_map.defaults), NewValues(), report))
    return targets, skipped


def is_shared(rules: dict[str, Any], toml_key: str) -> bool:
    path = parse_key(toml_key)
    return any(matches(parse_key(p), path, prefix=True) for p in rules.get("shared_toml", []))


def links_for(target: SplitChart, found: list[tuple[str, ChartLink]],
              rules: dict[str, Any]) -> dict[str, ChartLink]:
    """The TOML keys a leaf feeds in this target's source instances (one link per key, unguarded first)."""
    own = [(k, link) for k, link in found if link.instance in target.instances]
    owned_keys = {k for k, _ in own}
    borrowed = [(k, link) for k, link in found if link.instance in target.shared_instances
                and k not in owned_keys and is_shared(rules, k)]
    chosen: dict[str, ChartLink] = {}
    for k, link in sorted(own + borrowed, key=lambda kl: (bool(kl[1].guard), kl[1].kind == "pattern")):
        chosen.setdefault(k, link)
    return chosen


def route_through_hub(target: SplitChart, leaves: list[tuple[KeyPath, Any, int | None]],
                      links: dict[KeyPath, list[tuple[str, ChartLink]]], rules: dict[str, Any],
                      src_version: str, options: SplitOptions, landings: dict[KeyPath, list[LeafPlacement]],
                      stopped: dict[KeyPath, Routed]) -> None:
    fed: list[tuple[KeyPath, Any, ChartLink]] = []
    keys: list[HubKey] = []
    for path, value, line in leaves:
        for toml_key, link in links_for(target, links[path], rules).items():
            fed.append((path, value, link))
            keys.append(HubKey(parse_key(toml_key), apply_pattern(link.pattern, value, link.filter),
                               line, origin=format_key(path)))
    state = run(keys, rule_chain(src_version, target.version),
                options.rule_context(target.profile))
    for (path, value, link), track in zip(fed, state.tracks[:len(fed)], strict=True):
        if not track.live:
            stopped.setdefault(path, Routed(track))
            continue
        toml_key = format_key(track.path)
        found = to_values(target.chart_map, toml_key, values=target.effective)
        if found is None:
            stopped.setdefault(path, Routed(track, f"{target.chart_map.id} does not expose {toml_key}"))
            continue
        new_path, new_link = found
        new_value = value
        assert track.origin is not None, "the tracks of fed come from input keys, never from a rule"
        if not same_value(track.value, track.origin.value) or (new_link.pattern, new_link.filter) != (
                link.pattern, link.filter):
            inverted = invert_pattern(new_link.pattern, track.value, new_link.filter)
            new_value = value if inverted is None else inverted
        routed = Routed(track, f"via {toml_key}")
        add_landing(landings, path, LeafPlacement(target, parse_key(new_path), new_value, routed))
    add_findings(target.report, state)


def merge_findings(targets: list[SplitChart]) -> None:
    """A finding about a key no input leaf carries is listed once, naming every file it applies to."""
    first: dict[tuple[str, str | None, str | None], Entry] = {}
    also: dict[int, list[str]] = {}  # id of the first entry -> the other files it applies to
    for target in targets:
        kept = []
        for entry in target.report.entries:
            earlier = entry if entry.origin is not None else first.setdefault(
                (entry.action, entry.new_key, entry.rule), entry)
            if earlier is entry:
                kept.append(entry)
            else:
                also.setdefault(id(earlier), []).append(target.name)
        target.report.entries = kept
    for target in targets:
        target.report.entries = [replace(e, message=join(e.message, *(f"also {n}" for n in also[id(e)])))
                                 if id(e) in also else e for e in target.report.entries]


def add_landing(landings: dict[KeyPath, list[LeafPlacement]], path: KeyPath, landing: LeafPlacement) -> None:
    here = landings.setdefault(path, [])
    if not any(other.target is landing.target and other.path == landing.path for other in here):
        here.append(landing)


def path_rule(rules: dict[str, Any], path: KeyPath) -> dict[str, Any] | None:
    """The most specific path rule whose ``from`` is the leaf or a map above it."""
    best = None
    for rule in rules.get("paths", []):
        pattern = parse_key(rule["from"])
        if matches(pattern, path, prefix=True) and (best is None or len(pattern) > len(parse_key(best["from"]))):
            best = rule
    return best


def route_chart_level(targets: list[SplitChart], rules: dict[str, Any], path: KeyPath,
                      value: Any) -> list[LeafPlacement]:
    rule = path_rule(rules, path)
    if rule is None or "to" not in rule:
        return []
    out = []
    for target in targets:
        to = rule["to"].get(target.profile)
        if to is None:
            continue
        new_path = substitute(parse_key(rule["from"]), parse_key(to), path)
        if known_path(target.chart_map, new_path) or (
                rule.get("free_form") and known_path(target.chart_map, parse_key(to))):
            out.append(LeafPlacement(target, new_path, value))
    return out


def known_path(chart_map: ChartMap, path: KeyPath) -> bool:
    """Does the chart have this values path (or a free-form map above it)?"""
    text = format_key(path)
    if text in chart_map.defaults or any(k.startswith((text + ".", text + "[")) for k in chart_map.defaults):
        return True
    return any(chart_map.defaults.get(format_key(path[:i])) in ({}, None) and format_key(path[:i]) in chart_map.defaults
               for i in range(1, len(path)))


def judge(src_map: ChartMap, doc: ValuesDocument, path: KeyPath, value: Any, line: int | None,
          landings: list[LeafPlacement], stopped: Routed | None, rules: dict[str, Any],
          name: str) -> tuple[Entry, SplitChart | None]:
    """The one report entry of an input leaf, and the target whose report holds it; writes customisations."""
    key = format_key(path)
    old_default = src_map.defaults.get(key, _MISSING)
    customised = old_default is _MISSING or not same_value(value, old_default)
    if not landings:
        return unplaced(src_map, path, value, line, stopped, rules, customised), None
    owner = landings[0]
    ruled = ruled_action(owner.routed.track) if owner.routed else "kept"
    if ruled in ("review", "removed"):
        return leaf_entry(key, value, line, owner, placed(key, owner)), owner.target
    if not customised:
        return leaf_entry(key, value, line, owner, left_at_default(src_map, key, owner)), owner.target
    written = []
    for landing in landings:
        new_default = landing.target.chart_map.defaults.get(format_key(landing.path), _MISSING)
        if new_default is not _MISSING and same_value(landing.value, new_default):
            continue
        landing.target.doc.set(landing.path, source_node(doc, path, value, landing.value), eol_comment(doc, path))
        written.append(f"{landing.target.name}: {format_key(landing.path)}")
        if landing.target is not owner.target and landing.routed is not None:
            renders = format_key(landing.routed.track.path)
            landing.target.report.add(Entry("added", None, format_key(landing.path), None, landing.value, line=line,
                                            origin=key, message=(
                f"{key} written here too: {landing.target.chart_map.id} renders {renders} from it as well "
                f"({owner.target.name} holds the entry of this value)")))
    if not written:
        return leaf_entry(key, value, line, owner, placed(
            key, owner, new_value=owner.value,
            then=f"equals the default of {owner.target.chart_map.id}; not written")), owner.target
    action: Action | None = ("changed" if not same_value(owner.value, value) else "moved") if ruled == "kept" else None
    return leaf_entry(key, value, line, owner, placed(
        key, owner, action, owner.value, "written to " + ", ".join(written))), owner.target


def placed(key: str, owner: LeafPlacement, action: Action | None = None, new_value: Any = AS_RULED,
           then: str = "") -> Verdict:
    """The verdict on a leaf that lands in the owner's file: the entry names the values paths."""
    return Verdict(action=action, old_key=key, new_key=format_key(owner.path), new_value=new_value, origin=key,
                   then=(then,) if then else ())


def leaf_entry(key: str, value: Any, line: int | None, owner: LeafPlacement | None, verdict: Verdict,
               routed: Routed | None = None) -> Entry:
    """The one entry of an input leaf: its way through the hub (when it went through it), with the verdict.
    A leaf that did not go through the hub is `kept` at its owner's value unless the verdict says otherwise."""
    routed = owner.routed if owner is not None else routed
    if routed is not None:
        return entry_for(routed.track, replace(verdict, then=(routed.note, *verdict.then)))
    return Entry(verdict.action or "kept", key, decided(verdict.new_key, None), value,
                 decided(verdict.new_value, owner.value if owner is not None else None), line=line, origin=key,
                 message=join(*verdict.then))


def left_at_default(src_map: ChartMap, key: str, owner: LeafPlacement) -> Verdict:
    dst = owner.target.chart_map
    new_default = dst.defaults.get(format_key(owner.path), _MISSING)
    if new_default is _MISSING or same_value(new_default, owner.value):
        return placed(key, owner, "kept", then=f"{src_map.id}'s default; not written ({dst.id} has its own default)")
    if new_default in ("", None) and owner.value not in ("", None):
        return placed(key, owner, "review", then=(f"was {src_map.id}'s default {owner.value!r}; {dst.id} leaves "
                                                  f"{format_key(owner.path)} empty: give the value the new deployment "
                                                  f"uses"))
    return placed(key, owner, "defaulted", new_default,
                  f"was {src_map.id}'s default; {owner.target.name} takes {dst.id}'s default")


def unplaced(src_map: ChartMap, path: KeyPath, value: Any, line: int | None, stopped: Routed | None,
             rules: dict[str, Any], customised: bool) -> Entry:
    """A leaf no target file takes."""
    key = format_key(path)
    if stopped is not None and ruled_action(stopped.track) == "removed":
        return leaf_entry(key, value, line, None, Verdict(old_key=key, origin=key), stopped)
    rule = path_rule(rules, path)
    action: Action
    if rule is not None and "review" in rule and customised:
        action, why = "review", rule["review"]
    elif customised:
        action, why = "review", "no target chart takes this value; carry it over by hand if it still applies"
    else:
        action, why = "removed", f"{src_map.id}'s default, and no target chart takes it"
    return leaf_entry(key, value, line, None, Verdict(action=action, old_key=key, new_key=None, new_value=None,
                                                      origin=key, then=(why,)), stopped)


def source_node(doc: ValuesDocument, path: KeyPath, value: Any, new_value: Any) -> Any:
    """The input's own node (its quoting) when the value is unchanged."""
    node = doc.get(path)
    return node if same_value(new_value, value) and not isinstance(node, dict) else new_value


def eol_comment(doc: ValuesDocument, path: KeyPath) -> str | None:
    parent = doc.get(path[:-1]) if len(path) > 1 else doc.data
    items = getattr(getattr(parent, "ca", None), "items", {})
    slot = items.get(path[-1]) if isinstance(items, dict) else None
    token = slot[2] if slot and len(slot) > 2 else None
    text = getattr(token, "value", "") or ""
    first = text.split("\n", 1)[0].strip()
    return first.lstrip("#").strip() or None if first.startswith("#") else None
