"""Report renderers: text (a table), JSON, Markdown (a PR body with a checklist) and SARIF."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any, Iterable, Iterator

from ..inputs import label
from . import ATTENTION, Entry, Report

MANUAL = ("review", "unknown")


def _short(value: Any, width: int = 40) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_line(report: Report) -> str:
    parts = ", ".join(f"{n} {a}" for a, n in report.summary.items()) or "no keys"
    return f"{label(report.input)}: {report.from_version} -> {report.to_version}: {parts}"


COLOURS = {"review": "33", "unknown": "31", "removed": "35", "renamed": "36", "moved": "36", "changed": "36",
           "added": "32", "defaulted": "2", "kept": "2"}
TABLE_MESSAGE = 40  # the narrowest message column worth a table; narrower terminals get one record per row
KEY_CAP = 60


def key_cell(e: Entry, input_name: str) -> str:
    """The row's key: old -> new when it moved; the table or origin when the entry has no key; never empty."""
    old, new = e.old_key, e.new_key
    if old and new and old != new:
        return f"{old} -> {new}"
    return old or new or e.origin or f"(whole file {label(e.file or input_name)})"


def _message(e: Entry) -> str:
    return " ".join(x for x in (f"[{e.rule}]" if e.rule else "", " ".join(e.message.split())) if x)


def _paint(text: str, action: str, colour: bool) -> str:
    return f"\033[{COLOURS[action]}m{text}\033[0m" if colour and action in COLOURS else text


def render_text(report: Report, verbose: bool = True, width: int | None = None, colour: bool = False) -> str:
    """The summary, the notes, and a table of the rows: every row with ``verbose``, else only the rows that
    need attention (the rest are counted). ``width`` fits the table to a terminal: the message column wraps,
    and a terminal too narrow for a table gets one record per row. A fleet's rows are grouped by file."""
    import textwrap

    def wrap(text: str, indent: str, first: str | None = None) -> list[str]:
        if width is None:
            return [(indent if first is None else first) + text]
        return textwrap.wrap(text, max(width, len(indent) + 20), initial_indent=indent if first is None else first,
                             subsequent_indent=indent, break_on_hyphens=False, break_long_words=True) or [indent]

    lines = wrap(_summary_line(report), "    ", "")
    for note in report.notes:
        lines += wrap(note, "        ", "  note: ")
    if report.entries and not any(e.action != "kept" for e in report.entries) and not verbose:
        return "\n".join(lines) + "\n"
    shown = [e for e in report.entries if verbose or e.action in ATTENTION]
    hidden = Counter(e.action for e in report.entries if e not in shown and e.action != "kept")
    files = list(dict.fromkeys(e.file or report.input for e in shown))
    fleet = len({e.file or report.input for e in report.entries}) > 1
    cells = [(e, key_cell(e, report.input), str(e.line or ""), _message(e)) for e in shown]
    action_w = max([len("ACTION")] + [len(e.action) for e in shown])
    key_w = min(max([len("KEY")] + [len(k) for _, k, _, _ in cells]), KEY_CAP)
    line_w = max([len("LINE")] + [len(n) for _, _, n, _ in cells])
    start = 2 + action_w + 2 + key_w + 2 + line_w + 2
    table = width is None or width - start >= TABLE_MESSAGE
    for file in files:
        rows = [c for c in cells if (c[0].file or report.input) == file]
        if fleet:
            found = Counter(e.action for e, *_ in rows)
            lines.append(f"  {label(file)} ({', '.join(f'{n} {a}' for a, n in found.items())})")
        pad = "  " if fleet else ""
        if table:
            lines.append(pad + "  " + "  ".join(("ACTION".ljust(action_w), "KEY".ljust(key_w), "LINE".ljust(line_w),
                                                 "RULE / MESSAGE")))
        for e, key, line, message in rows:
            action = _paint(e.action.ljust(action_w), e.action, colour)
            if table:
                head = f"{pad}  {action}  "
                if len(key) > key_w and width is not None:
                    lines.append(head + key)
                    head = pad + "  " + " " * action_w + "  "
                    key = ""
                first = head + key.ljust(key_w) + "  " + line.ljust(line_w) + "  "
                indent = " " * (len(pad) + start)
                if width is None:
                    lines.append((first + message).rstrip())
                else:
                    body = textwrap.wrap(message, width - len(indent), break_on_hyphens=False) or [""]
                    lines.append((first + body[0]).rstrip())
                    lines += [indent + more for more in body[1:]]
            else:
                lines.append(f"{pad}  {action}  {key}")
                lines += wrap(f"line {line}: {message}" if line else message, pad + "    " + " " * action_w)
    if hidden:
        listed = ", ".join(f"{n} {a}" for a, n in hidden.items())
        lines += wrap(f"({listed} not listed: -v lists every row, --report FILE.md keeps them all)", "   ", "  ")
    return "\n".join(lines) + "\n"


