"""`validate`: check a deployment.toml, a ConfigMap that embeds one, or a Helm values file against one
API-M version, without migrating anything.

Every file becomes hub keys with their lines (the same readers the migrations use); ``checks`` judges
them. A file that does not parse is one ``syntax`` finding, so a hook over many files reports them all.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..formats.text import decode
from ..hub import HubKey, KeyPath
from .checks import KeyChecks, VersionFacts
from .findings import FileReport, Finding

_TOMLLIB_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+]?\d*\s*(#.*)?$")


@dataclass
class ValidateOptions:
    version: str | None = None
    profile: str | None = None
    chart: str | None = None


def validate_file(data: bytes, name: str, options: ValidateOptions) -> FileReport:
    try:
        source = decode(data, name)
    except UsageError as exc:  # empty, binary, not UTF-8: a finding, so the other files still get checked
        version, _ = file_version("toml", "", options)
        return FileReport(name, version, "unreadable", [Finding("syntax", "error", None, exc.message, exc.line)])
    kind = file_kind(name, source.text, options.chart)
    chart_map = _chart_map(options.chart, name) if kind == "values" else None
    try:
        version, how = file_version(kind, source.text, options, chart_map)
    except UsageError as exc:
        exc.file = exc.file or name
        raise
    report = FileReport(name, version, kind)
    if how:
        report.notes.append(how)
    facts = VersionFacts.load(version, options.profile)
    if kind == "toml":
        report.findings += check_toml(source.text, facts)
    elif kind == "configmap":
        report.findings += check_configmap(source, name, facts)
    else:
        from .values import check_values

        report.findings += check_values(source, name, facts, chart_map, options.chart)
    report.sort()
    return report


def file_kind(name: str, text: str, chart: str | None) -> str:
    if name.endswith(".toml"):
        return "toml"
    if re.search(r"^\s*kind:\s*ConfigMap\b", text, re.M):
        return "configmap"
    if name.endswith((".yaml", ".yml")) or chart:
        if not chart and not _neighbour_chart(name):
            raise UsageError("a values file needs --chart (a built-in chart id or a chart directory)", name)
        return "values"
    return "toml"


def _neighbour_chart(name: str) -> str | None:
    parent = Path(name).parent
    return str(parent) if name != "-" and (parent / "Chart.yaml").is_file() else None


def _chart_map(chart: str | None, name: str):
    from ..pipeline_values import load_map

    return load_map(chart or _neighbour_chart(name))


def file_version(kind: str, text: str, options: ValidateOptions, chart_map: Any = None) -> tuple[str, str | None]:
    """The API-M version to validate against, and how it was found (None when given).

    Without --version, a values file takes its chart's appVersion; a deployment.toml or ConfigMap is
    read by k8s_migrate.detect (keys only some versions know, server roles, stock lines, image tags)."""
    from ..catalog import resolve_version
    from ..versions import VersionError

    try:
        if options.version:
            return resolve_version(options.version), None
        if kind == "values" and chart_map is not None and chart_map.app_version:
            version = resolve_version(chart_map.app_version)
            return version, f"API-M {version}: the appVersion of chart {chart_map.id}"
        if kind != "values":
            detected = detected_version(kind, text)
            if detected is not None:
                return detected
    except VersionError as exc:
        raise UsageError(str(exc)) from None
    raise UsageError("cannot tell which API-M version this file is for (its keys fit more than one); "
                     "give --version, e.g. --version 4.6")


def detected_version(kind: str, text: str) -> tuple[str, str] | None:
    from ..commands.detection import version_detection
    from ..inputs import label

    detection = version_detection(text.encode("utf-8"), label("file"), "configmap" if kind == "configmap" else "toml")
    if detection.value is None:
        return None
    return detection.value, f"API-M {detection.value} (detected: {'; '.join(detection.evidence)})"


# ---- deployment.toml ----------------------------------------------------------------------------
def syntax_finding(text: str) -> Finding | None:
    """The strict parser's (tomllib) verdict, as a finding; tomlkit alone accepts some invalid files."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOMLLIB_LINE.search(str(exc))
        message = _TOMLLIB_LINE.sub("", str(exc)).strip()
        return Finding("syntax", "error", None, f"invalid TOML: {message}", int(m.group(1)) if m else None)
    except RecursionError:
        return Finding("syntax", "error", None, "invalid TOML: nested too deeply to read")
    return None


def toml_keys(text: str) -> tuple[list[HubKey], dict[KeyPath, int]]:
    from ..formats.toml import TomlDocument, line_numbers

    doc = TomlDocument(decode(text.encode("utf-8"), "embedded"), "embedded")
    return doc.leaves(), line_numbers(text)


def check_toml(text: str, facts: VersionFacts, line_offset: int = 0, origin: str | None = None) -> list[Finding]:
    broken = syntax_finding(text)
    if broken is None:
        try:
            keys, table_lines = toml_keys(text)
        except UsageError as exc:
            broken = Finding("syntax", "error", None, exc.message, exc.line)
    if broken is not None:
        broken.line = broken.line + line_offset if broken.line else (line_offset or None)
        broken.origin = origin
        return [broken]
    for key in keys:
        key.origin = origin
    findings = KeyChecks(facts).run(keys, table_lines)
    for finding in findings:
        if finding.line is not None:
            finding.line += line_offset
    return findings


def check_configmap(source, name: str, facts: VersionFacts) -> list[Finding]:
    from ..formats.configmap import ConfigMapManifest, EMBEDDED_KEY, _value_line

    try:
        manifest = ConfigMapManifest(source, name)
    except UsageError as exc:
        return [Finding("syntax", "error", None, exc.message, exc.line)]
    findings = []
    if not manifest.embedded:
        return [Finding("syntax", "note", None, f'no ConfigMap here embeds a data."{EMBEDDED_KEY}"; nothing to check')]
    for entry in manifest.embedded:
        where = f'{entry.name} data."{EMBEDDED_KEY}"'
        findings += check_toml(entry.text, facts, _value_line(entry) + 1, where)
    return findings


def embedded_offset(lines: list[str], line: int | None) -> int:
    """Lines to add to a line of TOML text held in the YAML scalar whose key sits on ``line``."""
    if line and 0 < line <= len(lines) and _BLOCK_SCALAR.search(lines[line - 1]):
        return line
    return max((line or 1) - 1, 0)

