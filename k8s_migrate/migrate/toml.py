"""A deployment.toml's migration: read (formats/toml) -> run the rules (rules/) -> judge and carry each key
(carryover) -> write (the new baseline document, or the user's own in edit mode) -> prove (proof), returning
the output and its report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from ..carryover import (
    Baseline,
    ItemMatcher,
    carry,
    drop_empty_items,
    in_output_items,
    introduced_by_new_stock,
    judge_input_keys,
    output_path,
    remove_what_the_user_removed,
    stock_through_rules,
    stock_values_through_rules,
)
from ..catalog import Catalog, load_catalog
from ..data import load_json
from ..errors import UsageError
from ..formats.text import SourceText, decode
from ..formats.toml_lines import TomlValues, forget_scans, release_reading
from ..formats.toml_strict import strict_reading
from ..hub import HubKey, KeyPath, flatten, format_key, nest, parse_key, strip_indices
from ..profiles import detect as detect_profile
from ..profiles import implied_by_role, stock_name, user_role
from ..proof import ProofError, prove, prove_data
from ..report import Entry, Report
from ..request import Request
from ..rules.aliases import canonicalise
from ..rules.apply import Context, HubState, Track, run
from ..rules.entries import RULES_ONLY, Verdict, add_findings, entry_for, unknown_or_ruled
from ..rules.load import rule_chain
from ..rules.values import same_value

TYPE_CHECKING = False  # the document (tomlkit) is imported where one is parsed or written
if TYPE_CHECKING:
    from ..formats.toml import TomlDocument


@dataclass
class Options(Request):
    """A deployment.toml migration's request (mode None: rebase)."""

    role: str | None = field(default=None, kw_only=True)  # the old version's server role (detected with the profile)
    onto: bytes | None = field(default=None, kw_only=True)  # the new version's stock file, as given with --onto
    onto_name: str | None = field(default=None, kw_only=True)


@dataclass
class Result:
    """A deployment.toml migration's output text, its report, and the input as read."""

    output: str
    report: Report
    original: str


def versions(options: Options) -> tuple[Catalog, Catalog]:
    src, dst = options.catalog_versions()
    return load_catalog(src), load_catalog(dst)