def terminal_text(report: Report, verbose: bool = False, stream=None) -> str:
    """render_text fitted to the terminal the report goes to (COLUMNS wins); coloured on a terminal unless
    NO_COLOR is set. Not a terminal and no COLUMNS: lines stay whole, one row per line (grep works)."""
    import os
    import sys

    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    width = None
    if os.environ.get("COLUMNS", "").isdigit():
        width = int(os.environ["COLUMNS"])
    elif tty:
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            width = 80
    colour = tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    return render_text(report, verbose=verbose, width=width, colour=colour)


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def entries_json(entries: Iterable[Entry]) -> str:
    """Entries as render_json writes them inside the report's "entries" list, comma-joined ("" for none)."""
    return ",\n".join(
        "    " + json.dumps(e.to_dict(), indent=2, ensure_ascii=False, default=str).replace("\n", "\n    ")
        for e in entries
    )


class EntrySpool:
    """A JSON report's entries, rendered while a fleet migrates and kept on disk, not in memory, until the
    report is written (json_chunks)."""

    def __init__(self) -> None:
        import tempfile

        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - open until close()
        self.empty = True

    def add(self, text: str) -> None:
        """``text``: entries_json of the next entries, in report order."""
        if text:
            self.file.write(text if self.empty else ",\n" + text)
            self.empty = False

    def blocks(self) -> Iterator[str]:
        self.file.seek(0)
        while block := self.file.read(1 << 16):
            yield block

    def close(self) -> None:
        self.file.close()


def json_chunks(report: Report, summary: dict[str, int], spool: EntrySpool) -> Iterator[str]:
    """render_json of ``report`` with the spool's entries in place of its own and ``summary`` (the counts
    over those entries), in pieces."""
    data = replace(report, entries=[]).to_dict()
    data["summary"] = summary
    head = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    head = head[: -len("[]\n}")]  # ends with: "entries": []\n}
    if spool.empty:
        yield head + "[]\n}\n"
        return
    yield head + "[\n"
    yield from spool.blocks()
    yield "\n  ]\n}\n"


def grouped_steps(entries: list[Entry], input_name: str) -> list[tuple[Entry, list[str]]]:
    """Checklist items: entries that ask the same thing (key, rule, message) once, with every place they apply."""
    groups: dict[tuple[str, str, str], tuple[Entry, list[str]]] = {}
    for e in entries:
        key = (e.new_key or e.old_key or e.origin or "", e.rule or "", " ".join(e.message.split()))
        where = label(e.file or input_name) + (f":{e.line}" if e.line else "")
        groups.setdefault(key, (e, []))[1].append(where)
    return list(groups.values())


def places(found: list[str], shown: int = 5) -> str:
    more = f" and {len(found) - shown} more" if len(found) > shown else ""
    return ", ".join(f"`{w}`" for w in found[:shown]) + more


