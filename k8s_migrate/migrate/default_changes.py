"""The deployment.toml keys whose effective value changes because the new chart renders them otherwise,
where no value of the migrated file feeds them: the new chart's default, its template, or nothing (the
server's default) takes the place of what the old chart rendered.

Each instance is modelled from the chart maps (links over effective values, and template constants) on
both sides; the old side goes through the rule packs to the new API-M version, and a key neither side
renders counts at the new version's default. Every change becomes a report entry: ``defaulted`` when the
old value came from the old chart, ``review`` when it was the user's own and the new chart cannot take it
from the migrated values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from ..catalog import load_catalog
from ..charts.chartmap import (
    ITEMS,
    OTHER_HOLE,
    ChartLink,
    ChartMap,
    LinkShape,
    apply_pattern,
    invert_pattern,
    link_shape,
)
from ..charts.deployment_rules import ABSENT, lookup
from ..charts.effective import GuardVerdicts, guard_holds, overlay, own_field_guard, values_read
from ..charts.gotemplate.govalue import is_true
from ..hub import ANY_ITEM, HubKey, KeyPath, format_key, parse_key
from ..report import Action, Entry, Report
from ..rules.values import same_value

_RENDERED_LINKS = ("direct", "pattern", "list", "subtree")
_SIBLING = re.compile(r"^\{\{-?\s*\$\w+\.\w+\s*-?\}\}$")  # {{ $env.servicePort }}: a field of the same list item
_HOST = re.compile(r"(?<=://)[<>A-Za-z0-9_.-]+(?::(?:\d+|\$\{[\w.]+\}))?")  # a URL's host, and its port
SERVICE = "<service>"
_ITEM_INDEX = re.compile(r"\[(\d+)\]")  # an item's index, right after its list's key


def without_service_hosts(value: Any, names: tuple[str, ...], old_side: bool = False) -> Any:
    """The value with each URL host that a chart builds from its release or chart name (on the old side also
    ``localhost``, which the old charts wrote where the new ones address a service) replaced by one
    placeholder, with its port (the service's own): what is left is what a values file could change."""
    if isinstance(value, list):
        return [without_service_hosts(v, names, old_side) for v in value]
    if not isinstance(value, str):
        return value

    def placeholder(found: re.Match) -> str:
        host = found.group(0).partition(":")[0]
        wired = (old_side and host == "localhost") or any(n and n in host for n in (SERVICE, *names))
        return SERVICE if wired else found.group(0)

    return _HOST.sub(placeholder, value)


def template_hosts(chart_map: ChartMap, key: str, value: Any) -> tuple[str, ...]:
    """The names a chart's template builds into this key's value from its release or chart name through a helper
    ({{ template "x.resource.prefix" . }}-service): read off the rendered value through each link's pattern."""
    found: list[str] = []
    texts = value if isinstance(value, list) else [value]
    for _, link in chart_map.toml_to_values(key):
        if not isinstance(link.pattern, str) or not _WIRED_HOLE.search(link.pattern):
            continue
        regex, wired = "", 0
        for piece in re.split(r"(\{\{.*?\}\}|\{\})", link.pattern):
            if OTHER_HOLE.fullmatch(piece or "x") and _WIRED_HOLE.search(piece):
                regex += f"(?P<w{wired}>[A-Za-z0-9_.-]+?)"
                wired += 1
            elif piece == "{}" or OTHER_HOLE.fullmatch(piece or "x"):
                regex += ".*?"
            else:
                regex += re.escape(piece)
        for text in texts:
            m = re.fullmatch(regex, text, re.S) if isinstance(text, str) else None
            if m:
                found += [name for name in m.groupdict().values() if name and name not in found]
    return tuple(found)


WIRED = object()  # a value the template builds from the release or chart name: not modelled


@dataclass(slots=True)
class Rendered:
    """One TOML key as a chart renders it: its value, and the values path that feeds it (None: the template)."""

    value: Any
    values_path: str | None
    line: int | None
    link: ChartLink | None = None
    certain: bool = True  # every guard on the way was judged true (not merely not false)
    toml_path: KeyPath | None = None  # the key's segments, and the values path's, when the model has them at hand
    values_key: KeyPath | None = None


def pair_instances(before: list[str], after: list[str], only: str | None = None) -> list[tuple[str | None, str | None]]:
    """Old and new instances paired by id, then by their last folder (instance-2), then in order."""
    pairs: list[tuple[str | None, str | None]] = []
    left, right = list(before), list(after)
    for match in (lambda a, b: a == b, lambda a, b: _component(a) == _component(b),
                  lambda a, b: a.split("/")[-1] == b.split("/")[-1], _abbreviates):
        for old in list(left):
            new = next((n for n in right if match(old, n)), None)
            if new is not None:
                pairs.append((old, new))
                left.remove(old)
                right.remove(new)
    pairs += list(zip(left, right, strict=False))
    pairs += [(o, None) for o in left[len(right):]] + [(None, n) for n in right[len(left):]]
    if only is not None:
        tail = only.strip("/").split("/")[-1]
        pairs = [p for p in pairs if any(i and i.split("/")[-1] == tail for i in p)] or pairs[:1]
    return pairs


_CONF_DIR = "/repository/conf"


def _component(instance: str) -> str:
    """An instance id as a chart map of the 3.0.x charts names it by its file (``am-km/repository/conf``), in the
    later charts' form (``am/km``)."""
    name = instance.removesuffix(_CONF_DIR)
    return "am/" + name[3:] if name.startswith("am-") else name


def _abbreviates(a: str, b: str) -> bool:
    """``am-dev`` and ``am/devportal``, ``am-pub`` and ``am/publisher``: one last folder starts the other."""
    x, y = _component(a).split("/"), _component(b).split("/")
    return len(x) == len(y) and x[:-1] == y[:-1] and (x[-1].startswith(y[-1]) or y[-1].startswith(x[-1]))


def render_model(chart_map: ChartMap, instance: str, values: dict[str, Any]) -> dict[str, Rendered]:
    """TOML key -> how the chart renders it for one instance, from effective values (a guard that cannot
    be judged counts as holding; a key with a guard judged true wins over one merely not judged false)."""
    guard_holds = GuardVerdicts(values)
    out: dict[str, Rendered] = {}

    def offer(key: str, found: Rendered) -> None:
        here = out.get(key)
        if here is None or (found.certain and not here.certain):
            out[key] = found

    ranged: list[dict[str, Any]] = []  # constants inside a range: one per item the range renders
    for const in chart_map.constants:
        verdict = guard_holds(const.get("guard")) if const.get("instance") in (None, instance) else False
        if verdict is not False and "[]" in const["toml"]:
            ranged.append(const)
        elif verdict is not False:
            offer(const["toml"], Rendered(const["value"], None, const.get("line"), None, verdict is True))
    for link, shape in zip(chart_map.links, chart_map.link_shapes(), strict=True):
        here = link.instance in (None, instance)
        if not here or link.kind not in _RENDERED_LINKS or not link.toml:
            continue
        own_field = own_field_guard(link)
        verdict = True if own_field else guard_holds(link.guard)
        if verdict is not False:
            certain = verdict is True or not link.guard
            for toml_path, value, values_path, texts in _link_keys(link, values, shape or link_shape(link)):
                if own_field and not _holds_in_go(lookup(values, values_path)):
                    continue
                if own_field and link.filter == "quote" and isinstance(value, list):  # Go prints a list [a b]
                    value = f"[{' '.join(str(v) for v in value)}]"
                toml_text, values_text = texts or (format_key(toml_path), format_key(values_path))
                offer(toml_text, Rendered(value, values_text, link.line, link, certain, toml_path, values_path))
    _offer_each_item(out, ranged, offer)
    return out


def _offer_each_item(out: dict[str, Rendered], ranged: list[dict[str, Any]],
                     offer: Callable[[str, Rendered], None]) -> None:
    """Each constant inside a range, once for each item whose index follows the range's head in a key of ``out``
    (``head[3]...``): the indices are found in one pass over the keys and kept up to date as keys are offered."""
    indices: dict[str, set[int]] = {const["toml"].partition("[]")[0]: set() for const in ranged}

    def note(key: str) -> None:
        at = key.find("[")
        while at != -1:
            found = indices.get(key[:at])
            if found is not None and (m := _ITEM_INDEX.match(key, at)):
                found.add(int(m.group(1)))
            at = key.find("[", at + 1)

    for key in out if ranged else ():
        note(key)
    for const in ranged:
        head, _, tail = const["toml"].partition("[]")
        for n in sorted(indices[head]):
            key = f"{head}[{n}]{tail}"
            new = key not in out
            offer(key, Rendered(const["value"], None, const.get("line"), None, False))
            if new:
                note(key)


def _holds_in_go(value: Any) -> bool:
    """``{{ if value }}`` as the template engine judges it; a field the item lacks is nil."""
    return value is not ABSENT and is_true(value)


def _link_keys(link: ChartLink, values: dict[str, Any], shape: LinkShape):
    """(TOML path, rendered value, values path, their texts or None) for each key one link renders from the
    values (``shape``: the link's link_shape)."""
    values_pattern, toml_pattern, whole, values_text, toml_text, slots = shape
    if link.kind == "subtree":
        table = lookup(values, values_pattern[:-1]) if values_pattern[-1:] == ("*",) == toml_pattern[-1:] else None
        for name, value in table.items() if isinstance(table, dict) else ():
            if value is not None and not isinstance(value, (dict, list)):
                yield (parse_key(format_key((*toml_pattern[:-1], str(name)))), apply_pattern(None, value, link.filter),
                       parse_key(format_key((*values_pattern[:-1], str(name)))), None)  # a user's key, as it reads
        return
    for values_path, toml_path, item, value in _expand(values, values_pattern, toml_pattern):
        if value is ABSENT or value is None or ANY_ITEM in toml_path or "[]" in toml_path:
            continue  # (a value that fills every item of a list the chart ranges over elsewhere: not a key)
        if whole and isinstance(value, list) and link.pattern:
            items = [_fill(link, v, v, values) for v in value]
            rendered = WIRED if any(i is WIRED for i in items) else items
        else:
            rendered = _fill(link, value, item, values)
        texts = None
        if values_text is not None and toml_text is not None:
            indices = [f"[{values_path[i]}]" for i in slots]
            texts = (_filled(toml_text, indices), _filled(values_text, indices))
        yield toml_path, rendered, values_path, texts


def _filled(pieces: list[str], indices: list[str]) -> str:
    out = [pieces[0]]
    for n, piece in enumerate(pieces[1:]):
        out += (indices[n] if n < len(indices) else "[]", piece)
    return "".join(out)


def _expand(node: Any, pattern: KeyPath, toml: KeyPath, prefix: KeyPath = (), item: Any = None):
    """Concrete (values path, TOML path, list item, the value there) for a link whose paths may hold ``[]`` (each
    item); ``node`` is what the values hold at ``prefix``."""
    for i, seg in enumerate(pattern):
        if seg in (*ITEMS, "*"):
            items = lookup(node, pattern[:i])
            if not isinstance(items, list) or seg == "*":
                return
            at = toml.index(seg) if seg in toml else None
            for n, child in enumerate(items):
                new_toml = (*toml[:at], n, *toml[at + 1:]) if at is not None else toml
                yield from _expand(child, pattern[i + 1:], new_toml, (*prefix, *pattern[:i], n), child)
            return
    yield (*prefix, *pattern), toml, item, lookup(node, pattern)


_VALUES_HOLE = re.compile(r"^\{\{-?\s*(?:add\s+(-?\d+)\s+)?\$?\.Values\.([\w.]+)\s*-?\}\}$")
_ITEM_HOLE = re.compile(r"^\{\{-?\s*\$\w+\s*-?\}\}$")  # {{ $element }}: the list item itself
_WIRED_HOLE = re.compile(r"\{\{-?\s*(?:template|include)\b|\.Release\.|\.Chart\.")


def _fill(link: ChartLink, value: Any, item: Any, values: dict[str, Any]) -> Any:
    """The rendered value. The pattern's other holes are filled from the same list item (``{{ $env.port }}``,
    ``{{ $element }}``) or from values (``{{ add 5672 $.Values.x }}``); a host the template builds from the
    release or chart name becomes SERVICE; a hole that cannot be filled leaves the key unmodelled (WIRED)."""
    pattern = link.pattern
    if isinstance(pattern, str):
        for hole in OTHER_HOLE.findall(pattern):
            filled = _hole(hole, item, values)
            if filled is None:
                return WIRED
            pattern = pattern.replace(hole, str(filled), 1)
    return apply_pattern(pattern, value, link.filter)


def _feeding_paths(side: Rendered) -> tuple[str, ...]:
    """The values paths a rendered key is built from: its link's, and those of the pattern's other holes (a sibling
    field of the same list item, ``{{ $env.servicePort }}``, or ``{{ .Values.a.b }}``): one of them taking the new
    chart's default changes the key even where the file's own value feeds it."""
    assert side.values_path is not None, "asked of a key a values path feeds"
    paths = [side.values_path]
    pattern = side.link.pattern if side.link is not None else None
    for hole in OTHER_HOLE.findall(pattern) if isinstance(pattern, str) else ():
        if _SIBLING.match(hole):
            paths.append(f"{side.values_path.rsplit('.', 1)[0]}.{hole.strip('{} -').split('.')[-1]}")
        elif (m := _VALUES_HOLE.match(hole)) is not None:
            paths.append(m.group(2))
    return tuple(paths)


def _hole(hole: str, item: Any, values: dict[str, Any]) -> Any:
    if _SIBLING.match(hole):
        return item.get(hole.strip("{} -").split(".")[-1]) if isinstance(item, dict) else None
    if _ITEM_HOLE.match(hole):
        return item if item is not None and not isinstance(item, (dict, list)) else None
    m = _VALUES_HOLE.match(hole)
    if m:
        path = tuple(m.group(2).split("."))
        found = lookup(values, path)
        if m.group(1) is None and (found is None or found is ABSENT and isinstance(lookup(values, path[:-1]), dict)):
            return ""  # a null or missing key of a map Helm prints as nothing (its "<no value>" taken out)
        if found is ABSENT or found is None:
            return None
        if m.group(1) is None:
            return found
        return int(m.group(1)) + int(found) if str(found).lstrip("-").isdigit() else None
    return SERVICE if _WIRED_HOLE.search(hole) else None


def migrated(rendered: dict[str, Rendered], from_version: str, to_version: str) -> dict[str, Rendered]:
    """The old chart's rendering taken through the rule packs to the new API-M version."""
    from ..rules.apply import run
    from ..rules.load import rule_chain

    keys = [HubKey(r.toml_path or parse_key(k), r.value, None, origin=k) for k, r in rendered.items()]
    state = run(keys, rule_chain(from_version, to_version))
    state.settle()  # its path index goes before the model is rebuilt (a large file's weighs as much as its tracks)
    del keys
    out = {}
    for (key, old), track in zip(rendered.items(), state.tracks, strict=False):  # an input key's track: in order
        if track.live:
            new_key = key if track.path == track.input_key.path else format_key(track.path)
            out[new_key] = Rendered(track.value, old.values_path, old.line, old.link, old.certain, track.path,
                                    old.values_key)
    return out


@dataclass
class DefaultChange:
    """One key the new chart renders otherwise, and the instances where it does."""

    key: str
    old: Any
    new: Any
    before: Rendered | None
    after: Rendered | None
    instances: list[str]
    note: str = ""  # why the old side has no value, when the model knows better than "no value recorded"
    carried_from: str | None = None  # the file's values path whose value the migration carried to the feeding one


def default_changes(report: Report, src_map: ChartMap, dst_map: ChartMap, source_values: dict[str, Any],
                    migrated_values: dict[str, Any], src_version: str, dst_version: str,
                    source_instances: set[str] | None = None,
                    elsewhere: dict[str, set[str]] | None = None) -> list[Entry]:
    """One entry per deployment.toml key (and change) that the new chart renders otherwise, where no value
    of the migrated file feeds the new side. A split passes the source instances this chart takes, and per
    source instance the keys the other new charts render from it (a key that moved to another chart is no loss)."""
    old_effective = overlay(src_map.defaults_tree(), source_values)
    new_effective = overlay(dst_map.defaults_tree(), migrated_values)
    catalog = load_catalog(dst_version)
    pairs = instance_pairs(src_map, dst_map, source_instances)
    changes: dict[tuple[str, str, str], DefaultChange] = {}
    names = tuple(n for n in (src_map.name, dst_map.name, "release-") if n)
    defaulted = {e.origin for e in report.entries if e.action == "defaulted" and e.origin}
    reported = _Reported(report)
    carried = {(e.origin if e.action == "kept" else e.new_key): e.origin for e in report.entries  # new path -> old
               if e.action in ("moved", "kept") and e.new_key and e.origin}
    carried_in = _CarriedIn(carried, src_map, source_values, old_effective)
    for old_instance, new_instance in pairs:
        before = migrated(render_model(src_map, old_instance, old_effective), src_version, dst_version)
        after = render_model(dst_map, new_instance, new_effective)
        moved = (elsewhere or {}).get(old_instance, set())
        stock = StockRenders(src_map, dst_map, old_instance, new_instance, src_version, dst_version)
        keys = [*before, *(key for key in after if key not in before)]  # no set: a large file's weighs tens of MB
        keys.sort()
        for key in keys:
            b, a = before.get(key), after.get(key)
            note, carried_from = "", None
            if a is not None and a.values_path and _has(migrated_values, a):
                if _new_for_instance(b, a, key, old_instance, src_map, source_values, migrated_values):
                    note = f"{src_map.id}'s template for {old_instance} does not render it"
                elif (carried_from := carried_in(a, b, key, old_instance)) is not None:
                    pass  # the value's own entry speaks for the keys its old path fed, not for this one
                elif _other_holes(b, a):
                    pass  # a part one template fills from a value the other fixes: no entry of the file's says so
                elif not stock.chart_driven(key, b, a, source_values, migrated_values) \
                        and not _under(defaulted, _feeding_paths(a)) \
                        and not (b is not None and b.values_path and _under(defaulted, _feeding_paths(b))):
                    continue  # the migrated file feeds it: the entries of its values speak for it (a defaulted
                    # one names one of the keys its old path fed: under a guard the file turns on, another)
            if a is None and (key in moved or b is not None and b.values_path and _has(migrated_values, b)
                              and _customised(source_values, b.values_path, src_map)
                              and not dst_map.toml_to_values(key) and reported.names(key)) \
                    and (key in moved or not stock.chart_driven(key, b, a, source_values, migrated_values)):
                continue  # another chart of the split renders it, or the file still sets it (reported as such: an
                # entry of the list the key was built from, or of an item, names the values path, not this key)
            old, new = _effective(b, key, catalog), _effective(a, key, catalog)
            if _same(old, new) or _wiring_only(old, new, names, b is None) and not _fed_one_side(b, a, new, note):
                continue
            if SERVICE in str(old) + str(new):  # a host the charts build: reported as such, the rest as it is
                old, new = without_service_hosts(old, names, old_side=True), without_service_hosts(new, names)
            change = changes.setdefault((key, repr(old), repr(new)),
                                        DefaultChange(key, old, new, b, a, [], note, carried_from))
            change.instances.append(new_instance)
        del before, after, keys  # both models, before the next pair's are made (a large file's weigh ~50 MB each)
    everywhere = len(pairs)
    spoken = _new_values_spoken(report, {c.key for c in changes.values()}) if changes else {}
    return [entry_for_change(c, src_map, dst_map, source_values, dst_version, len(c.instances) < everywhere,
                             migrated_values)
            for c in changes.values() if not any(_same(said, c.new) for said in spoken.get(c.key, ()))] \
        + ([] if source_instances is not None else unpaired_instances(src_map, dst_map, new_effective))


def unpaired_instances(src_map: ChartMap, dst_map: ChartMap,
                       new_effective: dict[str, Any] | None = None) -> list[Entry]:
    """A review entry per instance of the old chart that no instance of the new chart pairs with: the new chart has
    fewer deployment.toml files, and what this one set is rendered nowhere. And one per instance of the new chart
    that none of the old pairs with and that the new chart renders with the migrated values (``new_effective``): a
    ConfigMap no guard keeps out (3.2.x pattern-2's second Publisher/DevPortal/TM), or one whose guard holds."""
    old = [i["instance"] for i in src_map.instances]
    new = [i["instance"] for i in dst_map.instances]
    if not new:
        return []
    source = (dst_map.source or {}).get("path") if isinstance(dst_map.source, dict) else None
    pairs = pair_instances(old, new)
    gone = [Entry("review", None, None, origin=f"(instance {_component(o)})", message=(
        f"{src_map.id} renders a deployment.toml for {_component(o)} and {dst_map.id} none that pairs with it (its "
        f"instances: {', '.join(new)}): what that instance's deployment.toml set is not rendered by the new chart; "
        "review where it belongs"), source=source) for o, n in pairs if o and not n]
    rendered = {i["instance"]: "" if i.get("always") else
                (i["guard"] if i.get("guard") and guard_holds(i["guard"], new_effective) else None)
                for i in dst_map.instances}
    added = [Entry("review", None, None, origin=f"(instance {n})", message=(
        f"{dst_map.id} renders a deployment.toml for {n}"
        + (f" (its ConfigMap's guard {rendered[n]} holds)" if rendered[n] else " whatever the values")
        + f", and {src_map.id} none that pairs with it (its instances: {', '.join(old)}): the new chart runs one "
        "more instance, configured from the same values; review that it belongs in your deployment"), source=source)
        for o, n in pairs if n and not o and rendered.get(n) is not None]
    return gone + added


class StockRenders:
    """One pair of instances as each chart renders it from its own defaults alone (each side modelled when first
    asked): what the charts render where no value of the user's plays a part."""

    def __init__(self, src_map: ChartMap, dst_map: ChartMap, old_instance: str, new_instance: str,
                 src_version: str, dst_version: str):
        self.src_map, self.dst_map = src_map, dst_map
        self.old_instance, self.new_instance = old_instance, new_instance
        self.versions = (src_version, dst_version)
        self._before: dict[str, Rendered] | None = None
        self._after: dict[str, Rendered] | None = None

    def before(self) -> dict[str, Rendered]:
        if self._before is None:
            self._before = stock_model(self.src_map, self.old_instance, self.versions)
        return self._before

    def after(self) -> dict[str, Rendered]:
        if self._after is None:
            self._after = stock_model(self.dst_map, self.new_instance, None)
        return self._after

    def chart_driven(self, key: str, b: Rendered | None, a: Rendered | None, source_values: dict[str, Any],
                     migrated_values: dict[str, Any]) -> bool:
        """Neither side of the key owes anything to a value the user set: the old chart renders it as it does
        from its own defaults, and the new chart as from its own defaults or from the same values path, which
        the file carries over unchanged at the old chart's default. What changed is the charts' templates and
        defaults (and the migration following the new defaults)."""
        if not _same_rendering(b, self.before().get(key)):
            return False
        stock = self.after().get(key)
        if _same_rendering(a, stock):
            return True
        if a is None or stock is None or a.values_path is None or a.values_path != stock.values_path:
            return False
        return _carried_stock(a.values_path, source_values, migrated_values, self.src_map)


def stock_model(chart_map: ChartMap, instance: str, versions: tuple[str, str] | None) -> dict[str, Rendered]:
    """render_model of the chart's own defaults (taken through the rules when ``versions`` are given), with the
    value and values path of each key only (what chart_driven reads). A built-in map's is kept between runs
    (datacache): building both sides took a twentieth of a values run."""
    def build() -> dict[str, tuple[bool, Any, str | None]]:
        model = render_model(chart_map, instance, chart_map.defaults_tree())
        if versions is not None:
            model = migrated(model, *versions)
        return {k: (r.value is WIRED, None if r.value is WIRED else r.value, r.values_path) for k, r in model.items()}

    from ..charts import effective  # noqa: F401 - named in the entry's key: imported before it is made
    from ..charts.chartmap import CODE, builtin_ids, builtin_map
    from ..datacache import kept
    from ..rules import apply  # noqa: F401 - as effective
    from ..rules.load import pack_files

    file_name = builtin_ids().get(chart_map.id)
    if file_name is None or builtin_map(file_name) is not chart_map:
        summary = build()
    else:
        name = f"stock-model-{file_name.replace('/', '-')}-{instance.replace('/', '-')}-{'-'.join(versions or ())}"
        summary = kept(name, [f"charts/{file_name}", *(pack_files() if versions else ())],
                       (*CODE, __name__, "k8s_migrate.charts.effective", "k8s_migrate.rules.apply"), build)
    return {k: Rendered(WIRED if wired else value, values_path, None, None) for k, (wired, value, values_path)
            in summary.items()}


def _same_rendering(side: Rendered | None, stock: Rendered | None) -> bool:
    if side is None or stock is None:
        return side is stock
    if side.value is WIRED or stock.value is WIRED:
        return side.value is stock.value
    return _same(side.value, stock.value)


def _carried_stock(path_text: str, source_values: dict[str, Any], migrated_values: dict[str, Any],
                   src_map: ChartMap) -> bool:
    """The file held this values path at the old chart's default, and the migrated file holds the same value."""
    path = parse_key(path_text)
    old, new = lookup(source_values, path), lookup(migrated_values, path)
    return old is not ABSENT and new is not ABSENT and same_value(old, new) \
        and not _customised(source_values, path_text, src_map)


def _new_for_instance(b: Rendered | None, a: Rendered, key: str, instance: str, src_map: ChartMap,
                      source_values: dict[str, Any], migrated_values: dict[str, Any]) -> bool:
    """The new chart renders the key for this instance from a values path the file carries unchanged, and the old
    chart's template for the paired instance has no such key (no link, no literal): the value now takes effect
    there."""
    if b is not None or a.values_path is None:
        return False
    if any(link.instance in (None, instance) for _, link in src_map.toml_to_values(key)):
        return False
    if any(c.get("instance") in (None, instance) for c in src_map.stock_value(key)):
        return False
    path = a.values_key or parse_key(a.values_path)
    old, new = lookup(source_values, path), lookup(migrated_values, path)
    return old is not ABSENT and same_value(old, new)


class _Reported:
    """The keys the report's entries name, gathered when first asked (a large file's would weigh megabytes, and most
    runs never ask)."""

    def __init__(self, report: Report):
        self.report = report
        self.keys: set[str] | None = None

    def names(self, key: str) -> bool:
        if self.keys is None:
            self.keys = {k for e in self.report.entries for k in (e.old_key, e.new_key) if k}
        return key in self.keys


def _under(paths: set[str], feeding: tuple[str, ...]) -> bool:
    """Is a feeding path one of ``paths``, or inside one (``urls[0]`` inside ``urls``, which an entry names whole)?"""
    return bool(paths) and any(p in paths or any(p[:m.start()] in paths for m in _STEP.finditer(p)) for p in feeding)


_STEP = re.compile(r"[.\[]")


def _other_holes(b: Rendered | None, a: Rendered) -> bool:
    """Both charts render the key from values, from a different number of them: a part a value filled is written
    into the other template (3.2.x's ``{{ .Values...iskm.servicePort }}``, 4.5.x's ``:9443``), or the reverse
    (4.2.x's ``:9443``, 4.6.x's ``servicePort``, which no file sets)."""
    if b is None or not b.values_path or not a.values_path:
        return False
    if not any(side.link is not None and "{{" in str(side.link.pattern or "") for side in (a, b)):
        return False  # one values path each (most keys: asked of every one a large file feeds)
    return len(_feeding_paths(b)) != len(_feeding_paths(a))


class _CarriedIn:
    """The file's values path whose customised value the migration kept or moved at the path that feeds a key,
    when the old chart did not render that path into the key for the paired old instance (no link, or one under a
    guard that did not hold with the file's values: 3.2.x's truststore password, which went to its secret): the
    user's value now takes effect there too (two old paths became one, 3.x pattern-3's publisher and devportal
    hostnames in 4.x's control-plane one; or the new template reads a path the old one did not, 4.2.x's websocket
    hostname). What the old chart fed from each path is found once (a large file asks for most of its keys)."""

    def __init__(self, carried: dict[str, str], src_map: ChartMap, source_values: dict[str, Any],
                 old_effective: dict[str, Any]):
        self.carried, self.src_map = carried, src_map
        self.source_values, self.old_effective = source_values, old_effective
        self.fed: dict[str, tuple[str, set[tuple[str, str | None]]] | None] = {}

    def __call__(self, a: Rendered, b: Rendered | None, key: str, instance: str) -> str | None:
        if not a.values_path or b is not None and b.values_path == self.carried.get(a.values_path, ""):
            return None  # not carried, or the old chart rendered this key from the same path
        if a.values_path not in self.fed:
            self.fed[a.values_path] = self._fed(a.values_path)
        found = self.fed[a.values_path]
        if found is None:
            return None
        origin, fed = found
        return None if (key, None) in fed or (key, instance) in fed else origin

    def _fed(self, path: str) -> tuple[str, set[tuple[str, str | None]]] | None:
        """(the old path, the (key, instance) it fed with the file's values), for a customised carried path."""
        origin = self.carried.get(path)
        if origin is None or not _customised(self.source_values, origin, self.src_map):
            return None
        try:
            links = self.src_map.values_to_toml(origin)
        except ValueError:
            return None
        return origin, {(target, link.instance) for target, link in links
                        if guard_holds(link.guard, self.old_effective) is not False}


def instance_pairs(src_map: ChartMap, dst_map: ChartMap,
                   source_instances: set[str] | None = None) -> list[tuple[str, str]]:
    old = [i["instance"] for i in src_map.instances if source_instances is None or i["instance"] in source_instances]
    return [(o, n) for o, n in pair_instances(old, [i["instance"] for i in dst_map.instances]) if o and n]


def rendered_keys(src_map: ChartMap, dst_map: ChartMap, migrated_values: dict[str, Any],
                  source_instances: set[str] | None = None) -> dict[str, set[str]]:
    """Per source instance: the keys the new chart renders for the instance it pairs with."""
    effective = overlay(dst_map.defaults_tree(), migrated_values)
    pairs = instance_pairs(src_map, dst_map, source_instances)
    return {old: set(render_model(dst_map, new, effective)) for old, new in pairs}


def _has(values: dict[str, Any], side: Rendered) -> bool:
    """Do the values hold the path that feeds this key?"""
    assert side.values_path is not None, "asked of a key a values path feeds"
    return lookup(values, side.values_key or parse_key(side.values_path)) is not ABSENT


def _effective(side: Rendered | None, key: str, catalog) -> Any:
    if side is not None and not (isinstance(side.value, dict) and not side.value):
        return side.value
    found, value, _ = catalog.default(key)
    return value if found else ABSENT


def _wiring_only(old: Any, new: Any, names: tuple[str, ...], old_unmodelled: bool = False) -> bool:
    """Only the service addresses the charts build differ, or one side is such wiring the model cannot render
    (the old chart's own wiring is in no chart map: the proof names what the charts render there)."""
    if old is WIRED or new is WIRED:
        return True
    old_n, new_n = without_service_hosts(old, names, old_side=True), without_service_hosts(new, names)
    if old_unmodelled and SERVICE in str(new_n):
        return True
    if old_n != old or new_n != new:
        return old is ABSENT or new is ABSENT or _same(old_n, new_n)
    return False


def _fed_one_side(b: Rendered | None, a: Rendered | None, new: Any, new_for_instance: str) -> bool:
    """A service address only one side renders, which the chart model knows (fed by a values path such as the port
    offset, or a literal of the old template): the proof's wiring explainer takes only keys the maps know nothing
    of, so the entry states it. Either the new chart renders nothing and the server has no default, or the old
    template for the instance had no such key, or the old chart renders nothing where the new one builds the
    address around a values path (its port offset)."""
    return bool(new_for_instance) or (new is ABSENT and b is not None) \
        or (b is None and a is not None and a.values_path is not None)


def _same(a: Any, b: Any) -> bool:
    if a is ABSENT or b is ABSENT:
        return a is b
    return same_value(a, b)


def _new_values_spoken(report: Report, keys: set[str]) -> dict[str | None, list[Any]]:
    """The new values the migration's entries already name, by key (a change they name needs no entry), for these
    keys."""
    spoken: dict[str | None, list[Any]] = {}
    for e in report.entries:
        if e.action != "kept" and e.new_key in keys:
            spoken.setdefault(e.new_key, []).append(e.new_value)
    return spoken


def _shown(value: Any) -> str:
    return "(not set)" if value is ABSENT else repr(value)


def entry_for_change(change: DefaultChange, src_map: ChartMap, dst_map: ChartMap, source_values: dict[str, Any],
                     dst_version: str, some_instances: bool, migrated_values: dict[str, Any] | None = None) -> Entry:
    before, after = change.before, change.after
    where = f" in {', '.join(change.instances)}" if some_instances else ""
    if before is None and change.note:
        was = f"{change.note} (API-M {dst_version}'s default counted)"
    elif before is None:
        was = f"{src_map.id}'s chart map records no value for it (API-M {dst_version}'s default counted)"
    elif before.values_path is None:
        was = f"{src_map.id} fixed it in its template (line {before.line})"
    elif _customised(source_values, before.values_path, src_map):
        was = f"your {before.values_path} fed it in {src_map.id}"
    else:
        was = f"{src_map.id}'s default {before.values_path} fed it"
    if after is None:
        now = f"{dst_map.id} does not render it: API-M {dst_version}'s default applies"
        keep = "to keep the old value, add it to deployment.toml through a ConfigMap override (or extraConfigs)"
        origin = f"chart:{dst_map.id}"
    elif after.values_path is None:
        now = f"{dst_map.id} fixes it in its template (line {after.line}); no values path feeds it"
        keep = "to keep the old value, override deployment.toml through a ConfigMap"
        origin = f"chart:{dst_map.id}"
    elif change.old is ABSENT and SERVICE in str(change.new):  # no value of the file's makes the address
        now = f"{dst_map.id} builds its own service address there ({after.values_path} gives a part of it)"
        keep = "to leave it to the server as before, override deployment.toml through a ConfigMap"
        origin = after.values_path
    else:
        carried = ABSENT if migrated_values is None else lookup(migrated_values, after.values_key
                                                               or parse_key(after.values_path))
        now = (f"{dst_map.id} renders it from its default {after.values_path}" if carried is ABSENT
               else f"{dst_map.id} renders it from {after.values_path}, which the migrated file sets to {carried!r}")
        link = after.link
        kept = invert_pattern(link.pattern if link else None, change.old, link.filter if link else None) \
            if change.old is not ABSENT else None
        keep = (f"set {after.values_path}: {kept!r} to keep the old value" if kept is not None
                else f"set {after.values_path} to keep the old value")
        origin = after.values_path
    users = before is not None and before.values_path is not None \
        and _customised(source_values, before.values_path, src_map)
    switch = _users_switch(change.key, before, src_map, source_values) if not users else None
    if switch is not None:
        was += f", under a guard that reads your {switch}"
    if before is not None and after is not None and _other_holes(before, after):
        now += (f" (filled from {', '.join(_feeding_paths(after))} where {src_map.id}'s was filled from "
                f"{', '.join(_feeding_paths(before))})")
        keep = "to keep the old value, override deployment.toml through a ConfigMap"
    if change.carried_from is not None and after is not None:  # a key the new chart renders from a values path
        moved = f", moved there from your {change.carried_from}" if change.carried_from != after.values_path else ""
        now += f"{moved}, which {src_map.id} did not render into this key for the paired instance"
        keep = (f"to keep the old value here, override deployment.toml through a ConfigMap ({after.values_path} "
                "feeds more than this key)")
    action: Action = "review" if users or switch or change.carried_from else "defaulted"
    message = f"{change.key}{where}: {_shown(change.old)} -> {_shown(change.new)}; {was}; {now}; {keep}"
    return Entry(action, None, change.key, None if change.old is ABSENT else change.old,
                 None if change.new is ABSENT else change.new, message=message, origin=origin,
                 source=(dst_map.source or {}).get("path") if isinstance(dst_map.source, dict) else None)


def _users_switch(key: str, before: Rendered | None, src_map: ChartMap, source_values: dict[str, Any]) -> str | None:
    """The values path the file customised that the old side's guard reads (``{{ if .Values.x.enabled }}`` around
    the line that rendered the key): the user chose that the key be rendered, so its change is theirs to review."""
    if before is None:
        return None
    if before.link is not None:
        guard = before.link.guard
    else:
        guard = next((c.get("guard") for c in src_map.stock_value(key) if c.get("line") == before.line), None)
    for path in values_read(guard):
        if _customised(source_values, path, src_map):
            return path
    return None


def _customised(values: dict[str, Any], path_text: str, chart_map: ChartMap) -> bool:
    found = lookup(values, parse_key(path_text))
    if found is ABSENT:
        return False
    default = chart_map.defaults.get(path_text, ABSENT)
    if default is ABSENT and "[" in path_text:  # an item of a list the defaults hold whole (throttling.urls[0])
        default = lookup(chart_map.defaults_tree(), parse_key(path_text))
    return default is ABSENT or not same_value(default, found)
