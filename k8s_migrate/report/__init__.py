"""The report: a value the pipeline returns, one entry per input leaf key (and per key a rule adds)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields, replace
from typing import Any, Iterable, Literal, get_args

Action = Literal["kept", "renamed", "moved", "removed", "changed", "defaulted", "added", "review", "unknown"]
ACTIONS: tuple[Action, ...] = get_args(Action)
# Actions that ask a human to act: --strict fails on them, the PR body lists them.
ATTENTION: tuple[Action, ...] = ("review", "unknown")
# Actions whose entry says its value is in the output at its key (the proof checks each one).
CLAIMS_VALUE: tuple[Action, ...] = ("kept", "renamed", "moved", "changed", "added", "unknown")


def exit_code(*, check: bool = False, changed: bool = False, strict: bool = False, attention: bool = False,
              findings: bool = False) -> int:
    """Every "findings -> exit 1" of the CLI: 1 when --check finds a change, --strict an entry that needs a
    human (``attention``), or a check (validate, verify, rules lint, keys) ``findings``; else 0."""
    return int((check and changed) or (strict and attention) or findings)


@dataclass(slots=True)  # a large file has an entry per key, and its masked copy: slots halve them
class Entry:
    """One row of a report: what happened to one key."""

    action: Action
    old_key: str | None
    new_key: str | None
    old_value: Any = None
    new_value: Any = None
    rule: str | None = None
    source: str | None = None
    message: str = ""
    line: int | None = None
    file: str | None = None
    confidence: str | None = None
    origin: str | None = None  # where the key lives in the input's own terms (values path, XML location)

    def masked(self, show_secrets: bool = False) -> "Entry":
        if show_secrets:
            return self
        from .masking import mask_message, mask_value

        key = self.new_key or self.old_key or self.origin or ""
        old_value = mask_value(self.old_key or key, self.old_value)
        new_value = mask_value(key, self.new_value)
        message = mask_message(self.message, [(self.old_key or key, self.old_value), (key, self.new_value)])
        if old_value is self.old_value and new_value is self.new_value and message is self.message:
            return self  # nothing to hide: most entries of a large file
        shown = Entry(*map(self.__getattribute__, _FIELDS))  # copy.copy goes through __reduce_ex__: 4x slower
        shown.old_value, shown.new_value, shown.message = old_value, new_value, message
        return shown

    def to_dict(self) -> dict[str, Any]:
        data = {
            "action": self.action,
            "old_key": self.old_key,
            "new_key": self.new_key,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "rule": self.rule,
            "source": self.source,
            "message": self.message,
            "line": self.line,
        }
        for extra in ("file", "confidence", "origin"):
            if getattr(self, extra) is not None:
                data[extra] = getattr(self, extra)
        return data


_FIELDS = tuple(f.name for f in fields(Entry))  # in the order __init__ takes them


@dataclass
class Report:
    """A migration's report: an entry per key, notes, and whether the output differs from the input."""

    input: str
    from_version: str
    to_version: str
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: bool = False  # did the output differ from the input bytes

    def add(self, entry: Entry) -> None:
        if entry.file is None:
            entry.file = self.input
        self.entries.append(entry)

    def extend(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            self.add(entry)

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(e.action for e in self.entries)
        return {action: counts[action] for action in ACTIONS if counts[action]}

    def needs_attention(self) -> bool:
        return any(e.action in ATTENTION for e in self.entries)

    def exit_code(self, check: bool = False, strict: bool = False, changed: bool | None = None) -> int:
        """The code of a migration that went through (``changed``, default: this report's)."""
        return exit_code(check=check, changed=self.changed if changed is None else changed, strict=strict,
                         attention=self.needs_attention())

    def for_key(self, old_key: str) -> list[Entry]:
        return [e for e in self.entries if e.old_key == old_key]

    def masked(self, show_secrets: bool = False) -> "Report":
        if show_secrets:
            return self
        from .masking import mask_credentials

        return replace(
            self, entries=[e.masked() for e in self.entries], notes=[mask_credentials(n) for n in self.notes]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "from": self.from_version,
            "to": self.to_version,
            "changed": self.changed,
            "summary": self.summary,
            "notes": list(self.notes),
            "entries": [e.to_dict() for e in self.entries],
        }


def merge_reports(reports: list[Report], label: str = "batch") -> Report:
    """One report over many files; each entry keeps its own file."""
    if not reports:
        return Report(label, "", "")
    versions = lambda attr: ",".join(sorted({getattr(r, attr) for r in reports}))  # noqa: E731
    merged = Report(label, versions("from_version"), versions("to_version"))
    for r in reports:
        merged.entries.extend(r.entries)
        merged.notes.extend(f"{r.input}: {n}" for n in r.notes)
        merged.changed = merged.changed or r.changed
    return merged
