"""Edit mode's migration of a deployment.toml as data: what the values proof needs of it (verify.compare_instance).

The file is read with tomllib (formats.toml_lines.read_plain, as rebase reads it), goes through the same rules, and each
track is applied to the plain values as edit mode applies it to the round-trip document (migrate.toml.apply_tracks):
the data is what tomllib reads from edit mode's output, and the report is edit mode's, entry for entry. No document
is parsed or written; tests/test_toml_data.py holds the two to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..formats.text import decode
from ..formats.toml_lines import forget_scans, read_plain
from ..hub import KeyPath, format_key
from ..profiles import user_role
from ..proof import ProofError, accounted_without, carried_tracks, compare, unaccounted
from ..report import Report
from ..rules.entries import add_findings
from .toml import (
    Options,
    add_track_entries,
    collector_paused,
    edit_by_tracks,
    stock_additions_not_applied,
    through_the_rules,
    versions,
)


@dataclass
class DataResult:
    """The data of edit mode's output (as tomllib reads it) and edit mode's report."""

    data: dict[str, Any]
    report: Report


@collector_paused
def migrate_toml_data(text: str, name: str, options: Options, rules_only: bool = False) -> DataResult:
    """``rules_only``: the report for a caller that reads only the entries rules made, as verify does. A key no rule
    touched has no entry when it stays (edit mode's says kept, or unknown with a did-you-mean), and says removed when
    it goes; the keys and items the new stock file adds are not listed (edit mode's review entries for them). The data
    and the proof's verdict are the same: the proof checks such a key at its path and counts it reported, and an added
    key is in neither the input nor the output. When the proof finds something unaccounted for, the report is whole
    (as without ``rules_only``, a key no rule touched kept rather than unknown) and says what."""
    old_cat, new_cat = versions(options)
    source = decode(text.encode("utf-8"), name)
    user = read_plain(source, name, own=True) or _document(source, name)
    data = user.data()
    role = user_role(data)  # the input's, before the edits below change data in place
    ruled = through_the_rules(user, data, name, old_cat, new_cat, options)
    del user, source  # the keys hold what the proof needs of the text
    state, report = ruled.state, ruled.report
    additions = [] if rules_only else stock_additions_not_applied(state, old_cat, new_cat, ruled.options, ruled.ctx)
    state.settle()  # the last lookup by path is done: the index goes before the entries are made
    edited = PlainDocument(data)
    try:
        edit_by_tracks(edited, state)  # apply_tracks, with its entries made after the comparison
    except UsageError as exc:
        exc.file = exc.file or name
        raise
    forget_scans()
    # as edit mode's proof (prove_data): the carried input keys against the output, compared before the entries are
    # made (the comparison's lookups and the entries of a large file would weigh at once); then every entry's claim,
    # every input key reported
    comparison = compare(carried_tracks(state), data, old_cat, new_cat, role)
    report.changed = edited.edited
    input_paths = [k.path for k in ruled.keys]
    del ruled, edited
    if rules_only:  # most keys of a large file: no entry is made for a key no rule touched that stays (kept)
        untouched = [t for t in state.tracks if not t.events and t.origin is not None and not t.removed]
        add_track_entries(report, state, new_cat, unknown_keys=False,
                          tracks=[t for t in state.tracks if t.events or t.origin is None or t.removed])
        add_findings(report, state)
        if accounted_without(comparison, report, input_paths, untouched):
            return DataResult(data, report)
        del untouched
        report.entries = []  # the whole report, to say what is unaccounted for
    add_track_entries(report, state, new_cat, unknown_keys=not rules_only)
    report.extend(additions)
    add_findings(report, state)
    del state, additions  # the tracks: the entries hold what the rest reads of them
    problems = unaccounted(comparison, report, input_paths)
    del comparison, input_paths
    if problems:
        raise ProofError(problems, name, report)
    return DataResult(data, report)


def _document(source: Any, name: str) -> Any:
    """The round-trip document, for a file with a value tomllib does not keep (as formats.toml.read_values)."""
    from ..formats.toml import TomlDocument

    return TomlDocument(source, name)


class PlainDocument:
    """Plain TOML values (dicts, lists, scalars) edited as formats.toml.TomlDocument edits its document: set makes
    the tables on the way, delete drops the tables and array items it leaves empty (and the arrays of tables
    those leave empty), rename keeps the value. A parent that is not a table cannot take a key (UsageError)."""

    def __init__(self, data: dict[str, Any]):
        self.root = data
        self.edited = False

    def get(self, path: KeyPath) -> Any:
        node: Any = self.root
        for seg in path:
            node = _child(node, seg)
            if node is None:
                return None
        return node

    def set(self, path: KeyPath, value: Any) -> None:
        self._place(path, _copied(value))

    def _place(self, path: KeyPath, value: Any) -> None:
        node: Any = self.root
        for seg in path[:-1]:
            child = _child(node, seg)
            if child is None:
                if isinstance(seg, int) or type(node) is not dict:
                    raise _cannot_write(path)
                child = node[seg] = {}
            node = child
        if type(node) is not dict or not isinstance(path[-1], str):
            raise _cannot_write(path)
        node[path[-1]] = value
        self.edited = True

    def delete(self, path: KeyPath) -> None:
        parent = self.get(path[:-1])
        if _child(parent, path[-1]) is None:
            return
        del parent[path[-1]]
        self.edited = True
        path = path[:-1]
        while path:  # the tables and items left empty go (never the document)
            node = self.get(path)
            if type(node) not in (dict, list) or node:
                return
            del self.get(path[:-1])[path[-1]]
            path = path[:-1]

    def rename(self, old: KeyPath, new: KeyPath) -> None:
        value = self.get(old)
        if value is None:
            return
        parent = self.get(old[:-1])
        if (old[:-1] == new[:-1] and isinstance(old[-1], str) and isinstance(new[-1], str)
                and type(parent) is dict and new[-1] not in parent):
            parent[new[-1]] = parent.pop(old[-1])
            self.edited = True
            return
        self.delete(old)
        self._place(new, value)


def _child(node: Any, seg: Any) -> Any:
    if isinstance(seg, int):
        return node[seg] if type(node) is list and 0 <= seg < len(node) else None
    return node.get(seg) if type(node) is dict else None


def _copied(value: Any) -> Any:
    """A value of the output of its own: a track's value stays as its report entry shows it."""
    if type(value) is dict:
        return {k: _copied(v) for k, v in value.items()}
    if type(value) is list:
        return [_copied(v) for v in value]
    return value


def _cannot_write(path: KeyPath) -> UsageError:
    return UsageError(f"cannot write {format_key(path)}: a parent key has another type here (value, table or "
                      "array of tables) than the migration needs")
