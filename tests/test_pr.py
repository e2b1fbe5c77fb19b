"""`k8s-migrate pr`: a real Git repository (with a bare one as its remote) holding a values file and a
ConfigMap; the branch, its one commit, the re-run that adds nothing, the body, and --push."""

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import cli

FIXTURE = Path(__file__).parent / "fixtures" / "values" / "aio-4.2.x-custom.yaml"
CONFIGMAP = "real-world/cbabey-400-aio-configmap/wso2am-single-node-am-conf.yaml"
SECRETS = ("Am-Db-Pa55", "Sh-Db-Pa55", "wso2carbon")
MANIFEST = """files:
  - glob: "envs/*/values.yaml"
    chart: helm-apim/all-in-one@4.2.x
    to_chart: helm-apim/all-in-one@4.6.x
  - glob: "cm/*.yaml"
    kind: configmap
    from: "4.0.0"
"""
BRANCH = "k8s-migrate/apim-4.0.0+4.2.0-to-4.6.0"


def git(repo, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def gitops(tmp_path, reference_dir):
    remote, repo = tmp_path / "remote.git", tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "config", "user.name", "Tester")
    git(repo, "config", "user.email", "tester@example.com")
    (repo / "envs" / "prod").mkdir(parents=True)
    (repo / "cm").mkdir()
    shutil.copy(FIXTURE, repo / "envs" / "prod" / "values.yaml")
    shutil.copy(reference_dir / CONFIGMAP, repo / "cm" / "am-conf.yaml")
    (repo / "migrate-manifest.yaml").write_text(MANIFEST)
    (repo / ".k8s-migrate.yaml").write_text("keep_old_defaults: true\n")  # so the ConfigMap changes too
    (repo / "README.md").write_text("# fleet\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "fleet at 4.0/4.2")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    return repo, remote


def pr(repo, *extra):
    return cli("pr", repo, "--to", "4.6.0", "--manifest", repo / "migrate-manifest.yaml", "--workers", "1", *extra)


def test_pr_makes_one_branch_with_one_commit_of_the_migrated_files(gitops, tmp_path):
    repo, remote = gitops
    body_file = tmp_path / "body.md"
    head_before, status_before = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    first = pr(repo, "--body-file", body_file, "--push")
    assert first.code == 0, first.err
    assert git(repo, "branch", "--list", "k8s-migrate/*").split() == [BRANCH]
    assert git(repo, "rev-list", "--count", f"main..{BRANCH}") == "1"
    touched = git(repo, "diff", "--name-only", "main", BRANCH).split()
    assert sorted(touched) == ["cm/am-conf.yaml", "envs/prod/values.yaml", "k8s-migrate-report.md"]
    full = git(repo, "show", f"{BRANCH}:k8s-migrate-report.md")
    assert "### Manual steps" in full and "### Changes" in full and full.startswith("## Migrate WSO2 API-M")
    message = git(repo, "log", "-1", "--format=%B", BRANCH)
    assert message.startswith("Migrate WSO2 API-M configuration 4.0.0+4.2.0 -> 4.6.0")
    assert "- envs/prod/values.yaml:" in message and "- cm/am-conf.yaml:" in message
    # the user's checkout is untouched, and no worktree is left behind
    assert git(repo, "rev-parse", "HEAD") == head_before and git(repo, "status", "--porcelain") == status_before
    assert git(repo, "worktree", "list").count("\n") == 0
    # the body: summary, checklist, source links, no secret; on stdout and in the file
    body = body_file.read_text()
    assert body == first.out
    assert "### Summary" in body and "| `envs/prod/values.yaml` | values | yes |" in body
    assert "| `cm/am-conf.yaml` | configmap | yes |" in body
    assert "### Manual steps" in body and body.count("- [ ] ") >= 5
    assert (
        f"The full report (every renamed, moved and removed key, by rule) is `k8s-migrate-report.md` on branch `{BRANCH}`."
        in body
    )
    assert "r460-loadbalanced-failover" in body and "(https://github.com/wso2/" in body
    for secret in SECRETS:
        assert secret not in body
    # --push put the branch on the bare remote
    assert git(remote, "rev-parse", f"refs/heads/{BRANCH}") == git(repo, "rev-parse", BRANCH)

    tip = git(repo, "rev-parse", BRANCH)
    second = pr(repo, "--body-file", body_file)
    assert second.code == 0, second.err
    assert git(repo, "rev-parse", BRANCH) == tip
    assert "no new commit" in second.err
    assert body_file.read_text() == body


def test_pr_with_nothing_to_migrate_makes_no_branch(gitops):
    repo, _ = gitops
    empty = repo / "docs"
    empty.mkdir()
    (empty / "notes.yaml").write_text("a: 1\n")
    git(repo, "add", "docs")
    git(repo, "commit", "-q", "-m", "docs")
    run = cli("pr", empty, "--to", "4.6.0", "--workers", "1")
    assert run.code == 0 and run.out == ""
    assert "nothing to migrate" in run.err
    assert git(repo, "branch", "--list") == "* main"


def test_pr_errors_are_one_line(gitops, tmp_path):
    repo, _ = gitops
    not_git = tmp_path / "plain"
    not_git.mkdir()
    for run, text in ((cli("pr", not_git, "--to", "4.6.0"), "not a git repository"),
                      (pr(repo, "--base", "no-such-branch"), "no such base branch"),
                      (pr(repo, "--push", "--remote", "nowhere"), "no remote named")):
        assert run.code == 2, run.err
        assert text in run.err and run.err.count("\n") == 1 and "Traceback" not in run.err


def test_open_without_gh_prints_the_command(gitops, tmp_path, monkeypatch):
    repo, _ = gitops
    bin_dir = tmp_path / "bin"  # a PATH with git and nothing else: no gh, no glab
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", str(bin_dir))
    run = pr(repo, "--open", "--body-file", tmp_path / "b.md")
    assert run.code == 0, run.err
    assert (
        f"gh pr create --base main --head {BRANCH} --title" in run.err and f"--body-file {tmp_path / 'b.md'}" in run.err
    )


def test_the_body_fits_a_pull_request_and_asks_each_step_once():
    from k8s_migrate.gitops.body import BODY_LIMIT, render_body
    from k8s_migrate.report import Entry, Report

    report = Report("fleet", "4.2.0", "4.6.0")
    kinds = {}
    for i in range(1500):
        path = f"nodes/n{i:04d}/deployment.toml"
        kinds[path] = "toml"
        report.add(Entry("review", "apim.same.key", "apim.same.key", rule="r-same", message="the same step", file=path))
        report.add(Entry("review", f"apim.own.key{i}", f"apim.own.key{i}", rule="r-own", line=3,
                         message=f"a step only node {i} has " + "x" * 80, file=path))
    body = render_body(report, kinds, set(kinds), full_report="`k8s-migrate-report.md` on branch `b`")
    assert len(body) <= BODY_LIMIT < 65_536
    assert body.count("`apim.same.key`") == 1
    assert "in `nodes/n0000/deployment.toml`, `nodes/n0001/deployment.toml`" in body and "and 1495 more" in body
    assert body.rstrip().endswith("more steps in the full report") or "more files in the full report" in body
    assert "`k8s-migrate-report.md` on branch `b`" in body
