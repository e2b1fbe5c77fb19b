"""`k8s-migrate batch`: every deployment.toml, ConfigMap and values file under a directory, as one fleet."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn, Optional

from ..errors import Exit, UsageError
from .common import (
    ANSWERS,
    CHECK,
    FOLLOW,
    KEEP_OLD,
    PROFILE,
    QUIET,
    REPORT,
    SHOW_SECRETS,
    STRICT,
    VERBOSE,
    Delivery,
    check_report_path,
    fail,
    finish,
    parse_mode,
)
from .params import Argument, Option

if TYPE_CHECKING:
    from ..batch.run import BatchResult
    from ..batch.worker import Target
    from ..request import Request


def register(app) -> None:
    app.command("batch")(batch_command)


def batch_command(
    directory: str = Argument(..., help="The directory to migrate (a GitOps repository, a folder of nodes)."),
    to_version: str = Option(..., "--to", help="The API-M version to migrate to, e.g. 4.6.0."),
    from_version: Optional[str] = Option(
        None,
        "--from",
        help=(
            "The API-M version of every file (a manifest entry can say it per file; left out: detected per file, with "
            "the evidence in the report)."
        ),
    ),
    output: Optional[str] = Option(None, "-o", "--output", help="Mirror the tree into this directory."),
    in_place: bool = Option(False, "--in-place", help="Rewrite the files where they are (atomically)."),
    backup: bool = Option(False, "--backup", help="With --in-place, keep each original as FILE.bak."),
    workers: Optional[int] = Option(None, "--workers", help="Migrating processes, this one too (default: 1 per CPU)."),
    manifest: Optional[str] = Option(
        None, "--manifest", help="YAML: files: [{glob, from, to, profile, kind, chart, to_chart}], known_hosts: [...]"
    ),
    chart: Optional[str] = Option(
        None, "--chart", help="The chart of the values files (else a manifest entry or the neighbouring Chart.yaml)."
    ),
    to_chart: Optional[str] = Option(None, "--to-chart", help="The chart to migrate the values files to."),
    profile: Optional[str] = PROFILE,
    mode: Optional[str] = Option(
        None, "--mode", help="rebase or edit (default: rebase for deployment.toml, edit for ConfigMaps)."
    ),
    keep_old_defaults: bool = KEEP_OLD, answers_file: Optional[str] = ANSWERS, report: Optional[str] = REPORT,
    check: bool = CHECK, strict: bool = STRICT, show_secrets: bool = SHOW_SECRETS, quiet: bool = QUIET,
    verbose: bool = VERBOSE, follow_symlinks: bool = FOLLOW,
) -> None:
    """Migrate a fleet: find the files, migrate them in parallel, check them against each other, one report."""
    from ..request import Request

    delivery = Delivery(directory, output, in_place, backup, report, False, check, strict, show_secrets, quiet,
                        follow_symlinks, verbose=verbose)
    request = Request(from_version, to_version, mode, profile, keep_old_defaults, chart=chart, to_chart=to_chart)
    deliver_fleet(migrate_fleet(request, answers_file, delivery, workers, manifest), delivery)


def migrate_fleet(request: Request, answers_file: Optional[str], d: Delivery, workers: Optional[int],
                  manifest: Optional[str]) -> BatchResult:
    """The batch's result: the options checked, the answers file read, every file migrated (and written when
    -o or --in-place asks); a usage error exits 2, Ctrl-C 130."""
    from pathlib import Path

    check_report_path(d.report)
    try:
        from ..answers import load_answers
        from ..batch.discovery import read_batch_manifest
        from ..batch.run import Interrupted, answered_batch

        if not Path(d.file).is_dir():
            raise UsageError("not a directory", d.file)
        if d.in_place and d.output:
            raise UsageError("give either --in-place or -o, not both")
        request = fleet_request(request, workers)
        answers = load_answers(answers_file, d.file)
        fleet = read_batch_manifest(manifest) if manifest else None
        try:
            return answered_batch(d.file, request, answers, fleet_target(d), workers, fleet)
        except Interrupted as stop:
            interrupted(stop, d.output or (d.file if d.in_place and not d.check else None))
    except UsageError as exc:
        fail(exc)


def fleet_request(request: Request, workers: Optional[int]) -> Request:
    """A fleet's request with --mode parsed and --profile by its canonical name; bad ones (and --workers) exit 2."""
    from dataclasses import replace

    request = replace(request, mode=parse_mode(request.mode))
    if workers is not None and workers < 1:
        raise UsageError("--workers must be 1 or more")
    if request.profile:
        from ..profiles import canonical

        request = replace(request, profile=canonical(request.profile))
    return request


