"""The pipeline: read -> hub -> rules -> three-way carry-over -> write, returning the output and its report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ..carryover import Baseline, ItemMatcher, Verdict, judge_old
from ..catalog import Catalog, load_catalog
from ..counting import counted
from ..data import load_json
from ..errors import UsageError
from ..formats.comments import carry_comments
from ..formats.text import SourceText, decode
from ..formats.toml import TomlDocument, TomlValues, read_values, walk
from ..hub import HubKey, KeyPath, flatten, format_key, has_items, nest, parse_key, strip_indices
from ..profiles import detect as detect_profile
from ..profiles import implied_by_role, stock_name, user_role
from ..proof import ProofError, prove
from ..report import Action, Entry, Report
from ..request import Request
from ..rules.aliases import canonicalise
from ..rules.apply import Context, HubState, Track, run
from ..rules.load import plan
from ..rules.model import RuleError
from ..rules.values import same_value


@dataclass
class Options(Request):
    """A deployment.toml migration's request (mode None: rebase)."""

    role: str | None = field(default=None, kw_only=True)  # the old version's server role (detected with the profile)
    onto: bytes | None = field(default=None, kw_only=True)  # the new version's stock file, as given with --onto
    onto_name: str | None = field(default=None, kw_only=True)


@dataclass
class Result:
    output: str
    report: Report
    original: str


def versions(options: Options) -> tuple[Catalog, Catalog]:
    src, dst = options.catalog_versions()
    return load_catalog(src), load_catalog(dst)


def rule_chain(src: str, dst: str):
    try:
        return plan(src, dst)
    except RuleError as exc:
        raise UsageError(str(exc)) from None


def migrate_toml(data: bytes, name: str, options: Options) -> Result:
    old_cat, new_cat = versions(options)
    source = decode(data, name)
    editable = TomlDocument(source, name) if options.mode == "edit" else None
    user = editable or read_values(source, name)
    detection = detect_profile(user.data(), old_cat, options.profile)
    options = replace(options, profile=detection.profile, role=detection.role)
    packs = rule_chain(old_cat.version, new_cat.version)
    ctx = options.rule_context()
    keys = user.leaves()
    state = run(keys, packs, ctx)
    if old_cat.version != new_cat.version:
        canonicalise(state, new_cat, ctx)
    report = Report(name, old_cat.version, new_cat.version)
    report.notes.append(detection.how)
    try:
        if editable is not None:
            output = edit_toml(editable, state, report, new_cat)
            report.extend(stock_additions_not_applied(editable, state, old_cat, new_cat, options, ctx))
        else:
            output = rebase_toml(user, state, report, old_cat, new_cat, options, ctx)
    except UsageError as exc:
        exc.file = exc.file or name  # the output document cannot take the input's shape
        raise
    add_findings(report, state)
    report.changed = output != source.original
    problems = prove(state, report, output, user.data(), [k.path for k in keys], old_cat, new_cat)
    if problems:
        raise ProofError(problems, name, report)
    return Result(output, report, source.original)


# ---- edit mode: the rules, applied to the user's own file -----------------------------------
def edit_toml(user: TomlDocument, state: HubState, report: Report, new_cat: Catalog) -> str:
    for track in state.tracks:
        origin = track.origin
        if origin is None:
            user.set(track.live_path, track.value)
        elif track.path is None:
            user.delete(origin.path)
        else:
            if track.path != origin.path:
                user.rename(origin.path, track.path)
            if not same_value(track.value, origin.value) or type(track.value) is not type(origin.value):
                user.set(track.path, track.value)
        entry = entry_for(track, new_cat)
        report.add(flag_unknown(entry, track.path, new_cat) if track.path is not None else entry)
    landed = {t.origin.path: t.path for t in state.tracks if t.origin is not None and t.path is not None}
    output = user.dumps()
    if not user.edited:
        return output
    text = carry_comments(user.source.text, user.source.text if output == user.source.original else
                          output.removeprefix("\ufeff").replace("\r\n", "\n"),
                          anchor_finder(state, landed), only_missing=True)
    return user.source.restore(text)


