"""Helm values files <-> values paths, through a ruamel.yaml round-trip document edited in place."""

from __future__ import annotations

import io
import re
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import UsageError
from ..hub import KeyPath
from .duplicate_keys import load_documents
from .text import SourceText
from .values_layout import detect_indent

if TYPE_CHECKING:
    from .values_layout import Layout

_HELM_ACTION = re.compile(r"\{\{.*?\}\}")


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100000
    yaml.allow_duplicate_keys = True  # as Helm: the last wins (ValuesDocument.duplicates lists them)
    return yaml


class ValuesDocument:
    """A values.yaml: the round-trip document plus its leaves as values paths."""

    def __init__(self, source: SourceText, name: str = "values.yaml", patchable: bool = False):
        """``patchable``: read a file in the plain layout (formats.values_layout) into plain data, and write edits
        by patching its text; any other file, or an edit the patch cannot write, takes the round-trip document."""
        self.source = source
        self.name = name
        self.edited = False
        self.duplicates: list[tuple[KeyPath, list[int]]] = []
        self.layout: Layout | None = None
        self.edits: list[tuple[str, Any, Any]] = []  # what was done to the plain data, to replay on a round trip
        if patchable:
            self._refuse_helm_actions()
            from .values_layout import read_layout

            self.layout = read_layout(source.text)
        self.data = self.layout.data if self.layout is not None else self._load()
        self.root = self.data

    def focus(self, key: str) -> None:
        """Work on one top-level subtree (a subchart's values under its alias); dumps writes the whole file."""
        self.edits.append(("focus", key, None))
        self.data = self.root[key]
        self.duplicates = [(p[1:], lines) for p, lines in self.duplicates if p[:1] == (key,)]

    def _round_trip(self) -> None:
        """From plain data to the round-trip document: load it, and do again what was done to the plain data."""
        if self.layout is None:
            return
        self.layout = None
        self.data = self.root = self._load()
        edits, self.edits = self.edits, []
        for kind, path, value in edits:
            if kind == "focus":
                self.focus(path)
            else:
                self.set(path, value)

    def _refuse_helm_actions(self) -> None:
        text = self.source.text
        helm = _HELM_ACTION.search(text)
        if helm:
            line = text[: helm.start()].count("\n") + 1
            raise UsageError(f"Helm template action {helm.group(0)[:40]!r} in a values file; "
                             "give the values, not a template", self.name, line)

    def _load(self) -> Any:
        self._refuse_helm_actions()
        text = self.source.text
        from .strict_yaml import load_all

        docs, self.duplicates = load_all(_yaml(), text, self.name, load_documents)
        docs = [d for d in docs if d is not None]
        if len(docs) != 1:
            raise UsageError("a values file holds one YAML document" + (f", not {len(docs)}" if docs else ", not none"),
                             self.name)
        if not isinstance(docs[0], dict):
            raise UsageError("a values file is a mapping at the top level", self.name)
        _check_alias_bomb(docs[0], self.name)
        return docs[0]

    def leaves(self) -> list[tuple[KeyPath, Any, int | None]]:
        if self.layout is None:
            return list(walk_values(self.data))
        blocks = self.layout.blocks

        def line_of(node: Any, key: Any) -> int | None:
            entry = blocks[id(node)].entries.get(key) if id(node) in blocks else None
            return entry.line + 1 if entry is not None else None

        return list(walk_values(self.data, line_of=line_of))

    def get(self, path: KeyPath) -> Any:
        return get_path(self.data, path)

    def has(self, path: KeyPath) -> bool:
        return self.get(path) is not _MISSING

    def set(self, path: KeyPath, value: Any) -> None:
        self.edited = True
        if self.layout is not None:
            self.edits.append(("set", path, value))
            node, key = container_for(self.data, path, dict, list)
            if not isinstance(value, str):
                self.layout.unquoted.add((id(node), key))
            node[key] = value
            return
        node, key = container_for(self.data, path)
        node[key] = _styled(node.get(key) if isinstance(node, dict) else node[key], value)

    def delete(self, path: KeyPath) -> None:
        self._round_trip()
        parent = self.get(path[:-1]) if len(path) > 1 else self.data
        if parent is _MISSING or not _has(parent, path[-1]):
            return
        keep_following_comments(parent, path[-1])
        del parent[path[-1]]
        self.edited = True
        # drop maps our deletion emptied, but never the document itself
        for depth in range(len(path) - 1, 0, -1):
            node = self.get(path[:depth])
            if not (isinstance(node, dict) and not node):
                break
            holder = self.get(path[: depth - 1]) if depth > 1 else self.data
            del holder[path[depth - 1]]

    def eol_comment(self, path: KeyPath) -> str | None:
        """The comment at the end of a key's own line (``key: value  # this``)."""
        self._round_trip()
        parent = self.get(path[:-1]) if len(path) > 1 else self.data
        items = getattr(getattr(parent, "ca", None), "items", None) or {}
        token = (items.get(path[-1]) or [None, None, None])[2]
        first = token.value.split("\n", 1)[0].strip() if token is not None else ""
        return first if first.startswith("#") else None

    def add_eol_comment(self, path: KeyPath, comment: str) -> None:
        self._round_trip()
        parent = self.get(path[:-1]) if len(path) > 1 else self.data
        if (isinstance(parent, dict) and hasattr(parent, "yaml_add_eol_comment")
                and not isinstance(parent[path[-1]], (dict, list))):
            parent.yaml_add_eol_comment(comment, path[-1])

    def rename_in_place(self, path: KeyPath, new_key: str) -> bool:
        """Rename a mapping key where it stands, keeping its position and comments (False: not a YAML map's key)."""
        from ruamel.yaml.comments import CommentedMap

        self._round_trip()
        parent = self.get(path[:-1]) if len(path) > 1 else self.data
        old_key = path[-1]
        if not isinstance(parent, CommentedMap) or not isinstance(old_key, str) or new_key in parent:
            return False
        pos = list(parent.keys()).index(old_key)
        value = parent[old_key]
        comment = parent.ca.items.pop(old_key, None)
        del parent[old_key]
        parent.insert(pos, new_key, value)
        if comment is not None:
            parent.ca.items[new_key] = comment
        self.edited = True
        return True

    def dumps(self) -> str:
        if not self.edited:
            return self.source.original
        if self.layout is not None:
            from .values_layout import Writer, patch

            patched = patch(self.layout, self.root, Writer(_yaml(), self.layout.indent))
            if patched is not None:
                return self.source.restore(patched)
            self._round_trip()
        yaml = _yaml()
        mapping, sequence, offset = detect_indent(self.source.text)
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        if self.source.text.lstrip().startswith("---"):
            yaml.explicit_start = True
        out = io.StringIO()
        yaml.dump(self.root, out)
        dumped = out.getvalue()
        opcodes = line_opcodes(self.source.text, dumped)
        merged, swaps, blanks = merge_untouched_lines(self.source.text, dumped, opcodes=opcodes)
        if merged != dumped and not (_layout_only(self.data, dumped, swaps, blanks) or _same_yaml(merged, dumped)):
            merged = dumped
        kept = merge_untouched_lines(self.source.text, dumped, any_indent=True, opcodes=opcodes)[0]
        if kept != merged and _same_yaml(kept, dumped):
            merged = kept  # the file's own indentation and flow layout, proven to load as the dump does
        return self.source.restore(merged)


