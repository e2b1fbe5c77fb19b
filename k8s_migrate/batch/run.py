"""The whole batch: discover, migrate in a process pool (chunked), check the fleet, merge the reports."""

from __future__ import annotations

import gc
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..counting import counted
from ..report import ACTIONS, ATTENTION, Entry, Report, exit_code, merge_reports
from ..report.renderers import EntrySpool, entries_json
from ..request import Request
from .consistency import check_fleet_facts
from .discovery import Job, Manifest, Skipped, discover_all
from .progress import Progress
from .worker import JobResult, Target, run_chunk

if TYPE_CHECKING:
    from ..answers import Answers


@dataclass
class BatchResult:
    report: Report
    results: list[JobResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)  # the counts of every entry, also those not kept
    spool: EntrySpool | None = None  # Target.json_entries: every entry, rendered, in report order

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.error]

    def needs_attention(self) -> bool:
        return any(self.summary.get(action) for action in ATTENTION)

    def exit_code(self, check: bool = False, strict: bool = False) -> int:
        """3 when a file's proof failed, 2 when a file could not be migrated, else the fleet report's code."""
        if self.failed:
            return 3 if any(f.inconsistent for f in self.failed) else 2
        return exit_code(check=check, changed=self.report.changed, strict=strict, attention=self.needs_attention())


class Interrupted(Exception):
    """Ctrl-C during a batch: the files migrated (and written) before it, and the jobs that were not run."""

    def __init__(self, results: list[JobResult], not_run: list[Job]):
        super().__init__("interrupted")
        self.results, self.not_run = results, not_run


def ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C to the parent, which lets running chunks finish and cancels the rest."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def chunks(jobs: list[Job], workers: int) -> list[list[Job]]:
    """Several chunks per worker, so a slow file does not hold a whole share of the fleet."""
    size = max(1, min(8, len(jobs) // (workers * 4) or 1))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def migrate_jobs(jobs: list[Job], target: Target, workers: int, progress: Progress,
                 finished: Callable[[JobResult], None] = lambda result: None) -> list[JobResult]:
    """Every job's result, in job order; ``finished`` is called with each, in that order, as soon as it and
    all before it are done."""
    if workers <= 1 or len(jobs) <= 1:
        results: list[JobResult] = []
        try:
            for part in chunks(jobs, 1):
                for result in run_chunk(part, target):
                    results.append(result)
                    finished(result)
                    progress.advance(result.path)
                if len(results) == len(part):
                    gc.freeze()  # the caches the first chunk filled: no collection needs to walk them again
        except KeyboardInterrupt:
            raise Interrupted(results, jobs[len(results):]) from None
        finally:
            gc.unfreeze()
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed

    warm_up(jobs, target.root)
    gc.freeze()  # the warmed caches go to the workers as they are, not walked (and so copied) by their collections
    parts = chunks(jobs, workers)
    done: dict[int, list[JobResult]] = {}
    delivered = 0
    pool = ProcessPoolExecutor(max_workers=workers, initializer=ignore_interrupts)
    try:
        futures = {pool.submit(run_chunk, part, target): i for i, part in enumerate(parts)}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            for result in done[futures[future]]:
                progress.advance(result.path)
            while delivered in done:
                for result in done[delivered]:
                    finished(result)
                delivered += 1
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)  # running chunks finish: no file is left half-done
        for future, i in futures.items():
            if i not in done and future.done() and not future.cancelled() and future.exception() is None:
                done[i] = future.result()
        completed = [r for i in sorted(done) for r in done[i]]
        raise Interrupted(completed, [job for i, part in enumerate(parts) if i not in done for job in part]) from None
    finally:
        pool.shutdown(wait=True)
        gc.unfreeze()
    return [r for i in range(len(parts)) for r in done[i]]


def warm_up(jobs: list[Job], root: str) -> None:
    """Before the pool forks, migrate one file of each kind and version pair without writing it, so
    every cache a migration fills (catalogs, rule chains, parsed baselines, the stock file through the
    rules, chart maps) is built once here and shared by the workers instead of rebuilt in each."""
    seen: set[tuple] = set()
    for job in jobs:
        request = job.request
        key = (job.kind, request.from_version, request.to_version, request.chart, request.to_chart, request.profile,
               request.mode)
        if job.error or key in seen or len(seen) >= 16:
            continue
        seen.add(key)
        run_chunk([job], Target(root))  # a dry run: Target without out_dir or in_place writes nothing


def answered_batch(root: str, request: Request, answers: Answers, target: Target, workers: int | None = None,
                   manifest: Manifest | None = None) -> BatchResult:
    """The batch with the answers file's choices; on a TTY a run that writes nothing asks for those it needs first."""
    from ..answers import with_answers

    return with_answers(lambda a: run_batch(root, request.answered(a), target, workers, manifest), answers,
                        rehearsal=lambda a: run_batch(root, request.answered(a), Target(root), workers, manifest))


def run_batch(root: str, defaults: Request, target: Target, workers: int | None = None,
              manifest: Manifest | None = None, progress: Progress | None = None) -> BatchResult:
    manifest = manifest or Manifest()
    jobs, skipped = discover_all(Path(root), defaults, manifest)
    workers = workers or os.cpu_count() or 1
    progress = progress or Progress(len(jobs))
    spool = EntrySpool() if target.json_entries else None
    counts: Counter[str] = Counter()

    def finished(result: JobResult) -> None:
        counts.update(result.counts or {})
        if spool is not None:
            spool.add(result.entries_json or "")
            result.entries_json = None

    try:
        results = migrate_jobs(jobs, target, workers, progress, finished)
    finally:
        progress.close()
    report = merge_reports([r.report for r in results if not r.error], label=root)
    report.to_version = report.to_version or defaults.to_version or ""
    tail = [Entry("review", None, None, rule="batch-error", message=f"not migrated: {r.error}", file=r.path)
            for r in results if r.error]
    tail += check_fleet_facts([r.facts for r in results if not r.error and r.facts], manifest.known_hosts)
    report.extend(tail)
    counts.update(e.action for e in tail)
    if spool is not None:
        for entry in tail:  # one at a time: a fleet of thousands of files can have thousands of these
            spool.add(entries_json([entry if target.show_secrets else entry.masked()]))
    report.notes[:0] = [f"{counted(len(jobs) + len(skipped), 'file')} found: {len(jobs)} migrated "
                        f"({sum(1 for r in results if r.changed)} changed, {len([r for r in results if r.error])} "
                        f"failed), {len(skipped)} skipped"]
    report.notes[1:1] = [f"skipped {s.path}: {s.reason}" for s in skipped]
    return BatchResult(report, results, skipped, {a: counts[a] for a in ACTIONS if counts[a]}, spool)
