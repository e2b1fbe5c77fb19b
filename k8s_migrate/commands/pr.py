"""`k8s-migrate pr`: the migration of a GitOps repository as a branch, a commit and a pull request body."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ..counting import counted
from ..errors import UsageError
from .common import ANSWERS, KEEP_OLD, PROFILE, SHOW_SECRETS, fail


def register(app: typer.Typer) -> None:
    app.command("pr")(pr_command)


def pr_command(
    repo_dir: str = typer.Argument(..., help="The Git repository (or a folder in it) holding the configuration."),
    to_version: str = typer.Option(..., "--to", help="The API-M version to migrate to, e.g. 4.6.0."),
    from_version: Optional[str] = typer.Option(
        None, "--from", help="The API-M version of every file (a manifest entry can say it per file)."
    ),
    manifest: Optional[str] = typer.Option(
        None, "--manifest", help="YAML: files: [{glob, from, to, profile, kind, chart, to_chart}], known_hosts: [...]"
    ),
    chart: Optional[str] = typer.Option(
        None, "--chart", help="The chart of the values files (else a manifest entry or the neighbouring Chart.yaml)."
    ),
    to_chart: Optional[str] = typer.Option(None, "--to-chart", help="The chart to migrate the values files to."),
    profile: Optional[str] = PROFILE,
    mode: Optional[str] = typer.Option(
        None, "--mode", help="rebase or edit (default: rebase for deployment.toml, edit for ConfigMaps)."
    ),
    keep_old_defaults: bool = KEEP_OLD,
    answers_file: Optional[str] = ANSWERS,
    base: Optional[str] = typer.Option(None, "--base", help="The branch to start from (default: the current branch)."),
    branch: Optional[str] = typer.Option(
        None, "--branch", help="The branch to create or update (default: k8s-migrate/apim-<from>-to-<to>)."
    ),
    body_file: Optional[str] = typer.Option(None, "--body-file", help="Also write the PR body (Markdown) here."),
    push: bool = typer.Option(False, "--push", help="Push the branch to the remote with git."),
    remote: str = typer.Option("origin", "--remote", help="The remote --push and --open use."),
    open_pr: bool = typer.Option(False, "--open", help="Open the pull request with gh / glab (or print the command)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Migrating processes, this one too (default: 1 per CPU)."
    ),
    show_secrets: bool = SHOW_SECRETS,
) -> None:
    """Migrate a GitOps repository on a branch: one commit with the migrated files, and a PR body."""
    try:
        from pathlib import Path

        from ..answers import load_answers
        from ..batch.discovery import read_batch_manifest
        from ..gitops import git
        from ..gitops.pr import PullRequest, open_command, open_pull_request, run_open
        from ..output import write_atomic
        from ..request import Request
        from .batch import fleet_request

        request = fleet_request(Request(from_version, to_version, mode, profile, keep_old_defaults, chart=chart,
                                        to_chart=to_chart), workers)
        root = git.repo_root(repo_dir)
        if push or open_pr:
            git.remote_url(root, remote)  # fail before any work
        answers = load_answers(answers_file, root)
        fleet = read_batch_manifest(manifest) if manifest else None
        outcome = open_pull_request(PullRequest(repo_dir, request, answers, base, branch, fleet, workers, show_secrets,
                                                remote=remote))
        if outcome.branch is None:
            sys.stderr.write(
                f"k8s-migrate: nothing to migrate in {repo_dir} (base {outcome.base}); no branch created\n"
            )
            return
        if body_file:
            write_atomic(body_file, outcome.body)
        sys.stdout.write(outcome.body)
        what = f"committed {outcome.commit[:12]}" if outcome.commit else "no change since the last run; no new commit"
        sys.stderr.write(f"k8s-migrate: branch {outcome.branch} ({counted(len(outcome.files), 'file')}): {what}\n")
        if push:
            git.push(root, remote, outcome.branch, outcome.rewritten)
            sys.stderr.write(f"k8s-migrate: pushed {outcome.branch} to {remote}\n")
        if open_pr:
            if not push:
                sys.stderr.write("k8s-migrate: note: --open without --push; the branch must be on the remote first\n")
            target = body_file or str(Path(git.git(root, "rev-parse", "--absolute-git-dir")) / "k8s-migrate-pr-body.md")
            if not body_file:
                write_atomic(target, outcome.body)
            printed = run_open(root, open_command(root, remote, outcome, target), target)
            sys.stderr.write(f"k8s-migrate: no gh/glab on PATH; to open the pull request run:\n  {printed}\n"
                             if printed else "k8s-migrate: opened the pull request\n")
    except UsageError as exc:
        fail(exc)