def stock_additions_not_applied(user: TomlDocument, state: HubState, old_cat: Catalog, new_cat: Catalog,
                                options: Options, ctx: Context) -> list[Entry]:
    """Edit mode applies the rules only. What the new version's stock file adds (a table or an array item
    the old stock file did not have) and the user's file lacks is a review entry each, so it is not missed."""
    if old_cat.version == new_cat.version:
        return []
    old = Baseline(old_cat, stock_for(old_cat, options.profile), f"{old_cat.version} stock file")
    new_stock = stock_for(new_cat, options.profile)
    old_to_new = ItemMatcher(stock_values_through_rules(old, new_cat.version, ctx), new_stock)
    carried = {strip_indices(t.path) for t in stock_through_rules(old, new_cat.version, ctx) if t.path is not None}
    mine = nest((t.path, t.value) for t in state.tracks if t.path is not None)
    user_to_new = ItemMatcher(mine, new_stock)
    found: dict[KeyPath, list[str]] = {}
    had: dict[KeyPath, bool] = {}  # a new stock item the old stock file or the user's file already has

    def already_there(item: KeyPath) -> bool:
        if item not in had:
            had[item] = any(old_to_new.translate(i) == item for i in old_items(old.stock, item)) or \
                any(user_to_new.translate(i) == item for i in old_items(mine, item))
        return had[item]

    for path, value in flatten(new_stock).items():
        item = next((path[: i + 1] for i, s in enumerate(path) if isinstance(s, int)), None)
        if item is not None:
            if not already_there(item):
                found.setdefault(item, []).append(f"{path[-1]} = {value!r}")
        elif strip_indices(path) not in carried and not state.present(path):
            known, default, _ = new_cat.default(format_key(path))
            if not (known and same_value(default, value)):
                found.setdefault(path, []).append(f"{path[-1]} = {value!r}")
    entries = []
    for where, lines in found.items():
        key = format_key(where)
        what = f"[[{format_key(where[:-1])}]] item" if isinstance(where[-1], int) else "key"
        entries.append(Entry("review", None, key, None, None, source=f"{new_cat.version} stock file",
                             origin=f"stock:{key}", message=(
            f"the {new_cat.version} stock file adds this {what} ({'; '.join(lines[:6])}"
            f"{'; ...' if len(lines) > 6 else ''}), which the {old_cat.version} stock file did not have; edit "
            f"mode applies only the rules, so add it if your deployment needs it (rebase mode brings it)")))
    return entries


def old_items(data: dict[str, Any], item: KeyPath) -> list[KeyPath]:
    from ..carryover import get_list

    items = get_list(data, item[:-1]) or []
    return [item[:-1] + (i,) for i in range(len(items))]


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
    name = stock_name(profile)
    if name is not None and name in catalog.profiles:
        return catalog.profiles[name]
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
    """The built-in baseline file of a version (and profile): shipped rendered (scripts/derive_stock_texts.py),
    rendered here when the shipped text was made from other data."""
    stock = stock_for(load_catalog(version), profile_stock)
    try:
        shipped = load_json(STOCK_TEXTS)["texts"].get(stock_digest(stock))
    except FileNotFoundError:  # a contributor's copy of the data ($K8S_MIGRATE_MAPPINGS) without them
        shipped = None
    return shipped if shipped is not None else stock_text(stock)


STOCK_TEXTS = "stock-texts.json"


