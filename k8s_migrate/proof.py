"""The proof: what the server would run before a migration, against what it would run after.

The effective configuration of a deployment.toml is its version's defaults (default.json, and what
infer.json implies for the file's server role) overlaid by the file's own keys. The proof carries the
input's keys through the rules (their renames, moves, removals and value changes) and compares that
with the effective configuration of the output, key by key, items of arrays of tables matched by
identity. It reads the output with tomllib, not with the round-trip document that wrote it.

Each difference must be explained: by the report entry of the migration that made the output
(`prove`), or, for any pair of files (`audit`, behind `k8s-migrate verify OLD NEW`), by the rules, a
changed default or the new stock file.
"""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from .carryover import ItemMatcher
from .catalog import Catalog
from .errors import ProofError  # noqa: F401  (raised by the pipelines)
from .hub import KeyPath, Leaves, flatten, format_key, has_items, leaf_tree, nest, parse_key
from .profiles import implied_by_role, user_role
from .report import CLAIMS_VALUE, Action, Entry, Report
from .rules.apply import HubState, Track
from .rules.values import same_value

MISSING = object()
# Actions that admit that the effective value changes, or that the key is gone.
ADMITS_CHANGE: tuple[Action, ...] = ("removed", "review", "changed", "added", "renamed", "moved")


@dataclass
class Difference:
    """One key whose effective value the proof found changed (or gone, or new), and what explains it."""

    key: str  # where it is in the output (or would be)
    old_key: str | None
    before: Any  # the input's effective value, carried through the rules
    after: Any  # the output's effective value
    kind: str  # changed | lost | introduced | disagrees | unreported | removed-but-present
    explanation: str | None = None
    rule: str | None = None

    @property
    def explained(self) -> bool:
        return self.explanation is not None

    def describe(self) -> str:
        if self.kind == "disagrees":
            return f"the report says {show(self.before)}, the output holds {show(self.after)}"
        if self.kind == "unreported":
            return "an input key with no report entry"
        if self.kind == "invalid":
            return self.explanation or "not valid TOML"
        if self.kind == "removed-but-present":
            return f"the report says removed, the output still holds {show(self.after)}"
        return f"effective value {show(self.before)} -> {show(self.after)} ({self.kind}), unexplained"


def show(value: Any) -> str:
    return "(unset)" if value is MISSING else repr(value)


@dataclass
class Comparison:
    """Every effective difference between the carried input and the output."""

    out_flat: Leaves  # the output's leaves
    differences: list[Difference] = field(default_factory=list)


def effective_default(catalog: Catalog, path: KeyPath, implied: dict[KeyPath, Any]) -> Any:
    if path in implied:
        return implied[path]
    if has_items(path):
        return MISSING
    found, value, _ = catalog.default(format_key(path))
    return value if found else MISSING


def read_output(text: str, name: str = "the output") -> dict[str, Any]:
    """The output's values as tomllib reads them (within ``outputs_kept``, each text read once)."""
    if _kept is not None and text in _kept:  # `in` checks identity first: the same text object is found at once
        return _kept[text]
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ProofError([Difference("(document)", None, MISSING, MISSING, "invalid",
                                     f"{name} would not be valid TOML: {exc}")], name) from None
    if _kept is not None:
        _kept[text] = data
    return data


_kept: dict[str, dict[str, Any]] | None = None


@contextmanager
def outputs_kept() -> Iterator[None]:
    """Within: an output read again (xml checks its report against the output the TOML stage's proof read) is not
    parsed again; its values are shared, so nobody may edit them."""
    global _kept
    _kept = {}
    try:
        yield
    finally:
        _kept = None


def compare(carried: list[Track], output: dict[str, Any], old_cat: Catalog, new_cat: Catalog,
            input_role: str | None) -> Comparison:
    """Carried input keys (the live tracks: path at the new version, value) against the output's effective values;
    ``input_role``: the input's server role, as it was before any rule changed it."""
    out_flat = Leaves(output)
    old_implied = implied_by_role(old_cat, input_role)
    new_implied = implied_by_role(new_cat, user_role(output))
    # Items are matched on their leaves alone: an empty table holds no setting (and carried keys have none).
    # Only the top-level tables that carried items are in are nested: the matcher looks nowhere else.
    heads = {t.path[0] for t in carried if has_items(t.path)}
    matcher = ItemMatcher(nest((t.path, t.value) for t in carried if t.path[0] in heads),
                          leaf_tree({k: v for k, v in output.items() if k in heads}))
    result = Comparison(out_flat)
    claimed: set[KeyPath] = set()
    for track in carried:
        path, value = track.path, track.value
        target = matcher.translate(path) if has_items(path) else path
        after = out_flat.get(target, MISSING) if target is not None else MISSING
        if target is not None and after is not MISSING:
            claimed.add(target)
        if after is MISSING:
            after = effective_default(new_cat, path, new_implied)
        if after is not MISSING and same_value(value, after):
            continue
        old_key = format_key(track.origin.path) if track.origin else None
        key = format_key(target if target is not None else path)
        result.differences.append(Difference(key, old_key, value, after, "lost" if target is None or
                                             out_flat.get(target, MISSING) is MISSING else "changed"))
    for path, value in out_flat.items():
        if path in claimed:
            continue
        if same_value(value, effective_default(new_cat, path, new_implied)):
            continue
        before = effective_default(old_cat, path, old_implied)  # the input does not hold it: its default
        if before is not MISSING and same_value(before, value):
            continue
        result.differences.append(Difference(format_key(path), None, before, value, "introduced"))
    return result


