"""``k8s-migrate pr``: migrate a GitOps repository's files on a branch, commit them, and write the PR body.

The user's working tree and index are never touched: the migration runs in a temporary worktree at the
base branch, its result becomes a tree, and the branch gets a commit only when that tree is new.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..answers import Answers
from ..batch.discovery import Manifest
from ..batch.run import BatchResult, answered_batch
from ..batch.worker import Target
from ..errors import UsageError
from ..request import Request
from . import git
from .body import branch_name, commit_message, render_body, render_full_report, title


@dataclass
class PullRequest:
    repo: str  # REPO_DIR: the repository, or a folder inside it
    request: Request
    answers: Answers
    base: str | None = None
    branch: str | None = None
    manifest: Manifest | None = None
    workers: int | None = None
    show_secrets: bool = False
    remote: str = "origin"


@dataclass
class BranchUpdate:
    branch: str | None  # None: nothing to migrate, no branch
    commit: str | None = None  # the new commit; None when the branch already had this tree
    files: list[str] = field(default_factory=list)
    body: str = ""
    title: str = ""
    base: str = ""
    rewritten: bool = False  # the branch no longer descends from its old tip (the base moved)


def migrate_worktree(worktree: Path, sub: str, pr: PullRequest) -> BatchResult:
    """The batch, in place, in the worktree (after asking on a TTY for the choices it needs)."""
    where = str(worktree / sub)
    return answered_batch(where, pr.request, pr.answers, Target(where, in_place=True), pr.workers, pr.manifest)


def open_pull_request(pr: PullRequest) -> BranchUpdate:
    root = git.repo_root(pr.repo)
    sub = Path(pr.repo).resolve().relative_to(root.resolve()).as_posix()
    base = pr.base or git.current_branch(root)
    base_commit = git.commit_of(root, base)
    if base_commit is None:
        raise UsageError(f"no such base branch: {base}")
    with git.temporary_worktree(root, base_commit) as worktree:
        result = migrate_worktree(worktree, sub, pr)
        if result.failed:
            raise UsageError("; ".join(f"{r.path}: {r.error}" for r in result.failed[:3]))
        changed = [prefixed(sub, r.path) for r in result.results if r.changed and r.written]
        if not changed:
            return BranchUpdate(None, base=base)
        branch = pr.branch or branch_name(result.report)
        kinds = {r.path: r.kind for r in result.results}
        migrated = {r.path for r in result.results if r.changed}
        report_path = prefixed(sub, FULL_REPORT)
        (worktree / report_path).write_text(render_full_report(result.report, kinds, migrated, pr.show_secrets),
                                            encoding="utf-8")
        tree = git.stage_tree(worktree, [*changed, report_path])
    body = render_body(result.report, kinds, migrated, pr.show_secrets,
                       full_report=report_link(root, pr.remote, branch, report_path))
    outcome = BranchUpdate(branch, files=changed, body=body, title=title(result.report), base=base)
    tip = git.branch_commit(root, branch)
    if tip is not None and git.tree_of(root, tip) == tree:
        return outcome
    parent = tip if tip is not None and git.is_ancestor(root, base_commit, tip) else base_commit
    outcome.commit = git.commit_tree(root, tree, parent, commit_message(result.report, changed))
    outcome.rewritten = tip is not None and parent != tip
    git.set_branch(root, branch, outcome.commit, tip)
    return outcome


FULL_REPORT = "k8s-migrate-report.md"  # committed beside the migrated files


def report_link(repo: Path, remote: str, branch: str, path: str) -> str:
    """A Markdown link to the committed report on the branch (a web URL for GitHub and GitLab remotes)."""
    import re

    url = git.git(repo, "remote", "get-url", remote, check=False)
    m = re.match(r"^(?:https://|git@|ssh://git@)(github\.com|gitlab\.com)[:/](.+?)(?:\.git)?/?$", url)
    if m:
        host, project = m.groups()
        blob = "blob" if host == "github.com" else "-/blob"
        return f"[`{path}`](https://{host}/{project}/{blob}/{branch}/{path}) on branch `{branch}`"
    return f"`{path}` on branch `{branch}`"


def prefixed(sub: str, path: str) -> str:
    return path if sub in ("", ".") else f"{sub}/{path}"


def open_command(repo: Path, remote: str, outcome: BranchUpdate, body_file: str) -> list[str]:
    """gh for GitHub (and by default), glab when the remote is a GitLab."""
    url = git.git(repo, "remote", "get-url", remote, check=False)
    if "gitlab" in url and (shutil.which("glab") or not shutil.which("gh")):
        return ["glab", "mr", "create", "--target-branch", outcome.base, "--source-branch", outcome.branch or "",
                "--title", outcome.title, "--description", Path(body_file).read_text(encoding="utf-8")]
    return ["gh", "pr", "create", "--base", outcome.base, "--head", outcome.branch or "", "--title", outcome.title,
            "--body-file", body_file]


def printable(command: list[str], body_file: str) -> str:
    if command[0] == "glab":
        return shlex.join(command[:-2]) + f' --description "$(cat {shlex.quote(body_file)})"'
    return shlex.join(command)


def run_open(repo: Path, command: list[str], body_file: str) -> str | None:
    """Run the command when its CLI is on PATH; else return the command line for the user to run."""
    import subprocess

    if not shutil.which(command[0]):
        return printable(command, body_file)
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise UsageError(f"{command[0]} failed: {' '.join((done.stderr or done.stdout).split())}")
    return None