def json_report(path: Optional[str]) -> bool:
    from ..report.renderers import render_json, renderer_for

    return path == "-" or bool(path) and renderer_for(path or "") is render_json


def fleet_target(d: Delivery) -> Target:
    """Where the batch writes: nothing with --check; the entries each worker sends back, as the report needs them."""
    from ..batch.worker import Target

    return Target(d.file, None if d.check else d.output, d.in_place and not d.check, d.backup,
                  full_reports=not d.quiet or (bool(d.report) and not json_report(d.report)),
                  json_entries=json_report(d.report), show_secrets=d.show_secrets)


def deliver_fleet(result: BatchResult, d: Delivery) -> None:
    """The report (--report, the text table on stderr), what was not written or failed, and the exit code."""
    from ..report.renderers import terminal_text

    shown = result.report.masked(d.show_secrets) if not d.quiet or (d.report and not json_report(d.report)) else None
    if d.report:
        try:
            write_fleet_report(result, d.report, shown, d.show_secrets, d.follow_symlinks)
        except UsageError as exc:
            fail(exc)
    if shown is not None and not d.quiet:
        sys.stderr.write(terminal_text(shown, d.verbose))
    if not (d.output or d.in_place or d.check or d.quiet):
        sys.stderr.write("k8s-migrate: nothing written; give -o OUTDIR or --in-place to write the results\n")
    if d.quiet:  # the report would have named them
        sys.stderr.write("".join(f"k8s-migrate: error: {failure.path}: {failure.error}\n" for failure in result.failed))
    if d.check and not result.failed:
        sys.stderr.write("".join(f"would migrate {r.path}\n" for r in result.results if r.changed))
    finish(result.exit_code(d.check, d.strict))


def write_fleet_report(result, path: str, shown, show_secrets: bool, follow_symlinks: bool) -> None:
    """--report: a JSON one streamed from the batch's spool (its entries were never all in memory), others whole."""
    from dataclasses import replace

    from ..output import write_atomic
    from ..report.renderers import json_chunks, render_for_path

    if result.spool is None:
        write_atomic(path, render_for_path(shown, path), allow_symlink_escape=follow_symlinks)
        return
    pieces = json_chunks(replace(result.report, entries=[]).masked(show_secrets), result.summary, result.spool)
    if path == "-":
        sys.stdout.writelines(pieces)
    else:
        write_atomic(path, pieces, allow_symlink_escape=follow_symlinks)


def interrupted(stop, destination: str | None) -> NoReturn:
    """Ctrl-C: say which files were written (each complete: written atomically) and which were not; exit 130."""
    written = [r.path for r in stop.results if r.written]
    missing = [r.path for r in stop.results if not r.written] + [job.path for job in stop.not_run]
    total = len(written) + len(missing)
    if destination is None:
        sys.stderr.write(f"k8s-migrate: interrupted after migrating {len(stop.results)} of "
                         f"{len(stop.results) + len(stop.not_run)} files; nothing was written\n")
        raise Exit(130)
    sys.stderr.write(f"k8s-migrate: interrupted: {len(written)} of {total} files written to {destination} "
                     f"(each one complete); not written ({len(missing)}):\n")
    sys.stderr.write("".join(f"  {path}\n" for path in missing))
    raise Exit(130)
