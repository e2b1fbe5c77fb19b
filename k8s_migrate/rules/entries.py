"""The rules' story as report entries: one entry per track (`entry_for`), one per finding (`add_findings`)."""

from __future__ import annotations

from ..catalog import Catalog
from ..hub import KeyPath, format_key
from ..report import Action, Entry, Report
from .apply import HubState, Track
from .values import same_value


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


def flag_unknown(entry: Entry, path: KeyPath, new_cat: Catalog) -> Entry:
    """A kept key the target catalog does not know becomes `unknown`, with a did-you-mean."""
    if entry.action == "kept" and not new_cat.known.is_known(path):
        entry.action = "unknown"
        hint = new_cat.known.suggest(path)
        unknown = f"{new_cat.version} does not know this key" + (f"; did you mean {hint}?" if hint else "")
        entry.message = join(unknown, entry.message)
    return entry


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