def carried_tracks(state: HubState) -> list[Track]:
    return [t for t in state.tracks if t.live]


# ---- the proof of a migration: its report must explain every difference --------------------------
def prove(state: HubState, report: Report, output_text: str, input_role: str | None,
          input_paths: Iterable[KeyPath], old_cat: Catalog, new_cat: Catalog) -> list[Difference]:
    """What the report does not account for in the output about to be written: effective changes no entry
    admits, entries that claim a value the output does not hold, input keys with no entry. (An output that
    is not TOML at all raises ProofError.)"""
    return prove_data(state, report, read_output(output_text), input_role, input_paths, old_cat, new_cat)


def prove_data(state: HubState, report: Report, output: dict[str, Any], input_role: str | None,
               input_paths: Iterable[KeyPath], old_cat: Catalog, new_cat: Catalog) -> list[Difference]:
    """``prove``, on the output's data as tomllib reads it."""
    return unaccounted(compare(carried_tracks(state), output, old_cat, new_cat, input_role), report, input_paths)


def unaccounted(comparison: Comparison, report: Report, input_paths: Iterable[KeyPath]) -> list[Difference]:
    """``prove_data`` once the output is compared: the differences the report does not explain, its entries' claims
    the output does not hold, the input keys it has no entry for."""
    differences = comparison.differences
    # the entries of the keys that differ, by key (an index of every entry weighs as much as the report)
    old_keys, new_keys = {d.old_key for d in differences if d.old_key}, {d.key for d in differences}
    by_old = index((e for e in report.entries if e.old_key in old_keys), "old_key")
    by_new = index((e for e in report.entries if e.new_key in new_keys), "new_key")
    for diff in differences:
        diff.explanation, diff.rule = explain_by_report(diff, by_old, by_new)
    problems = [d for d in differences if not d.explained]
    problems += disagreements(report.entries, comparison.out_flat)
    reported = {e.old_key for e in report.entries if e.old_key}
    problems += [Difference(key, key, MISSING, MISSING, "unreported")
                 for key in map(format_key, input_paths) if key not in reported]
    return problems


def accounted_without(comparison: Comparison, report: Report, input_paths: Iterable[KeyPath],
                      untouched: list[Track]) -> bool:
    """``not unaccounted(comparison, report, input_paths)`` for the report with an entry for each of ``untouched`` too
    (tracks no rule touched that stay: each entry would keep its origin's key, claim the track's value at its path and
    explain no difference), without making those entries: each claim is checked at the track's path, and the origins'
    keys count as reported. True says the whole report would account for everything; False may not (a key whose
    text does not read back as its path), so the caller asks unaccounted of the whole report."""
    if unaccounted(comparison, report, ()):
        return False
    out_flat = comparison.out_flat
    for track in untouched:
        actual = out_flat.get(track.path, MISSING)
        if actual is MISSING and is_table(out_flat, track.path):
            continue
        if actual is MISSING or not same_value(actual, track.value):
            return False
    kept_paths = {t.origin.path for t in untouched if t.origin is not None}
    reported: set[str] | None = None
    kept_texts: set[str] | None = None
    for path in input_paths:
        if path in kept_paths:
            continue
        if reported is None:
            reported = {e.old_key for e in report.entries if e.old_key}
        key = format_key(path)
        if key in reported:
            continue
        if kept_texts is None:
            kept_texts = {format_key(path) for path in kept_paths}
        if key not in kept_texts:
            return False
    return True


def index(entries: Iterable[Entry], attr: str) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for entry in entries:
        key = getattr(entry, attr)
        if key:
            out.setdefault(key, []).append(entry)
    return out


