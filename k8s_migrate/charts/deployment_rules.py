"""Chart rules: what keeps the deployment around deployment.toml (topology, bundled database, ingress, image).

The rules are data, in ``mappings/charts/rules/deployment/*.json``; each names the charts it applies to
(``from``/``to`` chart names, fnmatch patterns; optional ``crosses``: the destination branch reaches it
and the source branch is below it), an ``op``, a ``message`` and a ``source``. They run after the values
migration, on the user's document, and judge by effective values: the chart defaults with the user's
values over them, before (old chart) and after (new chart, migrated values).

Ops:
- ``set``: write ``path: value`` when the new effective value differs (``when``: a source-effective
  path and the value it must have, or ``at_least`` a number).
- ``keep_effective``: for each ``paths`` match (``*`` = any map key) whose old effective value is
  ``value``, keep it when the new chart's default would change it.
- ``copy_effective``: ``from_path`` -> ``to_path`` with ``{name}`` over map keys, when ``when_path``
  (same ``{name}``) was true before; the old effective value is written where the new one differs.
- ``carry_toml``: the TOML keys of ``tables`` as the old chart rendered them (its links over effective
  values, and its constants) are written to the new chart's values paths that feed those keys.
- ``review_change``: a review entry when the new chart's effective ``path`` becomes ``value`` (a new default).
- ``image``: an image pin in ``paths`` (registry, repository, tag, digest): a WSO2 image tagged with the
  old API-M version takes the new one; a digest or a custom image is a review entry.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, replace
from typing import Any

from ..data import load_json, mappings_root
from ..hub import KeyPath, format_key, parse_key
from ..report import Entry, Report
from ..rules.values import same_value
from .chartmap import ChartMap, apply_pattern, invert_pattern

RULES_DIR = "charts/rules/deployment"
ABSENT = object()


@dataclass
class RuleContext:
    """What a chart-level rule reads: the values document, the report, both maps, the old effective values."""

    doc: Any  # ValuesDocument
    report: Report
    src_map: ChartMap
    dst_map: ChartMap
    source_effective: dict[str, Any]

    def new_effective(self) -> dict[str, Any]:
        from ..formats.values import plain
        from .effective import overlay

        return overlay(self.dst_map.defaults_tree(), plain(self.doc.data))


def load_rules() -> list[dict[str, Any]]:
    folder = os.path.join(mappings_root(), RULES_DIR)  # os.path: pathlib is not imported on a values run's path
    rules: list[dict[str, Any]] = []
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".json")) if os.path.isdir(folder) else ():
        data = load_json(f"{RULES_DIR}/{name}")
        for rule in data["rules"]:
            rules.append({**rule, "source": rule.get("source") or data.get("source")})
    return rules


def _branch(chart_map: ChartMap) -> tuple[int, ...]:
    branch = chart_map.id.split("@")[-1]
    return tuple(int(p) for p in re.findall(r"\d+", branch))


_DIGITS = re.compile(r"\d+")


def _named(name: str, pattern: str) -> bool:
    """fnmatch.fnmatchcase(name, pattern), without compiling the rules' plain names and ``prefix*`` patterns."""
    prefix = pattern.endswith("*")
    head = pattern[:-1] if prefix else pattern
    if "*" in head or "?" in head or "[" in head:
        return fnmatch.fnmatchcase(name, pattern)
    return name.startswith(head) if prefix else name == pattern


def applies(rule: dict[str, Any], src_map: ChartMap, dst_map: ChartMap) -> bool:
    src_name, dst_name = src_map.id.split("@")[0], dst_map.id.split("@")[0]
    if not any(_named(src_name, p) for p in rule["from"]):
        return False
    if not any(_named(dst_name, p) for p in rule["to"]):
        return False
    crosses = rule.get("crosses")
    if crosses:
        mark = tuple(int(p) for p in _DIGITS.findall(crosses))
        return _branch(src_map) < mark <= _branch(dst_map)
    return True


def apply_rules(ctx: RuleContext) -> None:
    for rule in load_rules():
        if applies(rule, ctx.src_map, ctx.dst_map):
            OPS[rule["op"]](rule, ctx)


# ---- values helpers ------------------------------------------------------------------------------------

def lookup(values: Any, path: KeyPath) -> Any:
    node = values
    for seg in path:
        if isinstance(node, dict):
            if seg not in node:
                return ABSENT
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int) and seg < len(node):
            node = node[seg]
        else:
            return ABSENT
    return node


