"""Report entries, built once: a track's story as the rules tell it, with what carry-over or placement decided
(a `Verdict`) over it (`entry_for`); one entry per finding (`add_findings`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from ..catalog import Catalog
from ..hub import format_key
from ..report import Action, Entry, Report
from .apply import HubState, Track
from .values import same_value


def join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


class Ruled(Enum):
    """A field of a verdict that stays as the track's rules make it."""

    AS_RULED = "as ruled"


AS_RULED = Ruled.AS_RULED


@dataclass(frozen=True, slots=True)
class Verdict:
    """What carry-over or placement decided about one track, over what its rules say. A field left
    AS_RULED (or None, empty) keeps the rules' own: the action of the strongest event, the track's keys
    and value, the rules' sources and messages."""

    action: Action | None = None
    old_key: str | None | Ruled = AS_RULED
    new_key: str | None | Ruled = AS_RULED
    new_value: Any = AS_RULED
    old_value: Any = AS_RULED  # what the old configuration had, where a guard kept the input's value out
    origin: str | None | Ruled = AS_RULED
    source: str | None = None  # where the decided value comes from, after the rules' sources
    note: str = ""  # before the rules' messages
    then: tuple[str, ...] = ()  # after the rules' messages
    message: str | None = None  # instead of the rules' messages and the note


RULES_ONLY = Verdict()

CONFIDENCE = ("high", "medium", "low")
PRECEDENCE: tuple[Action, ...] = ("removed", "review", "moved", "renamed", "changed", "added")


def ruled_action(track: Track) -> Action:
    """The action the track's events make: the strongest of them, `removed` (or `review`) for a dead track."""
    if not track.events:  # most keys: no rule touched them
        return "kept" if track.live else "removed"
    actions = [e.action for e in track.events]
    if not track.live:
        return "review" if "review" in actions else "removed"
    return next((a for a in PRECEDENCE if a in actions), "kept")


def ruled_message(track: Track) -> str:
    return join(*dict.fromkeys(e.message for e in track.events))


def entry_for(track: Track, verdict: Verdict = RULES_ONLY) -> Entry:
    """The one entry of a track: its rules' story, with the verdict's decisions over it."""
    if not track.events and verdict is RULES_ONLY:
        return untouched_entry(track)
    rules = [e.rule for e in track.events]
    origin = track.origin
    ruled_source = " ; ".join(dict.fromkeys(r.source for r in rules)) or None if rules else None
    # a key is written only when the verdict leaves it as ruled (format_key remembers a path it wrote)
    old_key = verdict.old_key if verdict.old_key is not AS_RULED else format_key(origin.path) if origin else None
    new_key = verdict.new_key if verdict.new_key is not AS_RULED else format_key(track.path) if track.live else None
    return Entry(
        action=verdict.action or ruled_action(track),
        old_key=old_key,
        new_key=new_key,
        old_value=decided(verdict.old_value, origin.value if origin else None),
        new_value=decided(verdict.new_value, track.value if track.live else None),
        rule=",".join(dict.fromkeys(r.id for r in rules)) or None if rules else None,
        source=" ; ".join(s for s in (ruled_source, verdict.source) if s) or None,
        message=verdict.message if verdict.message is not None else join(
            verdict.note, ruled_message(track) if rules else "", *verdict.then),
        line=origin.line if origin else None,
        confidence=min((r.confidence for r in rules), key=CONFIDENCE.index) if rules else None,
        origin=decided(verdict.origin, origin.origin if origin else None),
    )


def untouched_entry(track: Track) -> Entry:
    """entry_for a track no rule touched and no verdict decides over (most keys of a large file), built directly."""
    origin, live = track.origin, not track.removed
    if origin is None:
        return Entry("kept" if live else "removed", None, format_key(track.path) if live else None, None,
                     track.value if live else None)
    return Entry("kept" if live else "removed", format_key(origin.path), format_key(track.path) if live else None,
                 origin.value, track.value if live else None, line=origin.line, origin=origin.origin)


def decided(chosen: Any, ruled: Any) -> Any:
    return ruled if chosen is AS_RULED else chosen


def unknown_or_ruled(track: Track, new_cat: Catalog, new_key: str | None | Ruled = AS_RULED) -> Verdict:
    """A kept key the target catalog does not know becomes `unknown`, with a did-you-mean (at ``new_key``
    when one is given)."""
    if ruled_action(track) != "kept" or new_cat.known.is_known(track.path):
        return RULES_ONLY if new_key is AS_RULED else Verdict(new_key=new_key)
    hint = new_cat.known.suggest(track.path)
    return Verdict(action="unknown", new_key=new_key, note=f"{new_cat.version} does not know this key" + (
        f"; did you mean {hint}?" if hint else ""))


def add_findings(report: Report, state: HubState) -> None:
    """One entry per finding; a default that changes in several steps of the chain is one entry."""
    merged: dict[tuple[str, str] | tuple[str, str, int], Entry] = {}
    for finding in state.findings:
        entry = Entry(finding.action, None, finding.key, finding.old_value, finding.new_value,
                      rule=finding.rule.id, source=finding.rule.source, message=finding.message,
                      confidence=finding.rule.confidence)
        if finding.rule.op != "default_change":
            merged[(finding.action, finding.key, id(finding))] = entry
            continue
        earlier = merged.get((finding.action, finding.key))
        merged[(finding.action, finding.key)] = entry if earlier is None else then_in_the_chain(earlier, entry)
    report.extend(e for e in merged.values() if not _net_unchanged(e))


def then_in_the_chain(earlier: Entry, later: Entry) -> Entry:
    """One entry for a default that changes in two steps of the chain: from the first one's old value to the
    later one's new value."""
    return replace(earlier, new_value=later.new_value, rule=f"{earlier.rule},{later.rule}",
                   source=f"{earlier.source} ; {later.source}", message=f"{earlier.message} Then: {later.message}")


def _net_unchanged(entry: Entry) -> bool:
    """A default that changes and changes back along the chain does not change for this migration."""
    return "," in (entry.rule or "") and same_value(entry.old_value, entry.new_value)