def explain_by_report(diff: Difference, by_old: dict[str, list[Entry]],
                      by_new: dict[str, list[Entry]]) -> tuple[str | None, str | None]:
    candidates = [*(by_old.get(diff.old_key, []) if diff.old_key else []), *by_new.get(diff.key, [])]
    for entry in candidates:
        if entry.action in ("removed", "review"):
            return f"{entry.action}: {entry.message}", entry.rule
        if entry.action in ADMITS_CHANGE and diff.kind != "lost" and entry.new_value is not None \
                and same_value(entry.new_value, diff.after):
            return f"{entry.action}: {entry.message}", entry.rule
    return None, None


def disagreements(entries: Iterable[Entry], out_flat: Mapping[KeyPath, Any] | Leaves) -> list[Difference]:
    """Entries that claim a value at a key the output does not hold."""
    found = []
    for entry in entries:
        if entry.action not in CLAIMS_VALUE or not entry.new_key:
            continue
        try:
            path = parse_key(entry.new_key)
        except ValueError:
            continue
        actual = out_flat.get(path, MISSING)
        if actual is MISSING and is_table(out_flat, path):
            continue
        if actual is MISSING or not same_value(actual, entry.new_value):
            found.append(Difference(entry.new_key, entry.old_key, entry.new_value, actual, "disagrees"))
    return found


def is_table(out_flat: Mapping[KeyPath, Any] | Leaves, path: KeyPath) -> bool:
    return any(p[: len(path)] == path and len(p) > len(path) for p in out_flat)


# ---- the audit of any migration (`k8s-migrate verify OLD NEW`): explained by the rules and WSO2's files --
@dataclass
class Audit:
    """A migration's audit: its report, and how many input keys it checked and could not explain."""

    report: Report
    unexplained: int
    checked: int  # input keys carried and compared

    @property
    def ok(self) -> bool:
        return self.unexplained == 0


def audit_toml(old_text: str, new_text: str, old_name: str, new_name: str, from_version: str, to_version: str,
               profile: str | None = None, answers: dict[str, Any] | None = None) -> Audit:
    """Every effective difference between OLD (at from_version) and NEW (at to_version), each with what
    explains it: a rule, a changed default, the new stock file, or nothing (unexplained)."""
    from .catalog import load_catalog, resolve_version
    from .formats.text import decode
    from .formats.toml import TomlDocument
    from .profiles import detect, stock_name
    from .rules.aliases import canonicalise
    from .rules.apply import Context, run
    from .rules.load import plan

    old_cat, new_cat = load_catalog(resolve_version(from_version)), load_catalog(resolve_version(to_version))
    old_doc = TomlDocument(decode(old_text.encode(), old_name), old_name)
    new_doc = TomlDocument(decode(new_text.encode(), new_name), new_name)  # the round-trip parser's checks too
    output = read_output(new_doc.source.text)
    detection = detect(old_doc.data(), old_cat, profile)
    ctx = Context(profile=detection.profile, answers=answers or {})
    state = run(old_doc.leaves(), plan(old_cat.version, new_cat.version), ctx)
    if old_cat.version != new_cat.version:
        canonicalise(state, new_cat, ctx)
    comparison = compare(carried_tracks(state), output, old_cat, new_cat, user_role(old_doc.data()))
    stock = (new_cat.profiles.get(stock_name(detection.profile) or "", new_cat.stock) if new_cat.profiles
             else new_cat.stock)
    stock_flat = flatten(stock)
    old_stock = old_cat.profiles.get(stock_name(detection.profile) or "", old_cat.stock) if old_cat.profiles \
        else old_cat.stock
    old_stock_flat = flatten(old_stock)
    findings = {f.key: f for f in state.findings}
    report = Report(f"{old_name} -> {new_name}", old_cat.version, new_cat.version)
    report.notes.append(detection.how)
    unexplained = 0
    tracks = {format_key(t.origin.path): t for t in state.tracks if t.origin is not None}
    for diff in comparison.differences:
        track = tracks.get(diff.old_key) if diff.old_key else None
        why, rule = explain_by_rules(diff, track, findings, stock_flat, old_cat, new_cat, old_stock_flat)
        if why is None:
            unexplained += 1
            report.add(Entry("review", diff.old_key, diff.key, show_value(diff.before), show_value(diff.after),
                             message=f"UNEXPLAINED: {describe_change(diff)}; no rule, default change or stock "
                                     f"value of {new_cat.version} accounts for it",
                             line=track.origin.line if track and track.origin else None))
        else:
            report.add(Entry("changed", diff.old_key, diff.key, show_value(diff.before), show_value(diff.after),
                             rule=rule, message=f"{describe_change(diff)}: {why}",
                             line=track.origin.line if track and track.origin else None))
    for track in state.tracks:
        if track.origin is not None and not track.live:
            path = track.origin.path
            in_output = comparison.out_flat.get(path, MISSING) is not MISSING
            if in_output and not any(t.live and t.path == path for t in state.tracks):
                report.add(Entry("review", format_key(path), format_key(path), track.origin.value, track.origin.value,
                                 rule=",".join(e.rule.id for e in track.events) or None,
                                 message=f"still set in {new_name}, though the rules remove it in "
                                         f"{new_cat.version}: the server no longer reads it",
                                 line=track.origin.line))
    checked = len(carried_tracks(state))
    report.notes.append(f"{checked} input keys carried through the rules and compared; "
                        f"{len(comparison.differences)} effective changes, {unexplained} unexplained")
    report.changed = unexplained > 0
    return Audit(report, unexplained, checked)


