"""The pipeline: read -> hub -> rules -> three-way carry-over -> write, returning the output and its report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from .carryover import Baseline, ItemMatcher, Verdict, judge_old
from .catalog import Catalog, load_catalog, resolve_version
from .errors import UsageError
from .formats.text import SourceText, decode
from .formats.toml import TomlDocument
from .hub import HubKey, KeyPath, format_key
from .profiles import detect as detect_profile, implied_by_role, stock_name
from .report import Entry, Report
from .rules.aliases import canonicalise
from .rules.apply import Context, HubState, Track, run
from .rules.load import plan
from .rules.model import RuleError
from .rules.values import same_value
from .versions import VersionError
from .counting import counted


@dataclass
class Options:
    from_version: str
    to_version: str
    mode: str = "rebase"  # rebase | edit
    profile: str | None = None
    role: str | None = None  # the old version's server role (detected with the profile)
    onto: bytes | None = None  # the new version's stock file, as given with --onto
    onto_name: str | None = None
    keep_old_defaults: bool = False
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    output: str
    report: Report
    original: str


def versions(options: Options) -> tuple[Catalog, Catalog]:
    try:
        src, dst = resolve_version(options.from_version), resolve_version(options.to_version)
    except VersionError as exc:
        raise UsageError(str(exc)) from None
    return load_catalog(src), load_catalog(dst)


def rule_chain(src: str, dst: str):
    try:
        return plan(src, dst)
    except RuleError as exc:
        raise UsageError(str(exc)) from None


def migrate_toml(data: bytes, name: str, options: Options) -> Result:
    old_cat, new_cat = versions(options)
    source = decode(data, name)
    user = TomlDocument(source, name)
    detection = detect_profile(user.data(), old_cat, options.profile)
    options = replace(options, profile=detection.profile, role=detection.role)
    packs = rule_chain(old_cat.version, new_cat.version)
    ctx = Context(profile=options.profile, keep_old_defaults=options.keep_old_defaults, answers=options.answers)
    keys = user.leaves()
    state = run(keys, packs, ctx)
    if old_cat.version != new_cat.version:
        canonicalise(state, new_cat, ctx)
    report = Report(name, old_cat.version, new_cat.version)
    report.notes.append(detection.how)
    try:
        if options.mode == "edit":
            output = edit_toml(user, state, report, new_cat)
        else:
            output = rebase_toml(user, state, report, old_cat, new_cat, options, ctx)
    except UsageError as exc:
        exc.file = exc.file or name  # the output document cannot take the input's shape
        raise
    add_findings(report, state)
    report.changed = output != source.original
    return Result(output, report, source.original)


# ---- edit mode: the rules, applied to the user's own file -----------------------------------
def edit_toml(user: TomlDocument, state: HubState, report: Report, new_cat: Catalog) -> str:
    for track in state.tracks:
        origin = track.origin
        if origin is None:
            user.set(track.path, track.value)
        elif not track.live:
            user.delete(origin.path)
        else:
            if track.path != origin.path:
                user.rename(origin.path, track.path)
            if not same_value(track.value, origin.value) or type(track.value) is not type(origin.value):
                user.set(track.path, track.value)
        entry = entry_for(track, new_cat)
        report.add(flag_unknown(entry, track.path, new_cat) if track.live else entry)
    return user.dumps()


# ---- rebase mode: the new stock file with the customisations carried over -------------------
def new_baseline(new_cat: Catalog, options: Options) -> tuple[Baseline, TomlDocument]:
    if options.onto is not None:
        onto_name = options.onto_name or "--onto"
        doc = TomlDocument(decode(options.onto, onto_name), onto_name)
        return Baseline(new_cat, doc.data(), f"{new_cat.version} stock file ({onto_name})"), doc
    stock = stock_for(new_cat, options.profile)
    doc = baseline_document(new_cat.version, stock_name(options.profile))
    return Baseline(new_cat, stock, f"{new_cat.version} stock file"), doc


def stock_for(catalog: Catalog, profile: str | None) -> dict[str, Any]:
    if stock_name(profile) in catalog.profiles:
        return catalog.profiles[stock_name(profile)]
    return catalog.stock


def baseline_document(version: str, profile_stock: str | None) -> TomlDocument:
    """A fresh, editable copy of the built-in baseline document (unpickling beats parsing it again)."""
    import pickle

    source, blob = _parsed_baseline(version, profile_stock)
    return TomlDocument.from_parsed(source, f"{version} stock", pickle.loads(blob))


@lru_cache(maxsize=None)
def _parsed_baseline(version: str, profile_stock: str | None) -> tuple[SourceText, bytes]:
    import pickle

    source = decode(stock_text_for(version, profile_stock).encode(), "stock")
    return source, pickle.dumps(TomlDocument(source, "stock").doc)


@lru_cache(maxsize=None)
def stock_text_for(version: str, profile_stock: str | None) -> str:
    """The built-in baseline file of a version (and profile), rendered once per process."""
    return stock_text(stock_for(load_catalog(version), profile_stock))


def stock_text(stock: dict[str, Any]) -> str:
    import tomlkit

    return tomlkit.dumps(stock)


def rebase_toml(user: TomlDocument, state: HubState, report: Report, old_cat: Catalog, new_cat: Catalog,
                options: Options, ctx: Context) -> str:
    old = Baseline(old_cat, stock_for(old_cat, options.profile), f"{old_cat.version} stock file",
                   implied=implied_by_role(old_cat, options.role), implied_from=f"{options.role} role")
    new, out = new_baseline(new_cat, options)
    user_data = user.data()
    user_to_old = ItemMatcher(user_data, old.stock)
    old_to_new = ItemMatcher(old.stock, new.stock)
    item_index: dict[KeyPath, int] = {}  # the user's array items -> their index in the output
    appended: list[KeyPath] = []  # output items the carry-over added
    covered: set[KeyPath] = set()
    for track in state.tracks:
        if track.origin is None:
            out.set(track.path, track.value)
            report.add(entry_for(track, new_cat))
            continue
        verdict = judge_old(track.origin.path, track.origin.value, old, user_to_old)
        if verdict.old_stock_path is not None:
            covered.add(verdict.old_stock_path)
        if not track.live:
            report.add(entry_for(track, new_cat))
            continue
        target = output_path(track, user_to_old, old_to_new, out, item_index, appended)
        report.add(carry(track, verdict, target, new, out, new_cat))
    for item in sorted(appended, reverse=True):  # items whose every key was left out leave no empty [[header]]
        out.drop_if_empty(item)
    remove_what_the_user_removed(state, old, new, out, covered, old_to_new, report, ctx)
    return user.source.dress(out.dumps())


def output_path(track: Track, user_to_old: ItemMatcher, old_to_new: ItemMatcher, out: TomlDocument,
                item_index: dict[KeyPath, int], appended: list[KeyPath]) -> KeyPath:
    """Where a carried key lands in the output: array items go to their counterpart in the new stock
    file, or, for the user's own items (and ones the new stock dropped), to a new item appended once."""
    path, old_path = track.path, track.origin.path
    ints = [i for i, s in enumerate(path) if isinstance(s, int)]
    old_ints = [i for i, s in enumerate(old_path) if isinstance(s, int)]
    if not ints or len(ints) != len(old_ints):
        return path
    result = list(path)
    for pos, old_pos in zip(ints, old_ints):
        item = tuple(path[: pos + 1])
        if item not in item_index:
            in_old = user_to_old.translate(old_path[: old_pos + 1])
            in_new = old_to_new.translate(in_old, tuple(result[: pos + 1])) if in_old else None
            if in_new:
                item_index[item] = in_new[-1]
            else:
                item_index[item] = out.append_item(tuple(result[:pos]), {})
                appended.append((*result[:pos], item_index[item]))
        result[pos] = item_index[item]
    return tuple(result)