def expand(values: Any, pattern: KeyPath, prefix: KeyPath = ()) -> list[KeyPath]:
    """The concrete paths in `values` that match a pattern with ``*`` for any map key."""
    if not pattern:
        return [prefix]
    head, rest = pattern[0], pattern[1:]
    if not isinstance(values, dict):
        return []
    keys = sorted(values) if head == "*" else [head] if head in values else []
    return [p for k in keys for p in expand(values[k], rest, (*prefix, k))]


def _message(rule: dict[str, Any], ctx: RuleContext, **extra: Any) -> str:
    return rule["message"].format(**{"from": ctx.src_map.id, "to": ctx.dst_map.id, **extra})


def _write(ctx: RuleContext, rule: dict[str, Any], path: KeyPath, value: Any, message: str) -> None:
    """Write a value; the entry that already speaks for this path (the migration's) takes the rule's word."""
    key = format_key(path)
    had = ctx.doc.has(path)
    old = ctx.doc.get(path) if had else None
    ctx.doc.set(path, value)
    for index, entry in enumerate(ctx.report.entries):
        if entry.old_key is not None and (entry.origin == key or entry.new_key == key):
            _take_over(ctx, index, rule, message, action="kept" if same_value(entry.old_value, value) else "changed",
                       new_key=key, new_value=value)
            return
    ctx.report.add(Entry("changed" if had else "added", key if had else None, key, old, value, rule=rule["id"],
                         source=rule.get("source"), message=message, origin=key))


def _review(ctx: RuleContext, rule: dict[str, Any], key: str | None, value: Any, message: str) -> None:
    for index, entry in enumerate(ctx.report.entries):
        if key is not None and entry.old_key == key:
            _take_over(ctx, index, rule, message, action="review")
            return
    ctx.report.add(Entry("review", key, None, value, None, rule=rule["id"], source=rule.get("source"),
                         message=message, origin=key or f"chart:{ctx.dst_map.id}"))


def _take_over(ctx: RuleContext, index: int, rule: dict[str, Any], message: str, **decided: Any) -> None:
    """The rule's word replaces the migration's in the entry that already speaks for the path."""
    ctx.report.entries[index] = replace(ctx.report.entries[index], rule=rule["id"], source=rule.get("source"),
                                        message=message, **decided)


def _holds(condition: dict[str, Any] | None, values: dict[str, Any]) -> bool:
    if not condition:
        return True
    found = lookup(values, parse_key(condition["path"]))
    if found is ABSENT:
        return False
    if "at_least" in condition:
        return isinstance(found, (int, float)) and not isinstance(found, bool) and found >= condition["at_least"]
    return same_value(found, condition["value"])


# ---- ops -----------------------------------------------------------------------------------------------

def op_set(rule: dict[str, Any], ctx: RuleContext) -> None:
    if not _holds(rule.get("when"), ctx.source_effective):
        return
    path = parse_key(rule["path"])
    if not same_value(lookup(ctx.new_effective(), path), rule["value"]):
        _write(ctx, rule, path, rule["value"], _message(rule, ctx))


def op_keep_effective(rule: dict[str, Any], ctx: RuleContext) -> None:
    new = ctx.new_effective()
    for pattern in rule["paths"]:
        for path in expand(ctx.source_effective, parse_key(pattern)):
            old = lookup(ctx.source_effective, path)
            if "value" in rule and not same_value(old, rule["value"]):
                continue
            if not same_value(lookup(new, path), old):
                _write(ctx, rule, path, old, _message(rule, ctx, path=format_key(path)))


def op_copy_effective(rule: dict[str, Any], ctx: RuleContext) -> None:
    source_pattern = parse_key(rule["from_path"].replace("{name}", "*"))
    at = source_pattern.index("*")
    for path in expand(ctx.source_effective, source_pattern):
        name = path[at]
        when_path = rule.get("when_path")
        if when_path and lookup(ctx.source_effective, parse_key(when_path.format(name=name))) is not True:
            continue
        target = parse_key(rule["to_path"].format(name=name))
        new = ctx.new_effective()
        if lookup(new, target) is ABSENT and lookup(new, target[:-1]) is ABSENT:
            continue  # the new chart has nothing of that name
        value = lookup(ctx.source_effective, path)
        if not same_value(lookup(new, target), value):
            _write(ctx, rule, target, value, _message(rule, ctx, path=format_key(path), target=format_key(target)))


