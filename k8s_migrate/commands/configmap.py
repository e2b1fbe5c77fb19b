"""`k8s-migrate configmap`: a Kubernetes manifest whose ConfigMaps embed a deployment.toml."""

from __future__ import annotations

from typing import Optional

from ..errors import ProofError, UsageError
from ..inputs import label as input_name
from .common import (
    ANSWERS,
    BACKUP,
    CHECK,
    DIFF,
    FOLLOW,
    FROM,
    IN_PLACE,
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
    parse_mode,
)
from .params import Argument, Option


def register(app) -> None:
    app.command("configmap")(configmap_command)


def configmap_command(
    file: str = Argument(..., help="The manifest (one or more YAML documents, or a kind: List), or - for stdin."),
    from_version: Optional[str] = FROM,
    to_version: str = TO,
    profile: Optional[str] = PROFILE,
    mode: str = Option(
        "edit",
        "--mode",
        help="edit: the rules applied to the embedded file; rebase: the new stock file with your customisations.",
    ),
    keep_old_defaults: bool = KEEP_OLD, answers_file: Optional[str] = ANSWERS, output: Optional[str] = OUTPUT,
    in_place: bool = IN_PLACE, backup: bool = BACKUP, report: Optional[str] = REPORT, diff: bool = DIFF,
    check: bool = CHECK, strict: bool = STRICT, show_secrets: bool = SHOW_SECRETS, quiet: bool = QUIET,
    verbose: bool = VERBOSE, follow_symlinks: bool = FOLLOW,
) -> None:
    """Migrate the deployment.toml embedded in ConfigMaps; the rest of the manifest stays as it was."""
    delivery = Delivery(
        file, output, in_place, backup, report, diff, check, strict, show_secrets, quiet, follow_symlinks,
        verbose=verbose,
    )
    try:
        mode = parse_mode(mode)
        from ..answers import load_answers, with_answers
        from ..migrate.configmap import migrate_manifest
        from ..migrate.toml import Options
        from ..output import read_input
        from .detection import add_notes, check_kind, fragment_note, resolve_from

        data = read_input(file)
        check_kind(data, file, "configmap")
        answers = load_answers(answers_file, None if file == "-" else file)
        from_version, notes = resolve_from(data, file, from_version, "configmap", answers, quiet)
        notes[:0] = fragment_note(data, file, from_version, "configmap", mode)
        options = Options(from_version, to_version, mode, profile, keep_old_defaults)
        result = with_answers(lambda a: migrate_manifest(data, input_name(file), options.answered(a)), answers)
        add_notes(result, notes)
    except UsageError as exc:
        fail(exc)
    except ProofError as exc:
        fail_inconsistent(exc, delivery)
    deliver(result, delivery)
