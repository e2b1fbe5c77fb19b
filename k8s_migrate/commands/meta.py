"""`k8s-migrate version` and `k8s-migrate completion SHELL`."""

from __future__ import annotations

import sys

import typer

from ..errors import UsageError
from .common import fail

SHELLS = ("bash", "zsh", "fish")


def register(app: typer.Typer) -> None:
    app.command("version")(version_command)
    app.command("completion")(completion_command)


def version_command() -> None:
    """Print the tool's version and the data it carries: API-M versions, chart ids, rule count."""
    from ..about import version_text

    sys.stdout.write(version_text())


def completion_command(
    shell: str = typer.Argument(..., metavar="bash|zsh|fish", help="The shell to print the completion script for."),
) -> None:
    """Print a shell completion script.

    bash: source <(k8s-migrate completion bash) in ~/.bashrc.
    zsh: k8s-migrate completion zsh > "${fpath[1]}/_k8s-migrate".
    fish: k8s-migrate completion fish > ~/.config/fish/completions/k8s-migrate.fish.
    """
    if shell not in SHELLS:
        fail(UsageError(f"completion: unknown shell {shell!r} (choose from {', '.join(SHELLS)})"))
    from typer._completion_shared import get_completion_script

    script = get_completion_script(prog_name="k8s-migrate", complete_var="_K8S_MIGRATE_COMPLETE", shell=shell)
    sys.stdout.write(script.rstrip("\n") + "\n")
