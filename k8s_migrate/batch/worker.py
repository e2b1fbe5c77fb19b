"""Migrate one batch job, in a worker process: read, migrate through the kind's handler, write."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import ProofError, UsageError
from ..report import Report
from .discovery import Job

if TYPE_CHECKING:
    from ..output import StagedWrites


@dataclass
class Target:
    """Where outputs go: ``out_dir`` mirrors the tree, ``in_place`` rewrites, neither writes nothing."""

    root: str
    out_dir: str | None = None
    in_place: bool = False
    backup: bool = False
    full_reports: bool = True  # False: send back the report without its entries (nothing shows them; counts do)
    json_entries: bool = False  # render every entry for a JSON report here, in the worker (see JobResult)
    show_secrets: bool = False


@dataclass
class JobResult:
    path: str
    kind: str
    report: Report
    changed: bool = False
    written: str | None = None
    error: str | None = None
    facts: Any = None  # consistency.FileFacts: the keys the fleet checks read
    inconsistent: bool = False  # the proof failed: nothing written for this file (exit 3)
    counts: dict[str, int] | None = None  # entries per action of the whole report, however many came back
    entries_json: str | None = None  # Target.json_entries: every entry, masked unless show_secrets, as JSON


def toml_options(job: Job, mode: str):
    """The TOML migration's options for a job (``mode`` when the job names none)."""
    from ..migrate.toml import Options

    assert job.request.from_version, "run_job detects a version left out before it migrates"
    return replace(job.request.as_kind(Options), mode=job.request.mode or mode)


def migrate_toml_job(data: bytes, name: str, job: Job):
    from ..migrate.toml import migrate_toml

    return migrate_toml(data, name, toml_options(job, "rebase"))


def migrate_configmap_job(data: bytes, name: str, job: Job):
    from ..migrate.configmap import migrate_manifest

    return migrate_manifest(data, name, toml_options(job, "edit"))


def migrate_values_job(data: bytes, name: str, job: Job):
    from ..migrate.values import ValuesOptions, migrate_values
    from ..verify import prove_values

    options = job.request.as_kind(ValuesOptions)
    result = migrate_values(data, name, options)
    prove_values(data, name, *options.charts, result)  # as `values` does: before anything is written
    return result


HANDLERS: dict[str, Callable[[bytes, str, Job], Any]] = {
    "toml": migrate_toml_job,
    "configmap": migrate_configmap_job,
    "values": migrate_values_job,
}


def run_job(job: Job, target: Target, writes: StagedWrites | None = None) -> JobResult:
    """Never raises: a file that cannot be migrated comes back with ``error`` set. With ``writes`` a new
    output file is staged there, to be committed with the rest of its chunk."""
    if job.error:
        return failed(job, job.error)
    try:
        from ..output import read_input

        source = Path(target.root) / job.path
        data = read_input(str(source))
        notes: list[str] = []
        if job.request.from_version is None and job.kind in ("toml", "configmap"):
            version, notes = detected_job_version(data, job)
            job = replace(job, request=replace(job.request, from_version=version))
        result = HANDLERS[job.kind](data, job.path, job)
        result.report.notes[:0] = notes
        written = write_job_output(job, target, result.output, result.output != result.original, writes)
        from .consistency import facts_of

        facts = facts_of(result.report)
        report = result.report if target.full_reports else replace(result.report, entries=[])
        return JobResult(job.path, job.kind, report, result.report.changed, written, facts=facts,
                         counts=dict(Counter(e.action for e in result.report.entries)),
                         entries_json=rendered(result.report, target) if target.json_entries else None)
    except UsageError as exc:
        return failed(job, exc.message)
    except ProofError as exc:
        result = failed(job, " ".join(str(exc).split()))
        result.inconsistent = True
        return result
    except Exception as exc:  # one bad file must not stop the fleet
        return failed(job, f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}")


def write_job_output(job: Job, target: Target, output: str, changed: bool,
                     writes: StagedWrites | None = None) -> str | None:
    from ..output import write_atomic

    if target.out_dir:
        dest = Path(target.out_dir) / job.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if writes is not None:
            writes.write(str(dest), output)
        else:
            write_atomic(str(dest), output)
        return str(dest)
    if target.in_place and changed:
        dest = Path(target.root) / job.path
        write_atomic(str(dest), output, backup=target.backup, in_place=True)
        return str(dest)
    return None


def rendered(report: Report, target: Target) -> str:
    from ..report.renderers import entries_json

    return entries_json(report.masked(target.show_secrets).entries)


def detected_job_version(data: bytes, job: Job) -> tuple[str, list[str]]:
    """No --from and no manifest 'from': the version the file's keys show, or a per-file error."""
    from ..commands.detection import version_detection
    from ..detect import version_range

    found = version_detection(data, job.path, job.kind)
    if found.value:
        return found.value, [f"from {found.value} (detected: {'; '.join(found.evidence)})"]
    why = (f"it fits {version_range(found.candidates)} ({'; '.join(found.evidence)})" if found.candidates
           else "no key, server role, stock line or image tag in it names a version")
    raise UsageError(f"cannot tell which API-M version this file is for: {why}; give --from or a manifest "
                     "entry with 'from'")


def failed(job: Job, message: str) -> JobResult:
    report = Report(job.path, job.request.from_version or "?", job.request.to_version or "?")
    return JobResult(job.path, job.kind, report, error=message)


def run_chunk(jobs: list[Job], target: Target) -> list[JobResult]:
    """The chunk's results; its new output files are made durable together, after the last is migrated."""
    if not target.out_dir:
        return [run_job(job, target) for job in jobs]
    from ..output import StagedWrites

    writes = StagedWrites()
    try:
        results = [run_job(job, target, writes) for job in jobs]
        by_path = {result.written: i for i, result in enumerate(results) if result.written}
        for path, message in writes.commit():
            i = by_path[path]
            results[i] = failed(jobs[i], message)
        return results
    finally:
        writes.discard()