def rendered_toml(chart_map: ChartMap, values: dict[str, Any], tables: list[str]) -> dict[str, Any]:
    """TOML key -> value as the chart renders it from effective values, for keys under `tables`."""
    from .chartmap import first_instance
    from .effective import guard_holds

    instance = first_instance(chart_map)
    out: dict[str, Any] = {}
    inside = lambda key: any(key == t or key.startswith(t + ".") for t in tables)  # noqa: E731
    for const in chart_map.constants:
        if inside(const["toml"]) and const.get("instance") in (None, instance) \
                and guard_holds(const.get("guard"), values) is not False:
            out[const["toml"]] = const["value"]
    for link in chart_map.links:
        key = link.toml or ""
        if (not inside(key) or link.kind not in ("direct", "pattern")
                or link.instance not in (None, instance)):
            continue
        if guard_holds(link.guard, values) is False:
            continue
        value = lookup(values, parse_key(link.values))
        if value is not ABSENT and value is not None:
            out[key] = apply_pattern(link.pattern, value, link.filter)
    return out


def op_carry_toml(rule: dict[str, Any], ctx: RuleContext) -> None:
    from .chartmap import to_values

    before = rendered_toml(ctx.src_map, ctx.source_effective, rule["tables"])
    carried = []
    for key, value in sorted(before.items()):
        new = ctx.new_effective()
        if rendered_toml(ctx.dst_map, new, [key]).get(key, ABSENT) == value:
            continue
        target = to_values(ctx.dst_map, key, values=new)
        if target is None:
            _review(ctx, rule, None, value, _message(rule, ctx, key=key) + f"; {ctx.dst_map.id} does not expose {key}")
            continue
        path_text, link = target
        written = invert_pattern(link.pattern, value, link.filter)
        if written is None:
            written = value
        _write(ctx, rule, parse_key(path_text), written, _message(rule, ctx, key=key))
        carried.append(key)
    if carried and rule.get("review"):
        _review(ctx, rule, None, None, rule["review"].format(**{"from": ctx.src_map.id, "to": ctx.dst_map.id}))


_TAGGED = re.compile(r"^(?P<name>[^@]+?)(?::(?P<tag>[^:/@]+))?(?:@(?P<digest>\S+))?$")


def op_image(rule: dict[str, Any], ctx: RuleContext) -> None:
    paths = {k: parse_key(v) for k, v in rule["paths"].items()}
    given = {k: ctx.doc.get(p) if ctx.doc.has(p) else None for k, p in paths.items()}
    repository = str(given.get("repository") or "")
    tag = str(given.get("tag") or "")
    digest = str(given.get("digest") or "")
    m = _TAGGED.match(repository) if repository else None
    if m:
        tag = tag or (m["tag"] or "")
        digest = digest or (m["digest"] or "")
    if not (tag or digest):
        return
    name = m["name"] if m else ""
    registry = str(given.get("registry") or "")
    full = "/".join(p for p in (registry, name) if p)
    image_name = full.rsplit("/", 1)[-1]
    owner = full.rsplit("/", 1)[0] if "/" in full else ""
    wso2 = (not full or image_name in rule["wso2_images"]) and owner in rule["wso2_registries"]
    where = "repository" if m and (m["tag"] or m["digest"]) else "digest" if given.get("digest") else "tag"
    key = format_key(paths[where])
    old_version, new_version = ctx.src_map.app_version or "", ctx.dst_map.app_version or ""
    if digest:
        _review(ctx, rule, key, given[where], rule["digest_message"].format(
            **{"from": ctx.src_map.id, "to": ctx.dst_map.id, "image": full or "the chart's image", "new": new_version}))
        return
    if wso2 and old_version and tag.startswith(old_version) and old_version != new_version:
        new_tag = new_version + tag[len(old_version):]
        value = repository.replace(tag, new_tag) if where == "repository" else new_tag
        _write(ctx, rule, paths[where], value,
               _message(rule, ctx, image=full or "the chart's image", old=tag, new=new_tag))
        return
    if old_version != new_version:
        _review(ctx, rule, key, given[where], rule["custom_message"].format(
            **{"from": ctx.src_map.id, "to": ctx.dst_map.id, "image": f"{full}:{tag}" if full else tag,
               "old": old_version, "new": new_version}))


def op_review_change(rule: dict[str, Any], ctx: RuleContext) -> None:
    """A default of the new chart that changes the deployment unless the values say otherwise."""
    path = parse_key(rule["path"])
    old, new = lookup(ctx.source_effective, path), lookup(ctx.new_effective(), path)
    if same_value(new, rule["value"]) and not same_value(old, new):
        ctx.report.add(Entry("review", None, rule["path"], None if old is ABSENT else old, new, rule=rule["id"],
                             source=rule.get("source"), message=_message(rule, ctx), origin=rule["path"]))


OPS = {"set": op_set, "review_change": op_review_change, "keep_effective": op_keep_effective,
       "copy_effective": op_copy_effective, "carry_toml": op_carry_toml, "image": op_image}
