"""The operator's comment lines, carried to the output by what they stand above.

A comment block (consecutive full-line comments, with the blank lines inside it) belongs to the first key
or table header written below it. The writer puts each block back above where that key or table landed in
the output; when it did not land (removed, left out as a default), above the next one that did; blocks
at the top of the file stay at the top, and those below the last key stay at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..hub import KeyPath
from .toml_lines import line_numbers, scan, scan_facts


@dataclass
class CommentBlock:
    """A run of comment lines of the input and the key or table it stands with."""

    lines: list[str]  # as written, without the line ending
    anchor: KeyPath | None  # the key or table (input paths) below the block; None: the end of the file
    table: bool  # the anchor is a table header
    top: bool  # written before any key or table, apart from it: the file's own heading
    gap: bool = False  # a blank line stood between the block and its anchor


def comment_blocks(text: str) -> list[CommentBlock]:
    if "#" not in text:
        return []
    anchors: dict[int, KeyPath] | None = None  # made at the first block: a large file may have no comment lines
    blocks: list[CommentBlock] = []
    pending: list[str] = []
    seen_content = False
    for line in scan(text):
        number, raw, stripped = line.number, line.text, line.text.strip()
        if line.kind == "value":  # inside a multi-line string or array: a '#' there is not a comment
            seen_content = True
            continue
        if stripped.startswith("#"):
            pending.append(raw.rstrip())
            continue
        if not stripped:
            if pending:
                pending.append("")
            continue
        if pending:
            gap = not pending[-1]
            while pending and not pending[-1]:
                pending.pop()
            if anchors is None:
                anchors = scan_facts(text).anchors
            path = anchors.get(number)
            blocks.append(CommentBlock(pending, path, line.kind == "header", not seen_content and gap, gap))
            pending = []
        seen_content = True
    while pending and not pending[-1]:
        pending.pop()
    if pending:
        blocks.append(CommentBlock(pending, None, False, not seen_content))
    return blocks


def carry_comments(source_text: str, output_text: str, resolve: Callable[[KeyPath, bool], list[KeyPath]],
                   only_missing: bool) -> str:
    """Put the input's comment blocks into the output above where their anchors landed.

    ``resolve(path, is_table)`` gives the output paths an input key or table may be at (none: it did not land).
    With ``only_missing``, blocks the output already holds (the same lines, in order) stay where they are.
    """
    blocks = comment_blocks(source_text)
    if not blocks:
        return output_text
    out_lines = output_text.splitlines()
    ending = "\n" if output_text.endswith("\n") or not output_text else ""
    if only_missing:
        blocks = [b for b in blocks if not holds(out_lines, b.lines)]
        if not blocks:
            return output_text
    top, inserts, bottom = _place(blocks, line_numbers(output_text), resolve)
    return "\n".join(_assemble(out_lines, top, inserts, bottom)) + ending


def _place(blocks: list[CommentBlock], places: dict[KeyPath, int], resolve: Callable[[KeyPath, bool], list[KeyPath]]
           ) -> tuple[list[list[str]], dict[int, list[CommentBlock]], list[list[str]]]:
    """The blocks for the top of the output, those above an output line (by number), and those for the bottom."""
    inserts: dict[int, list[CommentBlock]] = {}
    top: list[list[str]] = []
    bottom: list[list[str]] = []
    for i, block in enumerate(blocks):
        if block.top:
            top.append(block.lines)
            continue
        line = None
        for candidate in blocks[i:]:
            if candidate.anchor is None:
                break
            line = next((places[t] for t in resolve(candidate.anchor, candidate.table) if t in places), None)
            if line is not None:
                break
        if line is None:
            bottom.append(block.lines)
        else:
            inserts.setdefault(line, []).append(block)
    return top, inserts, bottom


def _assemble(out_lines: list[str], top: list[list[str]], inserts: dict[int, list[CommentBlock]],
              bottom: list[list[str]]) -> list[str]:
    result: list[str] = []
    for lines in top:
        result.extend(lines)
    if top and out_lines and out_lines[0].strip():
        result.append("")
    for number, raw in enumerate(out_lines, start=1):
        for block in inserts.get(number, ()):
            if result and result[-1].strip() and raw.lstrip().startswith("["):
                result.append("")
            result.extend(block.lines)
            if block.gap and raw.lstrip().startswith("["):
                result.append("")
        result.append(raw)
    for lines in bottom:
        if result and result[-1].strip():
            result.append("")
        result.extend(lines)
    return result


def holds(lines: list[str], block: list[str]) -> bool:
    wanted = [b.strip() for b in block if b.strip()]
    if not wanted:
        return True
    have = [line.strip() for line in lines]
    for start in range(len(have)):
        if have[start] != wanted[0]:
            continue
        j, k = start, 0
        while j < len(have) and k < len(wanted):
            if not have[j]:
                j += 1
                continue
            if have[j] != wanted[k]:
                break
            j += 1
            k += 1
        if k == len(wanted):
            return True
    return False