_MISSING = object()


def keep_following_comments(parent: Any, key: Any) -> None:
    """The comment lines after a deleted key's line (ruamel keeps them on that key) belong to what follows:
    hand them to the leaf before it, so they stay where they were."""
    from ruamel.yaml.comments import CommentedMap

    items = getattr(getattr(parent, "ca", None), "items", None)
    if not isinstance(parent, CommentedMap) or not items or key not in items or items[key][2] is None:
        return
    token = items[key][2]
    rest = token.value.partition("\n")[2]
    keys = list(parent.keys())
    if not rest.strip() or len(keys) < 2:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if keys.index(key) == 0:  # the lines go before the key that becomes the first
        text = rest.lstrip(" ")
        if parent.ca.comment is None:
            parent.ca.comment = [None, []]
        parent.ca.comment[1] = [*(parent.ca.comment[1] or []),
                                CommentToken(text, CommentMark(len(rest) - len(text)), None)]
        return
    holder, last = parent, keys[keys.index(key) - 1]
    while isinstance(holder[last], dict) and holder[last]:
        holder, last = holder[last], list(holder[last].keys())[-1]
    if isinstance(holder[last], (dict, list)) or not hasattr(holder, "ca"):
        return
    slot = holder.ca.items.setdefault(last, [None, None, None, None])
    if slot[2] is None:
        slot[2] = CommentToken("\n" + rest, token.start_mark, None)
    else:
        slot[2].value = slot[2].value + rest


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())] if line.strip() else ""


