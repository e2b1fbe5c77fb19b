"""The whole batch: discover, migrate in a process pool (chunked), check the fleet, merge the reports."""

from __future__ import annotations

import gc
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

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

T = TypeVar("T")


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


FILES_PER_CHUNK = 16


def chunks(items: list[T], workers: int) -> list[list[T]]:
    """Several chunks per worker, so a slow file does not hold a whole share of the fleet, and with more than
    one worker smaller ones towards the end, so that no worker waits long for the last. At most
    FILES_PER_CHUNK: a chunk's outputs are committed together (worker.run_chunk) with two syncfs calls
    whatever its size, waits on the one filesystem the workers share. 1,000 files with -o made 250 such
    calls with one worker and about 296 with two at 8 files a chunk; 126 and about 180 at 16."""
    parts, start = [], 0
    while start < len(items):
        left = len(items) - (start if workers > 1 else 0)
        size = max(1, min(FILES_PER_CHUNK, left // (workers * 4)))
        parts.append(items[start:start + size])
        start += size
    return parts


class InOrder:
    """Results as they come, handed to ``finished`` in job order: each as soon as it and all before it are done."""

    def __init__(self, jobs: list[Job], target: Target, progress: Progress,
                 finished: Callable[[JobResult], None]):
        self.jobs, self.target, self.progress, self.finished = jobs, target, progress, finished
        self.results: dict[int, JobResult] = {}
        self.delivered = 0

    def deliver(self, indices: list[int], outcome: list[JobResult]) -> None:
        for i, result in zip(indices, outcome, strict=True):
            self.results[i] = result
            self.progress.advance(result.path)
        while self.delivered in self.results:
            self.finished(self.results[self.delivered])
            self.delivered += 1

    def run_here(self, indices: list[int]) -> None:
        self.deliver(indices, collected_chunk([self.jobs[i] for i in indices], self.target))

    def interrupted(self) -> Interrupted:
        return Interrupted([self.results[i] for i in sorted(self.results)],
                           [job for i, job in enumerate(self.jobs) if i not in self.results])

    def all(self) -> list[JobResult]:
        return [self.results[i] for i in range(len(self.jobs))]


FILES_PER_COLLECTION = 64
_migrated_since_collection = [0]


def collected_chunk(jobs: list[Job], target: Target) -> list[JobResult]:
    """run_chunk, with a full collection every FILES_PER_COLLECTION files. A migration leaves reference cycles
    that the collector's own schedule does not reach: without it a worker grows by 16 MB over 1,000 files,
    with it by 4 MB (the results it keeps). Collecting after every chunk costs a tenth more time."""
    results = run_chunk(jobs, target)
    _migrated_since_collection[0] += len(jobs)
    if _migrated_since_collection[0] >= FILES_PER_COLLECTION:
        settle()
    return results


def settle() -> None:
    """Collect, then freeze what is left (caches, results), so that no later collection walks it again and a
    forked worker shares it as it is, without copying the pages a walk would touch."""
    _migrated_since_collection[0] = 0
    gc.collect()
    gc.freeze()


def migrate_jobs(jobs: list[Job], target: Target, workers: int, progress: Progress,
                 finished: Callable[[JobResult], None] = lambda result: None) -> list[JobResult]:
    """Every job's result, in job order; ``finished`` is called with each, in that order, as soon as it and
    all before it are done."""
    fleet = InOrder(jobs, target, progress, finished)
    try:
        if workers <= 1 or len(jobs) <= 1:
            for n, part in enumerate(chunks(list(range(len(jobs))), 1)):
                fleet.run_here(part)
                if n == 0:
                    settle()  # the caches the first chunk filled
        else:
            migrate_beside_a_pool(fleet, workers)
    except KeyboardInterrupt:
        raise fleet.interrupted() from None
    finally:
        gc.unfreeze()
    return fleet.all()


def migrate_beside_a_pool(fleet: InOrder, workers: int) -> None:
    """This process is one of the N workers, beside a pool of N - 1. It first migrates, for real, the first
    file of each kind and version pair, which fills every cache a migration uses (catalogs, rule chains,
    parsed baselines, chart maps) once, before the pool forks and shares them; then it takes the next chunk
    the pool has not started, as the pool does, so both go through the fleet in order."""
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor, as_completed

    firsts = first_of_each_kind(fleet.jobs)
    if firsts:
        fleet.run_here(sorted(firsts))  # one chunk: one commit (two syncfs calls, not two for each file)
    settle()  # the caches these filled go to the workers
    parts = chunks([i for i in range(len(fleet.jobs)) if i not in firsts], workers)
    if not parts:
        return
    pool = ProcessPoolExecutor(max_workers=workers - 1, initializer=ignore_interrupts)
    futures = {pool.submit(collected_chunk, [fleet.jobs[i] for i in part], fleet.target): part for part in parts}
    waiting = set(futures)
    ready: deque[Future] = deque()  # filled by the pool's thread as chunks finish
    for future in futures:
        future.add_done_callback(ready.append)

    def deliver_ready() -> None:
        while ready:
            future = ready.popleft()
            if future in waiting and not future.cancelled():
                waiting.discard(future)
                fleet.deliver(futures[future], future.result())

    try:
        for future in futures:
            deliver_ready()
            if future.cancel():  # not started by the pool (one it started runs there, or already has)
                waiting.discard(future)
                fleet.run_here(futures[future])
        for future in as_completed(list(waiting)):
            waiting.discard(future)
            fleet.deliver(futures[future], future.result())
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)  # running chunks finish: no file is left half-done
        for future in waiting:
            if future.done() and not future.cancelled() and future.exception() is None:
                fleet.deliver(futures[future], future.result())
        raise
    finally:
        pool.shutdown(wait=True)


def first_of_each_kind(jobs: list[Job]) -> set[int]:
    """The first job of each kind and version pair (at most 16): the ones that fill the caches for the rest."""
    seen: set[tuple] = set()
    firsts: set[int] = set()
    for i, job in enumerate(jobs):
        request = job.request
        key = (job.kind, request.from_version, request.to_version, request.chart, request.to_chart, request.profile,
               request.mode)
        if job.error or key in seen or len(seen) >= 16:
            continue
        seen.add(key)
        firsts.add(i)
    return firsts


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
        result.counts = None  # counted: a fleet's results stay in memory to the end, so they keep only what is used
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