def carry(track: Track, verdict: Verdict, target: KeyPath, new: Baseline, out: TomlDocument,
          new_cat: Catalog) -> Entry:
    entry = entry_for(track, new_cat)
    entry.new_key = format_key(track.path)
    in_new_stock = out.get(target)
    new_found, new_default, new_where = new.default(track.path, target)
    if not verdict.customised and not track.pinned:
        if in_new_stock is None:
            if entry.action == "kept":
                entry.action, entry.new_key = "defaulted", None
                entry.message = join(f"the {verdict.old_default_from} value; the new baseline does not set it", entry.message)
            entry.new_value = new_default if new_found else None
            return entry
        entry.new_value = _plain(in_new_stock)
        if not same_value(entry.new_value, track.origin.value) and entry.action == "kept":
            entry.action = "defaulted"
            entry.message = join(f"was the {verdict.old_default_from} value; follows the {new_where} value", entry.message)
        elif entry.action == "review" and entry.rule and all(met_by_new_stock(r) for r in entry.rule.split(",")):
            entry.action = "defaulted"
            entry.message = (f"was the {verdict.old_default_from} value; follows the {new_where} value, which "
                             "already does what the rule asks")
        return entry
    if in_new_stock is None and new_found and same_value(track.value, new_default):
        if entry.action == "kept":
            entry.action = "defaulted"
        entry.message = join(f"equals the {new_where}; left out", entry.message)
        return entry
    if in_new_stock is None or not same_value(_plain(in_new_stock), track.value):
        meta = track.origin.meta
        out.set(target, track.value, track.origin.comment, meta.get("above"), meta.get("header_above"))
    return flag_unknown(entry, track.path, new_cat)