def source_text(source: str | None) -> str:
    if not source:
        return ""
    links = [s.strip() for s in source.split(";") if s.strip()]
    return ", ".join(f"[source]({s})" if s.startswith("http") else f"source: {s}" for s in links)


def render_markdown(report: Report) -> str:
    """A PR-ready report: counts, the manual steps (each asked once, with the files it applies to), and the
    changes grouped by file."""
    out = [f"## k8s-migrate: `{label(report.input)}` {report.from_version} → {report.to_version}", ""]
    out += ["| action | count |", "|---|---|"] + [f"| {a} | {n} |" for a, n in report.summary.items()] + [""]
    out += [f"> {n}" for n in report.notes] + ([""] if report.notes else [])
    manual = [e for e in report.entries if e.action in MANUAL]
    if manual:
        out += ["### Manual steps", ""]
        for e, found in grouped_steps(manual, report.input):
            key = key_cell(e, report.input)
            src = source_text(e.source)
            rule = f" [{e.rule}]" if e.rule else ""
            out.append(f"- [ ] `{key}`{rule} in {places(found)}: {' '.join(e.message.split())}"
                       + (f" ({src})" if src else ""))
        out.append("")
    changed = [e for e in report.entries if e.action not in MANUAL + ("kept",)]
    if changed:
        out += ["### Changes", ""]
        files = list(dict.fromkeys(e.file or report.input for e in changed))
        for file in files:
            if len(files) > 1 or file != report.input:
                out += [f"#### `{label(file)}`", ""]
            out += ["| action | key | new key | line | old value | new value | rule |", "|---|---|---|---|---|---|---|"]
            for e in (e for e in changed if (e.file or report.input) == file):
                out.append(
                    "| "
                    + " | ".join(
                        _md(x)
                        for x in (
                            e.action,
                            e.old_key or key_cell(e, report.input),
                            e.new_key,
                            e.line,
                            _short(e.old_value),
                            _short(e.new_value),
                            e.rule,
                        )
                    )
                    + " |"
                )
            out.append("")
    return "\n".join(out) + "\n"


def _md(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


_LEVEL = {"review": "warning", "unknown": "warning", "removed": "note"}


def render_sarif(report: Report) -> str:
    results = []
    rule_ids: dict[str, dict[str, Any]] = {}
    for e in report.entries:
        if e.action == "kept":
            continue
        rid = e.rule or f"k8s-migrate/{e.action}"
        rule_ids.setdefault(rid, {"id": rid, "shortDescription": {"text": e.action},
                                  **({"helpUri": e.source} if e.source and e.source.startswith("http") else {})})
        result: dict[str, Any] = {
            "ruleId": rid,
            "level": _LEVEL.get(e.action, "note"),
            "message": {
                "text": f"{e.action}: {e.old_key or e.new_key}"
                + (f" -> {e.new_key}" if e.new_key and e.old_key and e.new_key != e.old_key else "")
                + (f". {e.message}" if e.message else "")
            },
        }
        location: dict[str, Any] = {"artifactLocation": {"uri": e.file or report.input}}
        if e.line:
            location["region"] = {"startLine": e.line}
        result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "k8s-migrate",
                        "informationUri": "https://github.com/",
                        "rules": list(rule_ids.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False, default=str) + "\n"


RENDERERS = {".json": render_json, ".md": render_markdown, ".sarif": render_sarif, ".txt": render_text}


def renderer_for(path: str):
    """The renderer a --report path's suffix names; any other suffix is a usage error that lists them."""
    from ..errors import UsageError

    for suffix, renderer in RENDERERS.items():
        if path.lower().endswith(suffix):
            return renderer
    raise UsageError(f"--report {path}: name the format with the file's suffix: {', '.join(RENDERERS)} "
                     "(or - for JSON on stdout)")


def render_for_path(report: Report, path: str) -> str:
    return renderer_for(path)(report)


__all__ = ["render_text", "render_json", "render_markdown", "render_sarif", "render_for_path", "ATTENTION", "Entry"]