def keep_untouched_lines(before: str, after: str) -> str:
    """Give lines the dump did not change their original bytes back (trailing blanks, spacing)."""
    return merge_untouched_lines(before, after)[0]


_EXACT_MERGE_LINES = 2000


Opcode = tuple[str, int, int, int, int]
_GAP_CELLS = 40_000  # a gap between anchors up to this many line pairs is matched exactly


def line_opcodes(before: str, after: str) -> list[Opcode]:
    """How the lines of ``after`` match those of ``before``, spaces ignored (difflib opcodes).

    Exact matching (difflib) costs lines x lines on big files whose lines repeat (a long list of similar
    items); when the dump has more than _EXACT_MERGE_LINES lines, the lines that occur once on each side anchor
    the match (as patience diff does) and only the gaps between anchors are matched exactly. The caller proves
    the merge or keeps the dump, so a match that is not the best one costs layout, never meaning."""
    import difflib

    norm = lambda text: ["".join(line.split()) for line in text.splitlines(keepends=True)]  # noqa: E731
    old, new = norm(before), norm(after)
    if len(new) <= _EXACT_MERGE_LINES:
        exact: list[Opcode] = list(difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes())
        return exact
    ops: list[Opcode] = []
    i = j = 0
    for a, b in [*_unique_anchors(old, new), (len(old), len(new))]:
        _match_gap(ops, old, new, i, a, j, b)
        if a < len(old):
            _push(ops, "equal", a, a + 1, b, b + 1)
        i, j = a + 1, b + 1
    return ops