def collector_paused(function):
    """Python's cycle collector walks every live object on its full passes, and a migration builds a few objects per
    key of the file and frees them at the end: a tenth to a fifth of a large file's run. Paused for the call."""
    import functools
    import gc

    @functools.wraps(function)
    def paused(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@dataclass
class RuledFile:
    """A file's keys through the rules: what both modes and the data-only form start from."""

    old_cat: Catalog
    new_cat: Catalog
    options: Options  # with the detected profile and role
    ctx: Context
    keys: list[HubKey]
    state: HubState
    report: Report  # its notes only, so far


def through_the_rules(user: TomlValues | TomlDocument, data: dict[str, Any], name: str, old_cat: Catalog,
                      new_cat: Catalog, options: Options) -> RuledFile:
    detection = detect_profile(data, old_cat, options.profile)
    options = replace(options, profile=detection.profile, role=detection.role)
    packs = rule_chain(old_cat.version, new_cat.version)
    ctx = options.rule_context()
    keys = user.leaves()
    state = run(keys, packs, ctx)
    if old_cat.version != new_cat.version:
        canonicalise(state, new_cat, ctx)
    report = Report(name, old_cat.version, new_cat.version)
    report.notes.append(detection.how)
    return RuledFile(old_cat, new_cat, options, ctx, keys, state, report)


@collector_paused
def migrate_toml(data: bytes, name: str, options: Options) -> Result:
    from ..formats.toml import read_values

    old_cat, new_cat = versions(options)
    source = decode(data, name)
    user = read_values(source, name)
    input_data = user.data()
    ruled = through_the_rules(user, input_data, name, old_cat, new_cat, options)
    options, ctx, keys, state, report = ruled.options, ruled.ctx, ruled.keys, ruled.state, ruled.report
    try:
        if options.mode == "edit":
            output = edit_toml(user, state, report, new_cat)
            report.extend(stock_additions_not_applied(state, old_cat, new_cat, options, ctx))
        else:
            state.settle()
            output = rebase_toml(user, state, report, old_cat, new_cat, options, ctx)
    except UsageError as exc:
        exc.file = exc.file or name  # the output document cannot take the input's shape
        raise
    add_findings(report, state)
    report.changed = output != source.original
    role, paths = user_role(input_data), [k.path for k in keys]
    del user, input_data, keys
    if output == source.text and not output.startswith("\ufeff"):  # the input as it was read: its values too
        problems = prove_data(state, report, strict_reading(output), role, paths, old_cat, new_cat)
        release_reading()
    else:
        release_reading()  # the input's values: the proof reads the output's, and a large file's weigh tens of MB
        problems = prove(state, report, output, role, paths, old_cat, new_cat)
    if problems:
        raise ProofError(problems, name, report)
    return Result(output, report, source.original)


# ---- edit mode: the rules, applied to the user's own file -----------------------------------
class Editable(Protocol):
    def set(self, path: KeyPath, value: Any) -> None: ...

    def delete(self, path: KeyPath) -> None: ...

    def rename(self, old: KeyPath, new: KeyPath) -> None: ...


def apply_tracks(user: Editable, state: HubState, report: Report, new_cat: Catalog, unknown_keys: bool = True) -> None:
    """What edit mode does to the user's file: each track's key set, deleted or renamed, and its entry (without
    ``unknown_keys``, the key of a track no rule touched is not looked up: its entry says kept)."""
    edit_by_tracks(user, state)
    add_track_entries(report, state, new_cat, unknown_keys)


def add_track_entries(report: Report, state: HubState, new_cat: Catalog, unknown_keys: bool = True,
                      tracks: Iterable[Track] | None = None) -> None:
    """apply_tracks's entries: one per track (of ``tracks`` when given, the state's tracks in order)."""
    report.extend(entry_for(track, unknown_or_ruled(track, new_cat) if unknown_keys or track.events else RULES_ONLY)
                  for track in (state.tracks if tracks is None else tracks))


def edit_by_tracks(user: Editable, state: HubState) -> None:
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


def edit_toml(user: TomlValues | TomlDocument, state: HubState, report: Report, new_cat: Catalog) -> str:
    """The user's file with the rules' edits made by tomlkit (formats.toml_sections: only on the tables they
    reach), and the comments of moved keys carried. The entries are made once the document is gone."""
    from ..formats.comments import carry_comments  # here: a verify's TOML migration writes no text
    from ..formats.toml import TomlDocument
    from ..formats.toml_sections import EditLog, edited_text

    edits = EditLog()
    edit_by_tracks(edits, state)
    output, edited = edited_text(user.source, user.name, edits, user if isinstance(user, TomlDocument) else None)
    del edits
    report.extend(entry_for(track, unknown_or_ruled(track, new_cat)) for track in state.tracks)
    landed = {t.origin.path: t.path for t in state.tracks if t.origin is not None and t.live}
    if not edited:
        return output
    text = carry_comments(user.source.text, user.source.text if output == user.source.original else
                          output.removeprefix("\ufeff").replace("\r\n", "\n"),
                          anchor_finder(state, landed), only_missing=True)
    forget_scans()  # the input's and output's line maps: nothing after this reads them
    return user.source.restore(text)


def stock_additions_not_applied(state: HubState, old_cat: Catalog, new_cat: Catalog, options: Options,
                                ctx: Context) -> list[Entry]:
    """Edit mode applies the rules only. What the new version's stock file adds (a table or an array item
    the old stock file did not have) and the user's file lacks is a review entry each, so it is not missed."""
    if old_cat.version == new_cat.version:
        return []
    old = Baseline(old_cat, stock_for(old_cat, options.profile), f"{old_cat.version} stock file")
    new_stock = stock_for(new_cat, options.profile)
    old_to_new = ItemMatcher(stock_values_through_rules(old, new_cat.version, ctx), new_stock)
    carried = {strip_indices(t.path) for t in stock_through_rules(old, new_cat.version, ctx) if t.live}
    mine = nest((t.path, t.value) for t in state.tracks if t.live)
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
    from ..formats.toml import TomlDocument

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
    from ..datacache import loads
    from ..formats.toml import TomlDocument

    source, blob = _parsed_baseline(version, profile_stock)
    return TomlDocument.from_parsed(source, f"{version} stock", loads(blob))


@lru_cache(maxsize=None)
def _parsed_baseline(version: str, profile_stock: str | None) -> tuple[SourceText, bytes]:
    """The baseline's text and its parse, pickled; kept between runs (datacache) with the data it comes from."""
    from ..catalog import CODE
    from ..datacache import dumps, kept
    from ..formats.toml import TomlDocument

    def parse() -> tuple[SourceText, bytes]:
        source = decode(stock_text_for(version, profile_stock).encode(), "stock")
        return source, dumps(TomlDocument(source, "stock").doc, -1)

    import tomlkit

    stock = "".join(c if c.isalnum() or c in "-_." else "_" for c in profile_stock or "all-in-one")
    name = f"baseline-{version}-{stock}-tomlkit-{tomlkit.__version__}"
    code = (*CODE, __name__, "k8s_migrate.formats.toml", "k8s_migrate.formats.toml_lines", "k8s_migrate.formats.text",
            "k8s_migrate.profiles")
    return kept(name, [f"catalog/{version}.json", STOCK_TEXTS], code, parse)


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
    from ..formats.comments import carry_comments

    rendered, landed = rebased_document(user, state, report, old_cat, new_cat, options, ctx)  # its document is gone
    text = carry_comments(user.source.text, tidy(rendered), anchor_finder(state, landed), only_missing=False)
    forget_scans()  # the input's and output's line maps: nothing after this reads them
    if user.source.text.endswith("\n") and text and not text.endswith("\n"):
        text += "\n"
    return user.source.dress(text)


def rebased_document(user: TomlValues | TomlDocument, state: HubState, report: Report, old_cat: Catalog,
                     new_cat: Catalog, options: Options, ctx: Context) -> tuple[str, dict[KeyPath, KeyPath]]:
    """The new baseline with the user's keys carried over, written out, and where each input key landed. The
    user's new tables are kept as text where they can be (TextTables); where not, the document is made again."""
    from ..formats.toml import TextTablesMissed

    entries = len(report.entries)
    try:
        return carried_over(user, state, report, old_cat, new_cat, options, ctx, as_text=True)
    except TextTablesMissed:
        del report.entries[entries:]
        return carried_over(user, state, report, old_cat, new_cat, options, ctx, as_text=False)


def carried_over(user: TomlValues | TomlDocument, state: HubState, report: Report, old_cat: Catalog,
                 new_cat: Catalog, options: Options, ctx: Context, as_text: bool) -> tuple[str, dict[KeyPath, KeyPath]]:
    old = Baseline(old_cat, stock_for(old_cat, options.profile), f"{old_cat.version} stock file",
                   implied=implied_by_role(old_cat, options.role), implied_from=f"{options.role} role")
    new, out = new_baseline(new_cat, options)
    user_to_old = ItemMatcher(user.data(), old.stock)
    standings, covered = judge_input_keys(state, old, user_to_old)
    old_carried = stock_values_through_rules(old, new_cat.version, ctx)
    remove_what_the_user_removed(state, old, new, out, covered, ItemMatcher(old_carried, new.stock), report, ctx)
    # the user's keys land in what is left of the new stock file, with its items where they are now
    role = state.value_at(("server", "server_role"))
    implied = implied_by_role(new_cat, role if isinstance(role, str) else None)
    new = Baseline(new_cat, out.data(), new.label, implied=implied, implied_from=f"{role} role")
    if as_text:
        out.write_new_tables_as_text({p[:n] for p in (*(t.path for t in state.tracks), *state.withheld)
                                      for n in range(1, len(p) - 1)})
    old_to_new = ItemMatcher(old_carried, new.stock)
    item_index: dict[KeyPath, int] = {}  # the user's array items -> their index in the output
    appended: list[KeyPath] = []  # output items the carry-over added
    written: set[KeyPath] = set()  # where the input's keys (and the rules' additions) land
    landed: dict[KeyPath, KeyPath] = {}  # input key -> where it is in the output
    customised_tables: set[KeyPath] = set()
    added: list[Track] = []
    entries: list[Entry] = []  # the input's keys, in file order
    placed: list[Entry] = []  # those whose new key is where the carry-over put it: it moves when an item is dropped
    for track, standing in zip(state.tracks, standings, strict=True):
        if track.origin is None:
            added.append(track)
            continue
        if not track.live:
            entries.append(entry_for(track))
            continue
        assert standing is not None, "an input key has its standing"
        target = output_path(track, user_to_old, old_to_new, out, item_index, appended)
        written.add(target)
        if standing.customised:
            customised_tables.add(target[:-1])
        verdict = carry(track, standing, target, new, out, new_cat, ctx)
        entries.append(entry_for(track, verdict))
        if isinstance(verdict.new_key, str):
            placed.append(entries[-1])
        if out.get(target) is not None:
            landed[track.origin.path] = target
    shift = drop_empty_items(out, appended)
    if shift:
        item_index = {k: shift(k[:-1] + (v,))[-1] for k, v in item_index.items()}
        landed = {k: shift(v) for k, v in landed.items()}
        written = {shift(p) for p in written}
        for entry in placed:
            entry.new_key = shifted_key(entry.new_key, shift) if entry.new_key else entry.new_key
    report.extend(entries)
    for track in added:  # after the user's keys: a key a rule adds to an item goes where that item landed
        target = in_output_items(track.path, item_index)
        out.set(target, track.value)
        written.add(target)
        report.add(entry_for(track, Verdict(new_key=format_key(target))))
    for key in state.withheld:  # a rule keeps this key of the new baseline out (its finding says why)
        if out.get(key) is not None:
            out.delete(key)
    report.extend(introduced_by_new_stock(out, written, customised_tables, old, new, ctx))
    return out.dumps(), landed


def shifted_key(key: str, shift: Callable[[KeyPath], KeyPath]) -> str:
    """A key in an array item after one the carry-over dropped (empty) moves up with its item."""
    return format_key(shift(parse_key(key)))


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
    """A blank line before each table header that follows a key, and never two blank lines in a row. The text
    is copied in runs between the changes: a list of its lines would weigh three times the text."""
    runs: list[str] = []
    copied = 0  # text[copied:] is still to copy
    last: str | None = None  # the last line kept
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line.startswith("[") and last is not None and last.strip() and not last.lstrip().startswith("#"):
            runs += (text[copied:start], "\n")
            copied, last = start, ""
        if not line.strip() and last is not None and not last.strip():
            runs.append(text[copied:start - 1])  # the line goes, with the line break before it
            copied = end
        else:
            last = line
        start = end + 1
    runs.append(text[copied:])
    return "".join(runs)
