"""Plain git through subprocess. Every failure becomes a one-line UsageError (exit 2)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import UsageError

FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "k8s-migrate", "GIT_AUTHOR_EMAIL": "k8s-migrate@localhost",
                     "GIT_COMMITTER_NAME": "k8s-migrate", "GIT_COMMITTER_EMAIL": "k8s-migrate@localhost"}


def git(repo: str | Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              env={**os.environ, **(env or {})})
    except FileNotFoundError:
        raise UsageError("git is not installed (not on PATH)") from None
    if check and done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout).split()) or f"exit {done.returncode}"
        raise UsageError(f"git {args[0]} failed: {detail}")
    return done.stdout.strip() if done.returncode == 0 else ""


def repo_root(path: str | Path) -> Path:
    if not Path(path).is_dir():
        raise UsageError("not a directory", str(path))
    root = git(path, "rev-parse", "--show-toplevel", check=False)
    if not root:
        raise UsageError("not a git repository", str(path))
    return Path(root)


def current_branch(repo: Path) -> str:
    name = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if not name:
        raise UsageError("HEAD is detached; give --base BRANCH")
    return name


def commit_of(repo: Path, ref: str) -> str | None:
    return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False) or None


def branch_commit(repo: Path, branch: str) -> str | None:
    return commit_of(repo, f"refs/heads/{branch}")


def tree_of(repo: Path, commit: str) -> str:
    return git(repo, "rev-parse", f"{commit}^{{tree}}")


def is_ancestor(repo: Path, ancestor: str, commit: str) -> bool:
    return subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", ancestor, commit],
                          capture_output=True).returncode == 0


def identity_env(repo: Path) -> dict[str, str]:
    """The repository's own identity when it has one; a neutral one otherwise (commit-tree needs one)."""
    if git(repo, "config", "user.name", check=False) and git(repo, "config", "user.email", check=False):
        return {}
    return FALLBACK_IDENTITY


@contextmanager
def temporary_worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A detached worktree at ``commit`` in a temporary directory; the user's tree and index stay untouched."""
    with tempfile.TemporaryDirectory(prefix="k8s-migrate-pr-") as tmp:
        where = Path(tmp) / "worktree"
        git(repo, "worktree", "add", "--detach", "--quiet", str(where), commit)
        try:
            yield where
        finally:
            git(repo, "worktree", "remove", "--force", str(where), check=False)
            git(repo, "worktree", "prune", check=False)


def stage_tree(worktree: Path, paths: list[str]) -> str:
    """Stage ``paths`` in the worktree's own index and return the resulting tree."""
    if paths:
        git(worktree, "add", "--", *paths)
    return git(worktree, "write-tree")


def commit_tree(repo: Path, tree: str, parent: str, message: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), "commit-tree", tree, "-p", parent, "-F", "-"],
                              input=message, capture_output=True, text=True,
                              env={**os.environ, **identity_env(repo)})
    except FileNotFoundError:
        raise UsageError("git is not installed (not on PATH)") from None
    if done.returncode != 0:
        raise UsageError(f"git commit-tree failed: {' '.join(done.stderr.split())}")
    return done.stdout.strip()


def set_branch(repo: Path, branch: str, commit: str, old: str | None) -> None:
    git(repo, "update-ref", "-m", "k8s-migrate pr", f"refs/heads/{branch}", commit, old or "0" * 40)


def remote_url(repo: Path, remote: str) -> str:
    url = git(repo, "remote", "get-url", remote, check=False)
    if not url:
        raise UsageError(f"no remote named {remote!r} (give --remote)")
    return url


def push(repo: Path, remote: str, branch: str, force: bool) -> None:
    remote_url(repo, remote)
    lease = ["--force-with-lease"] if force else []
    git(repo, "push", "--quiet", *lease, remote, f"refs/heads/{branch}:refs/heads/{branch}")
