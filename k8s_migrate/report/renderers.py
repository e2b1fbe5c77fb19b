"""Report renderers: text (a table), JSON, Markdown (a PR body with a checklist) and SARIF."""

from __future__ import annotations

import json
from typing import Any

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
    return f"{report.input}: {report.from_version} -> {report.to_version}: {parts}"


def render_text(report: Report, verbose: bool = False) -> str:
    """Changes and findings as a table; keys that were simply kept are counted, not listed (unless verbose)."""
    lines = [_summary_line(report)]
    lines += [f"  note: {n}" for n in report.notes]
    shown = [e for e in report.entries if verbose or e.action != "kept"]
    if shown:
        rows = [("ACTION", "KEY", "-> NEW KEY", "LINE", "RULE / MESSAGE")]
        for e in shown:
            new = "" if e.new_key in (None, e.old_key) else e.new_key
            where = f"{e.file}:{e.line}" if e.line and e.file != report.input else (str(e.line) if e.line else "")
            rows.append((e.action, e.old_key or "", new, where, " ".join(x for x in (f"[{e.rule}]" if e.rule else "", e.message) if x)))
        widths = [min(max(len(r[i]) for r in rows), cap) for i, cap in enumerate((9, 60, 50, 8, 1000))]
        for row in rows:
            cells = [row[i].ljust(widths[i]) if i < 4 else row[i] for i in range(5)]
            lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def render_markdown(report: Report) -> str:
    out = [f"## k8s-migrate: `{report.input}` {report.from_version} → {report.to_version}", ""]
    out += ["| action | count |", "|---|---|"] + [f"| {a} | {n} |" for a, n in report.summary.items()] + [""]
    out += [f"> {n}" for n in report.notes]
    manual = [e for e in report.entries if e.action in MANUAL]
    if manual:
        out += ["### Manual steps", ""]
        for e in manual:
            key = e.new_key or e.old_key or e.origin
            src = f" ([source]({e.source}))" if e.source and e.source.startswith("http") else (f" (source: {e.source})" if e.source else "")
            where = f" {e.file}:{e.line}" if e.line else ""
            label = f"`{key}`" if key else "(whole file)"
            out.append(f"- [ ] {label}{where}: {e.message}{src}")
        out.append("")
    changed = [e for e in report.entries if e.action not in MANUAL + ("kept",)]
    if changed:
        out += ["### Changes", "", "| action | key | new key | old value | new value | rule |", "|---|---|---|---|---|---|"]
        for e in changed:
            out.append("| " + " | ".join(_md(x) for x in (e.action, e.old_key, e.new_key, _short(e.old_value), _short(e.new_value), e.rule)) + " |")
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
            "message": {"text": f"{e.action}: {e.old_key or e.new_key}" + (f" -> {e.new_key}" if e.new_key and e.old_key and e.new_key != e.old_key else "") + (f". {e.message}" if e.message else "")},
        }
        location: dict[str, Any] = {"artifactLocation": {"uri": e.file or report.input}}
        if e.line:
            location["region"] = {"startLine": e.line}
        result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "k8s-migrate", "informationUri": "https://github.com/", "rules": list(rule_ids.values())}},
                  "results": results}],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False, default=str) + "\n"


RENDERERS = {".json": render_json, ".md": render_markdown, ".sarif": render_sarif, ".txt": render_text}


def render_for_path(report: Report, path: str) -> str:
    for suffix, renderer in RENDERERS.items():
        if path.endswith(suffix):
            return renderer(report)
    return render_text(report)


__all__ = ["render_text", "render_json", "render_markdown", "render_sarif", "render_for_path", "ATTENTION", "Entry"]
