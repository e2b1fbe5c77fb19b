"""A Kubernetes manifest whose ConfigMaps embed a deployment.toml: each embedded file goes through the
TOML migration (edit mode by default); the manifest around them keeps its bytes."""

from __future__ import annotations

from dataclasses import replace

from ..errors import UsageError
from ..formats.configmap import read_manifest, value_line
from ..report import Report
from .toml import Result, migrate_toml


def migrate_manifest(data: bytes, name: str, options):
    """Migrate every embedded deployment.toml of a manifest (pipeline.migrate_toml; edit mode by default).

    Returns a pipeline.Result over the whole manifest: one report, each entry's ``origin`` naming its
    ConfigMap, each ConfigMap's notes prefixed with its name.
    """
    manifest = read_manifest(data, name)
    reports = []
    for index, entry in enumerate(manifest.embedded):
        where = f"{entry.name} data.\"{entry.key}\""
        first_line = value_line(entry) + 1  # the manifest line before the scalar's first line
        try:
            result = migrate_toml(entry.text.encode("utf-8"), f"{name}: {where}", options)
        except UsageError as exc:
            raise UsageError(f"{where}: {exc.message}", name, (exc.line or 1) + first_line) from None
        manifest.replace(index, result.output)
        result.report.entries = [replace(e, file=name, line=e.line + first_line if e.line else e.line,
                                         origin=f"{where}: {e.origin}" if e.origin else where)
                                 for e in result.report.entries]  # in the manifest's terms
        result.report.notes = [f"{entry.name}: {n}" for n in result.report.notes]
        reports.append(result.report)
    report = Report(name, reports[0].from_version, reports[0].to_version)
    for r in reports:
        report.extend(r.entries)
        report.notes.extend(r.notes)
    output = manifest.dumps()
    report.changed = output != manifest.source.original
    return Result(output, report, manifest.source.original)