def stock_digest(stock: dict[str, Any]) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(stock, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stock_text(stock: dict[str, Any]) -> str:
    import tomlkit

    return tomlkit.dumps(stock)


def rebase_toml(user: TomlValues | TomlDocument, state: HubState, report: Report, old_cat: Catalog, new_cat: Catalog,
                options: Options, ctx: Context) -> str:
    old = Baseline(old_cat, stock_for(old_cat, options.profile), f"{old_cat.version} stock file",
                   implied=implied_by_role(old_cat, options.role), implied_from=f"{options.role} role")
    new, out = new_baseline(new_cat, options)
    user_to_old = ItemMatcher(user.data(), old.stock)
    verdicts, covered = judge_input_keys(state, old, user_to_old)
    old_carried = stock_values_through_rules(old, new_cat.version, ctx)
    remove_what_the_user_removed(state, old, new, out, covered, ItemMatcher(old_carried, new.stock), report, ctx)
    # the user's keys land in what is left of the new stock file, with its items where they are now
    role = state.value_at(("server", "server_role"))
    implied = implied_by_role(new_cat, role if isinstance(role, str) else None)
    new = Baseline(new_cat, out.data(), new.label, implied=implied, implied_from=f"{role} role")
    old_to_new = ItemMatcher(old_carried, new.stock)
    item_index: dict[KeyPath, int] = {}  # the user's array items -> their index in the output
    appended: list[KeyPath] = []  # output items the carry-over added
    written: set[KeyPath] = set()  # where the input's keys (and the rules' additions) land
    landed: dict[KeyPath, KeyPath] = {}  # input key -> where it is in the output
    customised_tables: set[KeyPath] = set()
    added: list[Track] = []
    for track in state.tracks:
        if track.origin is None:
            added.append(track)
            continue
        verdict = verdicts[id(track)]
        if track.path is None:
            report.add(entry_for(track, new_cat))
            continue
        target = output_path(track, user_to_old, old_to_new, out, item_index, appended)
        written.add(target)
        if verdict.customised:
            customised_tables.add(target[:-1])
        entry = carry(track, verdict, target, new, out, new_cat, ctx)
        if out.get(target) is not None:
            landed[track.origin.path] = target
        report.add(entry)
    shift = drop_empty_items(out, appended)
    if shift:
        item_index = {k: shift(k[:-1] + (v,))[-1] for k, v in item_index.items()}
        landed = {k: shift(v) for k, v in landed.items()}
        written = {shift(p) for p in written}
        for entry in report.entries:
            if entry.new_key:
                entry.new_key = format_key(shift(parse_key(entry.new_key)))
    for track in added:  # after the user's keys: a key a rule adds to an item goes where that item landed
        target = in_output_items(track.live_path, item_index)
        out.set(target, track.value)
        written.add(target)
        entry = entry_for(track, new_cat)
        entry.new_key = format_key(target)
        report.add(entry)
    for key in state.withheld:  # a rule keeps this key of the new baseline out (its finding says why)
        if out.get(key) is not None:
            out.delete(key)
    report.extend(introduced_by_new_stock(out, written, customised_tables, old, new, ctx))
    text = carry_comments(user.source.text, tidy(out.dumps()), anchor_finder(state, landed), only_missing=False)
    if user.source.text.endswith("\n") and text and not text.endswith("\n"):
        text += "\n"
    return user.source.dress(text)


def judge_input_keys(state: HubState, old: Baseline, user_to_old: ItemMatcher
                     ) -> tuple[dict[int, Verdict], set[KeyPath]]:
    """How each input key stands against the old baseline (by track id), and the old stock keys the input covers."""
    verdicts: dict[int, Verdict] = {}
    covered: set[KeyPath] = set()
    for track in state.tracks:
        if track.origin is not None:
            verdict = verdicts[id(track)] = judge_old(track.origin.path, track.origin.value, old, user_to_old)
            if verdict.old_stock_path is not None:
                covered.add(verdict.old_stock_path)
    return verdicts, covered


def drop_empty_items(out: TomlDocument, appended: list[KeyPath]):
    """Items the carry-over appended but whose every key was left out leave no empty [[header]]. Returns how
    paths into later items of the same arrays shift (None when nothing was dropped)."""
    dropped = [item for item in sorted(appended, reverse=True) if out.drop_if_empty(item)]
    if not dropped:
        return None

    def shift(path: KeyPath) -> KeyPath:
        result = list(path)
        for item in dropped:
            n, dropped_index = len(item), item[-1]
            if len(result) < n or tuple(result[: n - 1]) != item[:-1]:
                continue
            seg = result[n - 1]
            if isinstance(seg, int) and isinstance(dropped_index, int) and seg > dropped_index:
                result[n - 1] = seg - 1
        return tuple(result)

    return shift


def in_output_items(path: KeyPath, item_index: dict[KeyPath, int]) -> KeyPath:
    result = list(path)
    for pos, seg in enumerate(path):
        if isinstance(seg, int) and tuple(path[: pos + 1]) in item_index:
            result[pos] = item_index[tuple(path[: pos + 1])]
    return tuple(result)


def anchor_finder(state: HubState, landed: dict[KeyPath, KeyPath]):
    """Where an input key, or the table holding it, is in the output: a table follows its first key that landed."""
    order = [t.origin.path for t in state.tracks if t.origin is not None]  # the input's keys, in file order

    def resolve(path: KeyPath, is_table: bool) -> list[KeyPath]:
        if not is_table:
            return [landed[path]] if path in landed else []
        found = []
        for leaf in order:
            if leaf[: len(path)] == path and leaf in landed:
                target = landed[leaf]
                depth = len(target) - (len(leaf) - len(path))
                if depth > 0:
                    found.append(target[:depth])
                found.append(target)
                break
        return found

    return resolve


def tidy(text: str) -> str:
    """A blank line before each table header that follows a key, and never two blank lines in a row."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.startswith("[") and out and out[-1].strip() and not out[-1].lstrip().startswith("#"):
            out.append("")
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return "\n".join(out)


def introduced_by_new_stock(out: TomlDocument, written: set[KeyPath], customised_tables: set[KeyPath],
                            old: Baseline, new: Baseline, ctx: Context) -> list[Entry]:
    """The new stock file's own keys that change what the old server ran: each gets an entry. Beside the
    user's own customised keys, a new stock value changes what those settings do: that is a review."""
    entries = []
    back = {track.path: track.input_key.path for track in stock_through_rules(old, new.version, ctx)
            if track.path is not None}
    new_implied = implied_by_role(new.catalog, user_role(out.data()))
    for path, item in walk(out.doc):
        if path in written:
            continue
        value = _plain(item)
        found, default, _ = new.catalog.default(format_key(path)) if not has_items(path) else (False, None, None)
        if path in new_implied:
            found, default = True, new_implied[path]
        if found and same_value(default, value):
            continue
        old_path = back.get(path, path)
        before_found, before, before_where = old.default(old_path, None)
        if before_found and same_value(before, value):
            continue
        key = format_key(path)
        ran = f"the {old.version} server ran {before!r} ({before_where})" if before_found else \
            f"the {old.version} server did not set it"
        beside = next((t for t in customised_tables if path[: len(t)] == t and len(path) == len(t) + 1), None)
        action: Action = "review" if beside is not None else "added"
        message = f"the {new.label} sets {key} = {value!r}; {ran}"
        if beside is not None:
            message += (f". It sits beside your own settings in [{format_key(beside)}] and may change what they do: "
                        f"check it, or set it to what you need")
        entries.append(Entry(action, None, key, before if before_found else None, value,
                             source=new.label, message=message, origin=f"stock:{key}"))
    return entries


def output_path(track: Track, user_to_old: ItemMatcher, old_to_new: ItemMatcher, out: TomlDocument,
                item_index: dict[KeyPath, int], appended: list[KeyPath]) -> KeyPath:
    """Where a carried key lands in the output: array items go to their counterpart in the new stock
    file, or, for the user's own items (and ones the new stock dropped), to a new item appended once."""
    path, old_path = track.live_path, track.input_key.path
    ints = [i for i, s in enumerate(path) if isinstance(s, int)]
    old_ints = [i for i, s in enumerate(old_path) if isinstance(s, int)]
    if not ints or len(ints) != len(old_ints):
        return path
    result = list(path)
    for pos, old_pos in zip(ints, old_ints, strict=True):
        item = tuple(path[: pos + 1])
        if item not in item_index:
            in_old = user_to_old.translate(old_path[: old_pos + 1])
            in_new = old_to_new.translate(in_old, tuple(result[: pos + 1])) if in_old else None
            if in_new:
                new_index = in_new[-1]
                assert isinstance(new_index, int), "an array item's path ends in its index"
                item_index[item] = new_index
            else:
                item_index[item] = out.append_item(tuple(result[:pos]), {})
                appended.append((*result[:pos], item_index[item]))
        result[pos] = item_index[item]
    return tuple(result)


def carry(track: Track, verdict: Verdict, target: KeyPath, new: Baseline, out: TomlDocument,
          new_cat: Catalog, ctx: Context) -> Entry:
    entry = entry_for(track, new_cat)
    entry.new_key = format_key(target)
    in_new_stock = out.get(target)
    new_found, new_default, new_where = new.default(track.live_path, target)
    if not verdict.customised and not track.pinned:
        return follow_new_baseline(track, verdict, target, entry, in_new_stock, (new_found, new_default, new_where),
                                   out, new_cat, ctx)
    if in_new_stock is None and new_found and same_value(track.value, new_default):
        return left_out(entry, f"equals the {new_where}; left out", new_default)
    put(track, target, out, in_new_stock)
    return flag_unknown(entry, track.live_path, new_cat)


def follow_new_baseline(track: Track, verdict: Verdict, target: KeyPath, entry: Entry, in_new_stock: Any,
                        new_default: tuple[bool, Any, str], out: TomlDocument, new_cat: Catalog, ctx: Context) -> Entry:
    """A key the user left at the old baseline's value follows the new baseline; where that changes what
    the server runs, the entry says so (a new stock value is `changed`, a new default is `review`)."""
    found, default, where = new_default
    was = f"was the {verdict.old_default_from} value"
    if in_new_stock is not None:
        entry.new_value = _plain(in_new_stock)
        if track.input_key.comment:
            out.set(target, entry.new_value, track.input_key.comment)
        changes = not same_value(entry.new_value, track.value)
        if changes and entry.action in ("kept", "renamed", "moved"):
            entry.action = "changed"
            entry.source = join_sources(entry.source, f"{new_where_label(where, new_cat)}")
            entry.message = join(f"{was}; the {new_cat.version} stock file sets {entry.new_value!r}", entry.message)
        elif entry.action == "review" and entry.rule and all(met_by_new_stock(r) for r in entry.rule.split(",")):
            entry.action = "changed" if changes else "defaulted"
            entry.message = (f"{was}; follows the {new_cat.version} stock file's {entry.new_value!r}, which already "
                             f"does what the rule asks")
        return entry
    if found and same_value(default, track.value):
        return left_out(entry, f"{was}; equals the {where}", default)
    if not found and has_items(target):
        put(track, target, out, None)  # an item is one unit: its keys stay together
        entry.message = join(f"{was}; the {new_cat.version} stock file has no such item, so yours stays whole",
                             entry.message)
        return entry
    if ctx.keep_old_defaults:
        put(track, target, out, None)
        now = f"the {where} is {default!r}" if found else f"{new_cat.version} has no default for it"
        entry.message = join(f"{was}; {now}: kept {track.value!r} (--keep-old-defaults)", entry.message)
        return entry
    entry.action, entry.new_key, entry.new_value = "review", None, default if found else None
    entry.source = join_sources(entry.source, where or f"{new_cat.version} catalog")
    if found:
        entry.message = join(f"{was}, {track.value!r}; the {where} is {default!r}, so the behaviour changes. "
                             f"Set it to {track.value!r} to keep the old behaviour (--keep-old-defaults does)",
                             entry.message)
    elif new_cat.known.is_known(track.live_path):
        entry.message = join(f"{was}, {track.value!r}; the {new_cat.version} stock file no longer sets it and "
                             f"{new_cat.version} has no default for it: left out, as WSO2 ships it. Set it to "
                             f"{track.value!r} if you rely on it (--keep-old-defaults does)", entry.message)
    else:
        entry.message = join(f"{was}; {new_cat.version} does not read this key and no rule says what replaces it",
                             entry.message)
    return entry


def new_where_label(where: str, new_cat: Catalog) -> str:
    return where if "stock" in where else f"{new_cat.version} stock file"


def join_sources(*sources: str | None) -> str | None:
    return " ; ".join(s for s in sources if s) or None


def left_out(entry: Entry, why: str, default: Any) -> Entry:
    """A value equal to the new default is not written: the effective value stays what it was."""
    if entry.action in ("kept", "renamed", "moved", "changed", "unknown"):
        entry.action = "defaulted"
    entry.new_key, entry.new_value = None, default
    entry.message = join(why + "; left out", entry.message)
    return entry


def put(track: Track, target: KeyPath, out: TomlDocument, in_new_stock: Any) -> None:
    comment = track.input_key.comment
    if in_new_stock is None or not same_value(_plain(in_new_stock), track.value) or comment:
        out.set(target, track.value, comment)


def met_by_new_stock(rule_id: str) -> bool:
    from ..rules.load import load_packs

    return any(r.id == rule_id and r.raw.get("met_by_new_stock") for p in load_packs() for r in p.rules)


def flag_unknown(entry: Entry, path: KeyPath, new_cat: Catalog) -> Entry:
    """A kept key the target catalog does not know becomes `unknown`, with a did-you-mean."""
    if entry.action == "kept" and not new_cat.known.is_known(path):
        entry.action = "unknown"
        hint = new_cat.known.suggest(path)
        unknown = f"{new_cat.version} does not know this key" + (f"; did you mean {hint}?" if hint else "")
        entry.message = join(unknown, entry.message)
    return entry


def remove_what_the_user_removed(state: HubState, old: Baseline, new: Baseline, out: TomlDocument,
                                 covered: set[KeyPath], old_to_new: ItemMatcher, report: Report, ctx: Context) -> None:
    """Stock keys missing from the user's file stay missing, when the new stock sets them the same way."""
    if all(p in covered for p in old.flat):
        return
    landing = {strip_indices(t.path) for t in state.tracks if t.path is not None}
    dropped = dropped_tables(old.flat, covered, landing)
    doomed: list[tuple[KeyPath, Track]] = []
    for track in stock_through_rules(old, new.version, ctx):
        if track.input_key.path in covered or track.path is None:
            continue
        target = old_to_new.translate(track.input_key.path, track.path) if has_items(track.path) else track.path
        node = out.get(target) if target else None
        if target is None or node is None or not same_value(_plain(node), track.input_key.value):
            continue
        doomed.append((target, track))
    whole = {p for p in (old_to_new.translate(t) for t in dropped) if p and out.get(p) is not None}
    in_tables: dict[KeyPath, list[str]] = {}
    deletions = []
    for target, track in doomed:
        table = next((t for t in whole if target[: len(t)] == t), None)
        if table is not None:
            in_tables.setdefault(table, []).append(format_key(track.input_key.path))
            continue
        deletions.append(target)
        key = format_key(track.input_key.path)
        report.add(Entry("removed", None, None, track.input_key.value, None, origin=f"stock:{key}",
                         message=f"{key}: not in your file, though the {old.label} sets it; "
                                 f"left out of the {new.label} too"))
    for target in sorted(deletions, key=document_order, reverse=True):
        out.delete(target)
    for table, keys in in_tables.items():
        name = format_key(table)
        report.add(Entry("removed", None, None, None, None, origin=f"stock:{name}", message=(
            f"{name} ({counted(len(keys), 'key')}: {', '.join(k.rsplit('.', 1)[-1] for k in keys[:6])}"
            f"{', ...' if len(keys) > 6 else ''}): not in your file, though the {old.label} has it; "
            f"left out of the {new.label} too. Add it back if you rely on it")))
    for table in sorted(whole, key=document_order, reverse=True):
        out.delete(table)


def stock_values_through_rules(old: Baseline, new_version: str, ctx: Context) -> dict[str, Any]:
    """The old stock file with each value as the rules make it (an answer may rename a gateway
    environment): array items of the old and new stock files are matched on these values."""
    import copy

    data = copy.deepcopy(old.stock)
    for track in stock_through_rules(old, new_version, ctx):
        if track.live and not same_value(track.value, track.input_key.value):
            set_plain(data, track.input_key.path, track.value)
    return data


def set_plain(data: Any, path: KeyPath, value: Any) -> None:
    node = data
    for seg in path[:-1]:
        node = node[seg]
    node[path[-1]] = value


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


def document_order(path: KeyPath) -> list[str]:
    """Sorts paths so that, reversed, later array items are deleted before earlier ones."""
    return [s if isinstance(s, str) else f"{s:09d}" for s in path]


def dropped_tables(stock_paths, covered: set[KeyPath], landing: set[KeyPath]) -> set[KeyPath]:
    """Stock tables and array items in which the user's file has no key at all: the top-most of them.
    A table that the user's own keys (or a rule's) land in stays, and its stock keys go one by one;
    a stock array item the user does not have goes whole, even beside the user's own items."""
    def prefixes(paths):
        return {tuple(p[:i]) for p in paths for i in range(1, len(p))}

    landing_heads = {a[:i] for a in landing for i in range(1, len(a) + 1)}

    def holds_landing(table: KeyPath) -> bool:
        return not isinstance(table[-1], int) and strip_indices(table) in landing_heads

    candidates = {t for t in prefixes(stock_paths) - prefixes(covered) if not holds_landing(t)}
    return {t for t in candidates if not any(t[:i] in candidates for i in range(1, len(t)))}


def _plain(node: Any) -> Any:
    return node.unwrap() if hasattr(node, "unwrap") else node


def join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


PRECEDENCE: tuple[Action, ...] = ("removed", "review", "moved", "renamed", "changed", "added")


def entry_for(track: Track, new_cat: Catalog) -> Entry:
    actions = [e.action for e in track.events]
    action: Action = next((a for a in PRECEDENCE if a in actions), "kept")
    if not track.live:
        action = "review" if "review" in actions else "removed"
    rules = [e.rule for e in track.events]
    origin = track.origin
    return Entry(
        action=action,
        old_key=format_key(origin.path) if origin else None,
        new_key=format_key(track.path) if track.path is not None else None,
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
    merged: dict[tuple[str, str] | tuple[str, str, int], Entry] = {}
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
