"""`validate`: check a deployment.toml, a ConfigMap that embeds one, or a Helm values file against one
API-M version, without migrating anything.

Every file becomes hub keys with their lines (the same readers the migrations use); ``checks`` judges
them. A file that does not parse is one ``syntax`` finding, so a hook over many files reports them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..formats.text import decode
from .checks import VersionFacts
from .findings import FileReport, Finding
from .toml import check_configmap, check_toml


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
    from ..charts.chartmap import load_map

    chart = chart or _neighbour_chart(name)
    if chart is None:
        raise UsageError("a values file needs --chart (the chart id or directory it is for)", name)
    return load_map(chart)


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
