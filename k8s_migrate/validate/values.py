"""Values files: each leaf goes through the chart map to the TOML key it feeds and is checked there;
leaves that feed no TOML key must be values paths the chart has; the chart's values.schema.json,
where it has one, is checked too."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..hub import HubKey, KeyPath, format_key, matches, parse_key, strip_indices
from .checks import KeyChecks, VersionFacts
from .findings import Finding
from .schema import schema_findings
from .toml import check_toml, embedded_offset

_PLAIN_SEGMENT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def check_values(source, name: str, facts: VersionFacts, chart_map, chart_arg: str | None) -> list[Finding]:
    from ..charts.chartmap import apply_pattern, embedded_link, to_toml
    from ..formats.values import ValuesDocument

    try:
        doc = ValuesDocument(source, name)
    except UsageError as exc:
        return [Finding("syntax", "error", None, exc.message, exc.line)]
    lines = source.text.splitlines()
    paths = ChartPaths(chart_map)
    findings: list[Finding] = [
        Finding("duplicate", "error", format_key(path),
                f"duplicate key {format_key(path)} (lines {', '.join(map(str, at))}): helm takes the last, the others "
                "are silently ignored", at[-1], origin=format_key(path))
        for path, at in doc.duplicates]
    keys: list[HubKey] = []
    for path, value, line in doc.leaves():
        text = format_key(path)
        link = embedded_link(chart_map, path)
        if link is not None and isinstance(value, str):
            findings += embedded_findings(value, lines, line, text, facts)
            continue
        hit = to_toml(chart_map, path, value)
        if hit is not None:
            toml_key, link = hit
            keys.append(HubKey(parse_key(toml_key), apply_pattern(link.pattern, value, link.filter), line,
                               origin=text, chart_shaped=link.pattern not in (None, "{}") or bool(link.filter)))
            continue
        if not paths.knows(path):
            hint = paths.suggest(path)
            findings.append(Finding("values-path", "warning", text, f"chart {chart_map.id} has no values path {text}"
                                    + (f"; did you mean {hint}?" if hint else ""), line, suggestion=hint, origin=text))
    findings += KeyChecks(facts).run(keys, names_are_the_users=False)
    schema = chart_schema(chart_arg)
    if schema is not None:
        findings += schema_findings(schema, doc.data)
    return findings


def embedded_findings(text: str, lines: list[str], line: int | None, origin: str, facts: VersionFacts) -> list[Finding]:
    """A values string the chart pastes into deployment.toml as TOML (extraConfigs): checked as TOML."""
    if not text.strip():
        return []
    offset = embedded_offset(lines, line)
    found = check_toml(text, facts, offset, origin)
    if offset != line:  # a quoted or plain scalar: its lines cannot be told apart; point at the key
        for finding in found:
            finding.line = line
    return found


def chart_schema(chart_arg: str | None) -> dict[str, Any] | None:
    if not chart_arg or not Path(chart_arg).is_dir():
        return None
    path = Path(chart_arg) / "values.schema.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the chart's values schema: {' '.join(str(exc).split())}", str(path)) from None


class ChartPaths:
    """The values paths a chart has: its values.yaml (lists of maps by item) and every path its
    deployment.toml templates read. Maps that are empty by default, or whose entries are names
    (annotations with dots and slashes), take any entry."""

    def __init__(self, chart_map):
        self.exact: set[KeyPath] = set()
        self.open: set[KeyPath] = set()
        for text, value in chart_map.defaults.items():
            path = strip_indices(parse_key(text))
            self.exact.add(path)
            if isinstance(value, (dict, list)) or value is None:
                self.open.add(path)
            if any(isinstance(s, str) and s.strip(_PLAIN_SEGMENT) for s in path[-1:]):
                self.open.add(path[:-1])
        self.read = [parse_key(t) for t in
                     [link.values for link in chart_map.links if link.values] +
                     [g["values"] for g in chart_map.guards if g.get("values")] + list(chart_map.guard_only) +
                     [c["values"] for c in chart_map.commented if c.get("values")]]
        self.prefixes = {p[:i] for p in self.exact for i in range(1, len(p))}

    def knows(self, path: KeyPath) -> bool:
        bare = strip_indices(path)
        if bare in self.exact or bare in self.prefixes:
            return True
        if any(bare[:i] in self.open for i in range(1, len(bare))):
            return True
        return any(matches(p, bare, prefix=True) for p in self.read)

    def suggest(self, path: KeyPath) -> str | None:
        bare = strip_indices(path)
        siblings = sorted({p[-1] for p in self.exact | self.prefixes if len(p) == len(bare) and p[:-1] == bare[:-1]
                           and isinstance(p[-1], str)})
        close = difflib.get_close_matches(str(bare[-1]), siblings, n=1, cutoff=0.6) if siblings else []
        if close:
            return format_key(path[:-1] + (close[0],))
        texts = sorted(format_key(p) for p in self.exact)
        close = difflib.get_close_matches(format_key(bare), texts, n=1, cutoff=0.85)
        return close[0] if close else None