def met_by_new_stock(rule_id: str) -> bool:
    from .rules.load import load_packs

    return any(r.id == rule_id and r.raw.get("met_by_new_stock") for p in load_packs() for r in p.rules)


def flag_unknown(entry: Entry, path: KeyPath, new_cat: Catalog) -> Entry:
    """A kept key the target catalog does not know becomes `unknown`, with a did-you-mean."""
    if entry.action == "kept" and not new_cat.known.is_known(path):
        entry.action = "unknown"
        hint = new_cat.known.suggest(path)
        entry.message = join(f"{new_cat.version} does not know this key" + (f"; did you mean {hint}?" if hint else ""), entry.message)
    return entry


def remove_what_the_user_removed(state: HubState, old: Baseline, new: Baseline, out: TomlDocument,
                                 covered: set[KeyPath], old_to_new: ItemMatcher, report: Report, ctx: Context) -> None:
    """Stock keys missing from the user's file stay missing, when the new stock sets them the same way."""
    if all(p in covered for p in old.flat):
        return
    dropped = dropped_tables(old.flat, covered)
    doomed: list[tuple[KeyPath, Track]] = []
    for track in stock_through_rules(old, new.version, ctx):
        if track.origin.path in covered or not track.live:
            continue
        has_items = any(isinstance(s, int) for s in track.path)
        target = old_to_new.translate(track.origin.path, track.path) if has_items else track.path
        node = out.get(target) if target else None
        if node is None or not same_value(_plain(node), track.origin.value):
            continue
        doomed.append((target, track))
    added = [t.path for t in state.tracks if t.origin is None and t.live]  # rule-added keys keep their tables
    whole = {p for p in (old_to_new.translate(t) for t in dropped)
             if p and out.get(p) is not None and not any(a[: len(p)] == p for a in added)}
    in_tables: dict[KeyPath, list[str]] = {}
    for target, track in doomed:
        table = next((t for t in whole if target[: len(t)] == t), None)
        if table is not None:
            in_tables.setdefault(table, []).append(format_key(track.origin.path))
            continue
        out.delete(target)
        key = format_key(track.origin.path)
        report.add(Entry("removed", None, None, track.origin.value, None, origin=f"stock:{key}",
                         message=f"{key}: not in your file, though the {old.label} sets it; "
                                 f"left out of the {new.label} too"))
    for table, keys in in_tables.items():
        name = format_key(table)
        report.add(Entry("removed", None, None, None, None, origin=f"stock:{name}", message=(
            f"{name} ({counted(len(keys), 'key')}: {', '.join(k.rsplit('.', 1)[-1] for k in keys[:6])}"
            f"{', ...' if len(keys) > 6 else ''}): not in your file, though the {old.label} has it; "
            f"left out of the {new.label} too. Add it back if you rely on it")))
    for table in sorted(whole, key=lambda t: [str(s) if isinstance(s, str) else f"{s:09d}" for s in t], reverse=True):
        out.delete(table)


