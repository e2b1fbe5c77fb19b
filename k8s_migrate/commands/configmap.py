"""`k8s-migrate configmap`: a Kubernetes manifest whose ConfigMaps embed a deployment.toml."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import ProofError, UsageError
from .common import (BACKUP, CHECK, DIFF, FOLLOW, FROM, IN_PLACE, KEEP_OLD, OUTPUT, PROFILE, QUIET, REPORT,
                     SHOW_SECRETS, STRICT, TO, Delivery, deliver, fail, fail_inconsistent)


def register(app: typer.Typer) -> None:
    app.command("configmap")(configmap_command)


def configmap_command(
    file: str = typer.Argument(..., help="The manifest (one or more YAML documents, or a kind: List), or - for stdin."),
    from_version: str = FROM,
    to_version: str = TO,
    profile: Optional[str] = PROFILE,
    mode: str = typer.Option("edit", "--mode", help="edit: the rules applied to the embedded file; rebase: the new stock file with your customisations."),
    keep_old_defaults: bool = KEEP_OLD,
    output: Optional[str] = OUTPUT, in_place: bool = IN_PLACE, backup: bool = BACKUP, report: Optional[str] = REPORT,
    diff: bool = DIFF, check: bool = CHECK, strict: bool = STRICT, show_secrets: bool = SHOW_SECRETS, quiet: bool = QUIET,
    follow_symlinks: bool = FOLLOW,
) -> None:
    """Migrate the deployment.toml embedded in ConfigMaps; the rest of the manifest stays as it was."""
    delivery = Delivery(file, output, in_place, backup, report, diff, check, strict, show_secrets, quiet, follow_symlinks)
    try:
        from ..formats.configmap import migrate_manifest
        from ..output import read_input
        from ..pipeline import Options

        if mode not in ("rebase", "edit"):
            raise UsageError(f"--mode must be rebase or edit, not {mode!r}")
        options = Options(from_version, to_version, mode=mode, profile=profile, keep_old_defaults=keep_old_defaults)
        result = migrate_manifest(read_input(file), file, options)
    except UsageError as exc:
        fail(exc)
    except ProofError as exc:
        fail_inconsistent(exc, delivery)
    deliver(result, delivery)