def show_value(value: Any) -> Any:
    return None if value is MISSING else value


def describe_change(diff: Difference) -> str:
    return {"lost": f"dropped (now {show(diff.after)})", "changed": f"{show(diff.before)} -> {show(diff.after)}",
            "introduced": f"set to {show(diff.after)} (was {show(diff.before)})"}.get(diff.kind, diff.kind)


def explain_by_rules(diff: Difference, track: Track | None, findings: dict[str, Any], stock_flat: dict[KeyPath, Any],
                     old_cat: Catalog, new_cat: Catalog,
                     old_stock_flat: dict[KeyPath, Any] | None = None) -> tuple[str | None, str | None]:
    if track is not None:
        ruled = [e for e in track.events if e.action in ("review", "changed", "removed")]
        if ruled:
            return "; ".join(dict.fromkeys(e.message for e in ruled)), ",".join(dict.fromkeys(e.rule.id for e in ruled))
    finding = findings.get(diff.key)
    if finding is not None:
        return finding.message, finding.rule.id
    path = parse_key(diff.key)
    stock_value = stock_flat.get(path, MISSING)
    if diff.kind != "lost" and stock_value is not MISSING and same_value(stock_value, diff.after):
        return f"the {new_cat.version} stock file sets it so", None
    if track is not None and track.origin is not None and not has_items(track.origin.path):
        found, old_default, _ = old_cat.default(format_key(track.origin.path))
        new_found, new_default, _ = new_cat.default(diff.key) if not has_items(path) else (False, None, None)
        if found and same_value(old_default, diff.before) and new_found and same_value(new_default, diff.after):
            return f"the value was the {old_cat.version} default and follows the {new_cat.version} default", None
    if track is not None and track.origin is not None and old_stock_flat is not None and diff.kind == "lost":
        was_stock = old_stock_flat.get(track.origin.path, MISSING)
        if was_stock is not MISSING and same_value(was_stock, diff.before) and path not in stock_flat:
            return (f"the {old_cat.version} stock file set it so; the {new_cat.version} stock file no longer sets it",
                    None)
    return None, None


def audit_files(old: bytes, new: bytes, old_name: str, new_name: str, from_version: str, to_version: str,
                profile: str | None = None) -> Audit:
    """deployment.toml files, or manifests whose ConfigMaps embed one (paired by ConfigMap name)."""
    from .formats.configmap import looks_like_configmap, read_manifest
    from .formats.text import decode
    from .report import merge_reports

    old_text, new_text = decode(old, old_name).text, decode(new, new_name).text
    if not (looks_like_configmap(old_text) and looks_like_configmap(new_text)):
        return audit_toml(old_text, new_text, old_name, new_name, from_version, to_version, profile)
    before = {e.name: e for e in read_manifest(old, old_name).embedded}
    after = {e.name: e for e in read_manifest(new, new_name).embedded}
    audits, missing = [], []
    for name, embedded in before.items():
        if name not in after:
            missing.append(name)
            continue
        audits.append(audit_toml(embedded.text, after[name].text, f"{old_name}: {name}", f"{new_name}: {name}",
                                 from_version, to_version, profile))
    report = merge_reports([a.report for a in audits], f"{old_name} -> {new_name}")
    for name in missing:
        report.add(Entry("review", None, None, message=f"UNEXPLAINED: {name} is in {old_name} but not in {new_name}"))
    report.from_version, report.to_version = (audits[0].report.from_version, audits[0].report.to_version) if audits \
        else (from_version, to_version)
    unexplained = sum(a.unexplained for a in audits) + len(missing)
    return Audit(report, unexplained, sum(a.checked for a in audits))
