"""Renderers of validation results: text (compiler-style lines), JSON, Markdown and SARIF.

The same four formats as the migration reports; --report picks one by the file's suffix."""

from __future__ import annotations

import json
from typing import Any

from ..counting import counted
from .findings import KINDS, SEVERITIES, FileReport


def _counts(report: FileReport) -> str:
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s in SEVERITIES if (n := report.count(s))]
    return ", ".join(parts) or "no findings"


def findings_text(reports: list[FileReport]) -> str:
    """One line per file with no findings; otherwise a summary line, then ``FILE:LINE: severity: ...``."""
    out = []
    for report in reports:
        out.append(f"{report.file}: API-M {report.version}: {_counts(report)}")
        out += [f"{report.file}: note: {n}" for n in report.notes if report.findings]
        for f in report.findings:
            where = f"{report.file}:{f.line}" if f.line else report.file
            subject = f"{f.key}: " if f.key and f.key not in f.message else ""
            shows_origin = f.origin and f.origin != f.key and f.kind not in ("values-path", "schema")
            via = f" (at {f.origin})" if shows_origin else ""
            out.append(f"{where}: {f.severity}: {subject}{f.message}{via} [{f.kind}]")
    return "\n".join(out) + "\n"


def render_json(reports: list[FileReport]) -> str:
    total = {s: sum(r.count(s) for r in reports) for s in SEVERITIES}
    return json.dumps({"tool": "k8s-migrate validate", "summary": total, "files": [r.to_dict() for r in reports]},
                      indent=2, ensure_ascii=False, default=str) + "\n"


def render_markdown(reports: list[FileReport]) -> str:
    total = {s: sum(r.count(s) for r in reports) for s in SEVERITIES}
    out = ["## k8s-migrate validate", "",
           f"{counted(len(reports), 'file')}: {counted(total['error'], 'error')}, "
           f"{counted(total['warning'], 'warning')}, {counted(total['note'], 'note')}", "",
           "| file | API-M | errors | warnings | notes |", "|---|---|---|---|---|"]
    out += [f"| `{r.file}` | {r.version} | {r.count('error')} | {r.count('warning')} | {r.count('note')} |"
            for r in reports]
    out.append("")
    for report in reports:
        if not report.findings:
            continue
        out += [f"### `{report.file}` (API-M {report.version})", ""]
        out += [f"> {n}" for n in report.notes]
        out += ["| line | severity | kind | key | finding |", "|---|---|---|---|---|"]
        for f in report.findings:
            cells = (str(f.line or ""), f.severity, f.kind, f"`{f.key}`" if f.key else "", f.message)
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    return "\n".join(out) + "\n"


def render_sarif(reports: list[FileReport]) -> str:
    results: list[dict[str, Any]] = []
    used: dict[str, dict[str, Any]] = {}
    for report in reports:
        for f in report.findings:
            rule_id = f"k8s-migrate/{f.kind}"
            used.setdefault(rule_id, {"id": rule_id, "shortDescription": {"text": KINDS.get(f.kind, f.kind)}})
            location: dict[str, Any] = {"artifactLocation": {"uri": report.file}}
            if f.line:
                location["region"] = {"startLine": f.line}
            result = {"ruleId": rule_id, "level": f.severity,
                      "message": {"text": (f"{f.key}: " if f.key and f.key not in f.message else "") + f.message},
                      "locations": [{"physicalLocation": location}]}
            if f.source and f.source.startswith("http"):
                result["properties"] = {"source": f.source}
            results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "k8s-migrate", "informationUri": "https://github.com/",
                                      "rules": sorted(used.values(), key=lambda r: r["id"])}},
                  "results": results}],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {".json": render_json, ".md": render_markdown, ".sarif": render_sarif, ".txt": findings_text}


def render_for_path(reports: list[FileReport], path: str) -> str:
    for suffix, renderer in RENDERERS.items():
        if path.endswith(suffix):
            return renderer(reports)
    return findings_text(reports)
