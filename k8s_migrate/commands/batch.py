"""`k8s-migrate batch`: every deployment.toml, ConfigMap and values file under a directory, as one fleet."""

from __future__ import annotations

import sys
from typing import Optional

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
    check_report_path,
    fail,
    parse_mode,
)
from .params import Argument, Option


def register(app) -> None:
    app.command("batch")(batch_command)


# The options of `batch` are many and each is read once here (answers, masking, report streaming); the
# work itself is in batch/.
def batch_command(  # noqa: C901
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
    workers: Optional[int] = Option(None, "--workers", help="Worker processes (default: one per CPU)."),
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
    from pathlib import Path

    check_report_path(report)
    try:
        from ..answers import ask_needed, interactive, load_answers
        from ..batch.discovery import Defaults, read_manifest
        from ..batch.run import Interrupted, run_batch
        from ..batch.worker import Target
        from ..report.renderers import render_json, renderer_for, terminal_text

        if not Path(directory).is_dir():
            raise UsageError("not a directory", directory)
        if in_place and output:
            raise UsageError("give either --in-place or -o, not both")
        mode = parse_mode(mode)
        if workers is not None and workers < 1:
            raise UsageError("--workers must be 1 or more")
        if profile:
            from ..profiles import canonical

            profile = canonical(profile)
        answers = load_answers(answers_file, directory)
        defaults = Defaults(to_version, from_version, profile, mode, chart, to_chart,
                            answers.keep_old(keep_old_defaults), answers.context())
        json_report = report == "-" or bool(report) and renderer_for(report or "") is render_json
        target = Target(directory, None if check else output, in_place and not check, backup,
                        full_reports=not quiet or (bool(report) and not json_report), json_entries=json_report,
                        show_secrets=show_secrets)
        fleet = read_manifest(manifest) if manifest else None
        # a dry run first: the choices it needs are asked before anything is written
        if interactive() and ask_needed(run_batch(directory, defaults, Target(directory), workers, fleet), answers):
            defaults.answers = answers.context()
        try:
            result = run_batch(directory, defaults, target, workers, fleet)
        except Interrupted as stop:
            interrupted(stop, output or (directory if in_place and not check else None))
        shown = result.report.masked(show_secrets) if not quiet or (report and not json_report) else None
        if report:
            write_report(result, report, shown, show_secrets, follow_symlinks)
    except UsageError as exc:
        fail(exc)
    if shown is not None and not quiet:
        sys.stderr.write(terminal_text(shown, verbose))
    if not (output or in_place or check or quiet):
        sys.stderr.write("k8s-migrate: nothing written; give -o OUTDIR or --in-place to write the results\n")
    if result.failed:
        if quiet:  # the report would have named them
            for failure in result.failed:
                sys.stderr.write(f"k8s-migrate: error: {failure.path}: {failure.error}\n")
        raise Exit(3 if any(f.inconsistent for f in result.failed) else 2)
    if check:
        sys.stderr.write("".join(f"would migrate {r.path}\n" for r in result.results if r.changed))
    if (check and result.report.changed) or (strict and result.needs_attention()):
        raise Exit(1)


def write_report(result, path: str, shown, show_secrets: bool, follow_symlinks: bool) -> None:
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


def interrupted(stop, destination: str | None) -> None:
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
