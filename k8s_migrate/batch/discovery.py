"""Which files a batch migrates: deployment.toml files, ConfigMaps that embed one, and values files."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..request import Request

TOML_NAMES = ("deployment.toml",)
YAML_SUFFIXES = (".yaml", ".yml")
CHART_FILE = "Chart.yaml"
SKIP_DIRS = {".git", "templates", "charts", "node_modules", "__pycache__"}


@dataclass
class Job:
    path: str  # relative to the batch root, with '/'
    kind: str  # toml | configmap | values
    request: Request  # the command line's for every file, with what a manifest entry or the file's folder says
    error: str | None = None  # set when the job cannot run (no version, no chart)


@dataclass
class Manifest:
    """``--manifest``: per-file settings by glob, and hosts the fleet defines outside its files."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    known_hosts: list[str] = field(default_factory=list)

    def settings_for(self, rel: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for entry in self.entries:
            if fnmatch.fnmatch(rel, entry["glob"]):
                found.update({k: v for k, v in entry.items() if k != "glob"})
        return found


MANIFEST_FIELDS = {"glob", "kind", "from", "to", "profile", "mode", "chart", "to_chart"}


def read_batch_manifest(path: str) -> Manifest:
    """A small YAML (or JSON) file: ``files: [{glob, kind?, from?, to?, profile?, chart?, to_chart?}]``,
    ``known_hosts: [...]``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the manifest: {' '.join(str(exc).split())}", path) from None
    if not isinstance(data, dict):
        raise UsageError("the manifest must be a mapping with 'files' and/or 'known_hosts'", path)
    entries = data.get("files") or []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "glob" not in entry:
            raise UsageError(f"files[{i}] needs a 'glob'", path)
        unknown = set(entry) - MANIFEST_FIELDS
        if unknown:
            raise UsageError(f"files[{i}]: unknown field(s) {', '.join(sorted(unknown))}", path)
        entry.update({k: str(v) for k, v in entry.items() if k in ("from", "to") and v is not None})
    return Manifest(list(entries), [str(h) for h in data.get("known_hosts") or []])


def candidate_files(root: Path) -> list[str]:
    """The paths, relative to ``root`` with '/', of the files a batch looks at: os.walk's order (a folder's files
    by name, then its folders by name), without following links to folders. One scandir per folder and no Path
    per file: a fleet of a thousand folders is walked before the first file is migrated, by the parent alone."""
    found: list[str] = []

    def walk(directory: str, rel: str) -> None:
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            return
        folders, names = [], []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                folders.append(entry)
            else:
                names.append(entry.name)
        for name in sorted(names):
            if name in TOML_NAMES or (name.endswith(YAML_SUFFIXES) and name != CHART_FILE):
                found.append(rel + name)
        for entry in sorted(folders, key=lambda e: e.name):
            if entry.name in SKIP_DIRS or entry.name.startswith(".") or is_link(entry):
                continue
            walk(entry.path, rel + entry.name + "/")

    walk(str(root), "")
    return found


def is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True


def kind_of(path: Path, settings: dict[str, Any], defaults: Request) -> str | None:
    """toml | configmap | values, or None for a file the batch leaves alone (``skip_reason`` says why)."""
    if settings.get("kind"):
        return settings["kind"]
    if path.name in TOML_NAMES or path.suffix == ".toml":
        return "toml"
    from ..formats.configmap import looks_like_configmap

    try:
        head = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if looks_like_configmap(head):
        return "configmap"
    if settings.get("chart") or defaults.chart or (path.parent / CHART_FILE).is_file():
        return "values"
    return None


def neighbour_chart(path: Path) -> str | None:
    chart = path.parent / CHART_FILE
    return str(path.parent) if chart.is_file() else None


@dataclass
class Skipped:
    path: str
    reason: str


def discover(root: Path, defaults: Request, manifest: Manifest | None = None) -> list[Job]:
    return discover_all(root, defaults, manifest)[0]


def discover_all(root: Path, defaults: Request, manifest: Manifest | None = None) -> tuple[list[Job], list[Skipped]]:
    """Every candidate file is a job or a skipped file with its reason (``defaults``: what the command line
    gives for every file; a manifest entry overrides it)."""
    manifest = manifest or Manifest()
    jobs, skipped = [], []
    requests: dict[tuple, Request] = {}  # jobs asking the same share one (a worker's chunk then carries it once)
    for rel in candidate_files(root):
        path = root / rel
        settings = manifest.settings_for(rel)
        kind = kind_of(path, settings, defaults)
        detected_chart = None
        if kind is None:
            detected_chart, reason = values_chart(path)
            if detected_chart is None or not (settings.get("to_chart") or defaults.to_chart):
                unmatched = " and matches no --manifest entry" if manifest.entries and not settings else ""
                skipped.append(Skipped(rel, reason + unmatched))
                continue
            kind = "values"
        asked = (settings.get("to") or defaults.to_version,
                 settings.get("from") or defaults.from_version,
                 settings.get("profile") or defaults.profile,
                 settings.get("mode") or defaults.mode,
                 (settings.get("chart") or defaults.chart or detected_chart
                  or (neighbour_chart(path) if kind == "values" else None)),
                 settings.get("to_chart") or defaults.to_chart)
        if asked not in requests:
            to_version, from_version, profile, mode, chart, to_chart = asked
            requests[asked] = replace(defaults, to_version=to_version, from_version=from_version, profile=profile,
                                      mode=mode, chart=chart, to_chart=to_chart)
        job = Job(rel, kind, requests[asked])
        job.error = missing_facts(job)
        jobs.append(job)
    return jobs, skipped


def values_chart(path: Path) -> tuple[str | None, str]:
    """A YAML file that is no ConfigMap and has no chart named: the built-in chart its values paths point at."""
    from ruamel.yaml import YAML

    from ..detect import detect_chart

    try:
        values = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - an unreadable YAML file is skipped, with the reason
        return None, "not YAML that k8s-migrate can read"
    if not isinstance(values, dict) or not values:
        return None, "not a ConfigMap with a deployment.toml, and no values file"
    try:
        found = detect_chart(values)
    except RecursionError:
        return None, "nested too deeply to read"
    if found.value:
        return found.value, f"a values file for {found.value} (detected); give --to-chart to migrate it"
    if found.candidates:
        return None, (f"a values file for one of {', '.join(found.candidates)}; give --chart and --to-chart "
                      "(or a manifest entry) to migrate it")
    return None, "not a ConfigMap with a deployment.toml, and its values paths match no built-in chart"


def missing_facts(job: Job) -> str | None:
    if job.kind == "values":
        if not job.request.chart:
            return "no chart for this values file: give --chart, a manifest entry, or keep it beside its Chart.yaml"
        if not job.request.to_chart:
            return "no target chart for this values file: give --to-chart or a manifest entry with to_chart"
    return None
