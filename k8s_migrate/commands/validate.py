"""`k8s-migrate validate FILE...`: check configuration against one API-M version, on every commit."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from ..errors import UsageError
from .common import FOLLOW, PROFILE, QUIET, SHOW_SECRETS, fail, finish


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)


def validate_command(
    files: List[str] = typer.Argument(
        ..., help="deployment.toml files, ConfigMap manifests or values files (- for stdin)."
    ),
    version: Optional[str] = typer.Option(
        None,
        "--version",
        envvar="K8S_MIGRATE_VERSION",
        help="The API-M version the files are for, e.g. 4.6 (a values file defaults to its chart's appVersion).",
    ),
    profile: Optional[str] = PROFILE,
    chart: Optional[str] = typer.Option(
        None,
        "--chart",
        help="The chart of the values files: a built-in id such as helm-apim/all-in-one@4.6.x, or a chart directory.",
    ),
    fail_on: str = typer.Option(
        "error", "--fail-on", help="Exit 1 on findings at or above this severity: error or warning."
    ),
    only: Optional[str] = typer.Option(
        None,
        "--only",
        help=(
            "Report only these kinds, comma-separated (unknown, alias, removed, deprecated, type, value, placeholder, "
            "required, schema, values-path, syntax)."
        ),
    ),
    reports: List[str] = typer.Option(
        [], "--report", help="Also write the findings here; .json, .md, .sarif or .txt picks the format. Repeatable."
    ),
    show_secrets: bool = SHOW_SECRETS,
    quiet: bool = QUIET,
    follow_symlinks: bool = FOLLOW,
) -> None:
    """Check deployment.toml files, ConfigMaps and values files against an API-M version: unknown keys
    (with a did-you-mean), old names, removed keys, wrong types, values outside WSO2's sets, malformed
    placeholders. Exit 1 on findings at or above --fail-on."""
    results = validate_files(files, version, profile, chart, fail_on, only, show_secrets)
    deliver_findings(results, reports, fail_on, quiet, follow_symlinks)


def validate_files(files: List[str], version: Optional[str], profile: Optional[str], chart: Optional[str],
                   fail_on: str, only: Optional[str], show_secrets: bool) -> list:
    """Each file's findings (of the kinds --only names), masked unless --show-secrets; bad options exit 2."""
    from ..output import read_input
    from ..validate import ValidateOptions, validate_file
    from ..validate.findings import FAIL_LEVELS, KINDS

    try:
        if fail_on not in FAIL_LEVELS:
            raise UsageError(f"--fail-on must be error or warning, not {fail_on!r}")
        kinds = {k.strip() for k in only.split(",")} if only else None
        if kinds and kinds - set(KINDS):
            raise UsageError(
                f"--only: unknown kind(s) {', '.join(sorted(kinds - set(KINDS)))} (known: {', '.join(KINDS)})"
            )
        if profile:
            from ..profiles import canonical

            profile = canonical(profile)
        options = ValidateOptions(version, profile, chart)
        results = []
        for name in files:
            result = validate_file(read_input(name), name, options).masked(show_secrets)
            if kinds:
                result.findings = [f for f in result.findings if f.kind in kinds]
            results.append(result)
    except UsageError as exc:
        fail(exc)
    return results


def deliver_findings(results: list, reports: List[str], fail_on: str, quiet: bool, follow_symlinks: bool) -> None:
    """Each --report, the findings on stdout (stderr when a report takes stdout), and the exit code."""
    from ..output import write_atomic
    from ..validate.findings import exit_code
    from ..validate.render import findings_text, render_for_path

    try:
        for path in reports:
            if path == "-":
                sys.stdout.write(render_for_path(results, ".json"))
            else:
                write_atomic(path, render_for_path(results, path), allow_symlink_escape=follow_symlinks)
    except UsageError as exc:
        fail(exc)
    if not quiet:
        (sys.stderr if "-" in reports else sys.stdout).write(findings_text(results))
    finish(exit_code(results, fail_on))