def stock_through_rules(old: Baseline, new_version: str, ctx: Context) -> list[Track]:
    """Where each key of the old stock file lands in the new version: the whole stock file through
    the rules, once per process for a baseline, version pair, profile and answers."""
    import json

    answers = json.dumps(ctx.answers or {}, sort_keys=True, default=str)
    return _stock_tracks(old, new_version, ctx.profile, ctx.keep_old_defaults, answers)


def _stock_tracks(old: Baseline, new_version: str, profile: str | None, keep_old: bool, answers: str) -> list[Track]:
    import json

    key = (old.version, id(old.stock), new_version, profile, keep_old, answers)
    cached = _STOCK_TRACKS.get(key)
    if cached is None or cached[0] is not old.stock:
        ctx = Context(profile=profile, keep_old_defaults=keep_old, answers=json.loads(answers))
        state = run([HubKey(p, v) for p, v in old.flat.items()], rule_chain(old.version, new_version), ctx)
        cached = _STOCK_TRACKS[key] = (old.stock, [t for t in state.tracks if t.origin is not None])
    return cached[1]


_STOCK_TRACKS: dict[tuple, tuple[Any, list[Track]]] = {}  # the stock data is kept alive with its answer


def dropped_tables(stock_paths, covered: set[KeyPath]) -> set[KeyPath]:
    """Stock tables and array items in which the user's file has no key at all: the top-most of them."""
    def prefixes(paths):
        return {tuple(p[:i]) for p in paths for i in range(1, len(p))}

    kept = prefixes(covered)
    return {t for t in prefixes(stock_paths) - kept if len(t) == 1 or t[:-1] in kept}


def _plain(node: Any) -> Any:
    return node.unwrap() if hasattr(node, "unwrap") else node


def join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


PRECEDENCE = ("removed", "review", "moved", "renamed", "changed", "added")


def entry_for(track: Track, new_cat: Catalog) -> Entry:
    actions = [e.action for e in track.events]
    action = next((a for a in PRECEDENCE if a in actions), "kept")
    if not track.live:
        action = "review" if "review" in actions else "removed"
    rules = [e.rule for e in track.events]
    origin = track.origin
    return Entry(
        action=action,
        old_key=format_key(origin.path) if origin else None,
        new_key=format_key(track.path) if track.live else None,
        old_value=origin.value if origin else None,
        new_value=track.value if track.live else None,
        rule=",".join(dict.fromkeys(r.id for r in rules)) or None,
        source=" ; ".join(dict.fromkeys(r.source for r in rules)) or None,
        message=join(*dict.fromkeys(e.message for e in track.events)),
        line=origin.line if origin else None,
        confidence=min((r.confidence for r in rules), key=("high", "medium", "low").index, default=None),
        origin=origin.origin if origin else None,
    )


def add_findings(report: Report, state: HubState) -> None:
    """One entry per finding; a default that changes in several steps of the chain is one entry."""
    merged: dict[tuple[str, str], Entry] = {}
    for finding in state.findings:
        entry = Entry(finding.action, None, finding.key, finding.old_value, finding.new_value,
                      rule=finding.rule.id, source=finding.rule.source, message=finding.message,
                      confidence=finding.rule.confidence)
        earlier = merged.get((finding.action, finding.key)) if finding.rule.op == "default_change" else None
        if earlier is None:
            merged[(finding.action, finding.key, id(finding)) if finding.rule.op != "default_change"
                   else (finding.action, finding.key)] = entry
            continue
        earlier.new_value = entry.new_value
        earlier.rule = f"{earlier.rule},{entry.rule}"
        earlier.source = f"{earlier.source} ; {entry.source}"
        earlier.message = f"{earlier.message} Then: {entry.message}"
    report.extend(e for e in merged.values() if not _net_unchanged(e))


def _net_unchanged(entry: Entry) -> bool:
    """A default that changes and changes back along the chain does not change for this migration."""
    return "," in (entry.rule or "") and same_value(entry.old_value, entry.new_value)
