"""`k8s-migrate xml`: API-M 2.x XML configuration (a repository/conf folder or one file) -> deployment.toml."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import ProofError, UsageError
from .common import (
    ANSWERS,
    CHECK,
    DIFF,
    FOLLOW,
    KEEP_OLD,
    OUTPUT,
    PROFILE,
    QUIET,
    REPORT,
    SHOW_SECRETS,
    STRICT,
    TO,
    VERBOSE,
    Delivery,
    deliver,
    fail,
    fail_inconsistent,
)


def register(app: typer.Typer) -> None:
    app.command("xml")(xml_command)


def xml_command(
    conf: str = typer.Argument(..., help="The old repository/conf folder, or one of its XML files."),
    from_version: str = typer.Option(..., "--from", help="The API-M 2.x version of the XML files, e.g. 2.6.0."),
    to_version: str = TO,
    profile: Optional[str] = PROFILE,
    onto: Optional[str] = typer.Option(
        None, "--onto", help="The new version's stock deployment.toml to build on (default: the built-in baseline)."
    ),
    keep_old_defaults: bool = KEEP_OLD,
    answers_file: Optional[str] = ANSWERS,
    output: Optional[str] = OUTPUT,
    in_place: bool = typer.Option(False, "--in-place", hidden=True),
    backup: bool = typer.Option(False, "--backup", hidden=True),
    report: Optional[str] = REPORT, diff: bool = DIFF, check: bool = CHECK, strict: bool = STRICT,
    show_secrets: bool = SHOW_SECRETS, quiet: bool = QUIET, verbose: bool = VERBOSE, follow_symlinks: bool = FOLLOW,
) -> None:
    """Migrate API-M 2.x XML configuration to a deployment.toml of a 3.x/4.x version."""
    delivery = Delivery(
        conf, output, False, False, report, diff, check, strict, show_secrets, quiet, follow_symlinks, verbose=verbose
    )
    try:
        if in_place or backup:
            raise UsageError(
                "--in-place does not apply to xml: the XML files stay as they are; write the deployment.toml with -o"
            )
        if conf == "-":
            raise UsageError("xml reads a repository/conf folder or an XML file, not stdin")
        from ..answers import load_answers, with_answers
        from ..migrate.toml import Options
        from ..migrate.xml import migrate_xml
        from ..output import read_input

        answers = load_answers(answers_file, conf)
        options = Options(from_version, to_version, "rebase", profile, keep_old_defaults,
                          onto=read_input(onto) if onto else None, onto_name=onto)
        result = with_answers(lambda a: migrate_xml(conf, options.answered(a)), answers)
    except UsageError as exc:
        fail(exc)
    except ProofError as exc:
        fail_inconsistent(exc, delivery)
    deliver(result, delivery)