def _unique_anchors(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Lines that occur once in each text, paired, keeping the longest run in the same order on both sides."""
    from bisect import bisect_left
    from collections import Counter

    in_old, in_new = Counter(old), Counter(new)
    where = {line: j for j, line in enumerate(new) if in_new[line] == 1}
    pairs = [(i, where[line]) for i, line in enumerate(old) if in_old[line] == 1 and line in where]
    tails: list[int] = []  # tails[k]: the smallest j that ends an increasing run of k + 1 pairs
    ends: list[int] = []  # the pair index of each tail
    before = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            ends.append(index)
        else:
            tails[k], ends[k] = j, index
        before[index] = ends[k - 1] if k else -1
    chain, index = [], ends[-1] if ends else -1
    while index >= 0:
        chain.append(pairs[index])
        index = before[index]
    return chain[::-1]


def _match_gap(ops: list[Opcode], old: list[str], new: list[str], i1: int, i2: int, j1: int, j2: int) -> None:
    import difflib

    while i1 < i2 and j1 < j2 and old[i1] == new[j1]:
        _push(ops, "equal", i1, i1 + 1, j1, j1 + 1)
        i1, j1 = i1 + 1, j1 + 1
    tail = 0
    while i2 - tail > i1 and j2 - tail > j1 and old[i2 - tail - 1] == new[j2 - tail - 1]:
        tail += 1
    mid_i, mid_j = i2 - tail, j2 - tail
    if (mid_i - i1) * (mid_j - j1) <= _GAP_CELLS:
        gap = difflib.SequenceMatcher(None, old[i1:mid_i], new[j1:mid_j], autojunk=False)
        for tag, a1, a2, b1, b2 in gap.get_opcodes():
            _push(ops, tag, i1 + a1, i1 + a2, j1 + b1, j1 + b2)
    else:
        tag = "replace" if mid_i > i1 and mid_j > j1 else "delete" if mid_i > i1 else "insert"
        _push(ops, tag, i1, mid_i, j1, mid_j)
    if tail:
        _push(ops, "equal", mid_i, i2, mid_j, j2)


def _push(ops: list[Opcode], tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
    if i1 == i2 and j1 == j2:
        return
    if ops and ops[-1][0] == tag and ops[-1][2] == i1 and ops[-1][4] == j1:
        ops[-1] = (tag, ops[-1][1], i2, ops[-1][3], j2)
    else:
        ops.append((tag, i1, i2, j1, j2))


def merge_untouched_lines(before: str, after: str, any_indent: bool = False,
                          opcodes: list[Opcode] | None = None,
                          ) -> tuple[str, list[tuple[str, str]], list[str]]:
    """keep_untouched_lines, with what it put in place of the dump: (original line, dumped line) pairs
    where the original line was kept instead, and the original blank lines it put back.

    With any_indent, original lines come back even where the dump indents them differently (a block
    sequence's offset) and where the dump joined a multi-line flow collection into one line; the caller
    must check the result loads as the dump does."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: list[str] = []
    swaps: list[tuple[str, str]] = []
    blanks: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes if opcodes is not None else line_opcodes(before, after):
        if tag == "replace" and any_indent and _same_flow(old[i1:i2], new[j1:j2]):
            out.extend(old[i1:i2])
            continue
        if tag == "equal":
            for o, n in zip(old[i1:i2], new[j1:j2], strict=True):
                keep = any_indent or _indent(o) == _indent(n)
                out.append(o if keep else n)
                if keep and o != n:
                    swaps.append((o, n))
        elif tag == "delete" and all(not line.strip() for line in old[i1:i2]):
            out.extend(old[i1:i2])
            blanks.extend(old[i1:i2])
        else:
            out.extend(new[j1:j2])
    if out and before and not before.endswith("\n") and out[-1].endswith("\n"):
        out[-1] = out[-1].rstrip("\n")
    return "".join(out), swaps, blanks


def _same_flow(old: list[str], new: list[str]) -> bool:
    """The same text but for line breaks, spaces and a flow collection's trailing comma."""
    squash = lambda lines: re.sub(r",([\]}])", r"\1", "".join("".join(line.split()) for line in lines))  # noqa: E731
    return (len(old) != len(new) and squash(old) == squash(new)
            and not any(line.lstrip().startswith("#") for line in old))


_LINE_BREAKS = "\n\r\x85\u2028\u2029"
_LEAD = re.compile(r"[ \t]*(?:[-?:][ \t]+)*")


def _layout_only(data: Any, dumped: str, swaps: list[tuple[str, str]], blanks: list[str]) -> bool:
    """A cheap proof that the merged text loads as the dump does (else _same_yaml decides).

    When every scalar of the document is dumped on one line (no block scalars, no line breaks in any
    string, no line long enough for the emitter to wrap), spaces at the end of a line and lines of
    spaces are layout; a kept line that differs elsewhere must start the same way (its item and key
    columns) and load, alone, as the dumped line does.
    """
    if any(len(line) > 10_000 for line in dumped.splitlines()) or not _one_line_scalars(data):
        return False
    if any(not line.endswith("\n") or line.strip(" \n") for line in blanks):
        return False
    for kept, dumped_line in swaps:
        if kept.endswith("\n") != dumped_line.endswith("\n"):
            return False
        if kept.rstrip("\n").rstrip(" ") == dumped_line.rstrip("\n").rstrip(" "):
            continue
        kept_lead, dumped_lead = _LEAD.match(kept), _LEAD.match(dumped_line)
        assert kept_lead is not None and dumped_lead is not None, "_LEAD matches the empty string"
        if kept_lead.group() != dumped_lead.group() or not _same_line(kept[len(_indent(kept)):],
                                                                       dumped_line[len(_indent(kept)):]):
            return False
    return True


def _one_line_scalars(root: Any) -> bool:
    """Every key and scalar is a plain string (no line breaks), number, bool, date or null."""
    import datetime

    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if isinstance(node, (dict, list)):
            if id(node) not in seen:
                seen.add(id(node))
                stack.extend([*node.keys(), *node.values()] if isinstance(node, dict) else node)
        elif isinstance(node, str):
            if isinstance(node, (LiteralScalarString, FoldedScalarString)) or any(c in node for c in _LINE_BREAKS):
                return False
        elif not (node is None or isinstance(node, (bool, int, float, datetime.date))):
            return False
    return True


def _same_line(a: str, b: str) -> bool:
    loader = _line_loader()
    try:
        return loader.load(a) == loader.load(b)
    except Exception:  # a line that does not load alone proves nothing
        return False


@lru_cache(maxsize=1)
def _line_loader():
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True)


def _same_yaml(a: str, b: str) -> bool:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    # ruamel's C parser first (several times faster); the pure one decides what the C parser refuses, and
    # texts that name their own YAML version (only the C parser follows a %YAML directive)
    for pure in ((True,) if "%YAML" in a + b else (False, True)):
        loader = YAML(typ="safe", pure=pure)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return loader.load(a) == loader.load(b)
        except YAMLError:
            continue
    return False


def get_path(node: Any, path: KeyPath) -> Any:
    """The value at a path of a values tree, or _MISSING."""
    for seg in path:
        try:
            node = node[seg]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def container_for(root: Any, path: KeyPath, map_type: type | None = None, seq_type: type | None = None
                  ) -> tuple[Any, Any]:
    """The map or list that holds the last key of ``path``, created (and lists padded) on the way (as ruamel's
    round-trip maps and lists unless told)."""
    if map_type is None or seq_type is None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        map_type, seq_type = CommentedMap, CommentedSeq
    node = root
    for seg, nxt in zip(path, path[1:], strict=False):
        _pad(node, seg)
        child = node[seg] if _has(node, seg) else None
        if not isinstance(child, (dict, list)):
            child = seq_type() if isinstance(nxt, int) else map_type()
            node[seg] = child
        node = child
    _pad(node, path[-1])
    return node, path[-1]


def _pad(node: Any, seg: Any) -> None:
    if isinstance(node, list) and isinstance(seg, int):
        while len(node) <= seg:
            node.append(None)


def _has(node: Any, seg: Any) -> bool:
    if isinstance(node, list):
        return isinstance(seg, int) and 0 <= seg < len(node)
    return isinstance(node, dict) and seg in node


def _styled(old: Any, value: Any) -> Any:
    """Keep the old scalar's quoting style when the new value is a string too."""
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(old, ScalarString) and isinstance(value, str):
        return type(old)(value)
    return value


def walk_values(node: Any, prefix: KeyPath = (), line_of: Callable[[Any, Any], int | None] | None = None
                ) -> Iterator[tuple[KeyPath, Any, int | None]]:
    """Leaves of a values tree: scalars, lists of scalars, empty maps; lists of maps are items."""
    line_of = line_of or _line
    if isinstance(node, dict):
        if not node and prefix:
            yield prefix, {}, None
        for key, child in node.items():
            path = prefix + (str(key),)
            if isinstance(child, (dict, list)) and _container_of_maps(child):
                yield from walk_values(child, path, line_of)
            else:
                yield path, plain(child), line_of(node, key)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from walk_values(child, prefix + (i,), line_of)


def _container_of_maps(child: Any) -> bool:
    if isinstance(child, dict):
        return True
    return bool(child) and all(isinstance(x, dict) for x in child)


def _line(node: Any, key: Any) -> int | None:
    try:
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return None


def plain(value: Any) -> Any:
    """A values tree as plain dicts, lists and scalars, without ruamel's round-trip types."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _check_alias_bomb(root: Any, name: str, limit: int = 200_000) -> None:
    """Refuse documents whose aliases expand to far more nodes than the text writes (a billion-laughs
    document), and aliases that contain themselves. Counts in one pass over the distinct nodes: the size of
    what a shared map or list expands to is computed once, however many aliases name it."""
    expanded: dict[int, int] = {}  # id of a map or list -> the nodes it expands to, aliases followed
    open_: set[int] = set()  # the maps and lists being counted (the ones above the current node)
    written = 0
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node
        key = id(node)
        if counted:
            expanded[key] = 1 + sum(expanded[id(c)] if isinstance(c, (dict, list)) else 1 for c in children)
            open_.discard(key)
            continue
        if key in expanded:
            continue
        if key in open_:
            raise UsageError("YAML alias that contains itself (it expands without end)", name)
        open_.add(key)
        written += 1 + sum(1 for c in children if not isinstance(c, (dict, list)))
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)) and id(c) not in expanded)
    if expanded[id(root)] - written > limit:
        raise UsageError(f"YAML aliases expand to {expanded[id(root)] - written} more nodes than the file writes "
                         f"(over {limit}: an alias bomb?)", name)
