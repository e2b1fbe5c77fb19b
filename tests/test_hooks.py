"""The pre-commit hooks (.pre-commit-hooks.yaml): what they match and run, and (with K8S_MIGRATE_LONG=1)
the real `pre-commit try-repo` against this checkout in a throwaway Git repository."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
GOOD = '[server]\nhostname = "am.example.com"\n'
TYPO = '[server]\nhostname = "am.example.com"\n\n[apim.throtling]\nenable_data_publishing = true\n'
OLD = '[server]\nhostname = "am.example.com"\n\n[apim.key_manager]\nenable_apikey_subscription_validation = true\n'  # gone in 4.4.0


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())}


def run_hook(hook_id: str, args: list[str], files: list[Path]):
    entry = shlex.split(hooks()[hook_id]["entry"])
    assert entry[0] == "k8s-migrate"
    return cli(*entry[1:], *args, *files)


def test_hooks_match_deployment_toml_and_configmaps_only():
    for hook in hooks().values():
        pattern = re.compile(hook["files"])
        assert hook["language"] == "python"
        for name in ("deployment.toml", "nodes/gw/deployment.toml", "k8s/wso2am-conf.yaml", "am-conf.yml"):
            assert pattern.search(name), (hook["id"], name)
        for name in ("values.yaml", "deployment.toml.bak", "README.md", "my-deployment.toml"):
            assert not pattern.search(name), (hook["id"], name)


def test_validate_hook_passes_a_good_file_and_fails_a_typo(tmp_path):
    good, bad = tmp_path / "a" / "deployment.toml", tmp_path / "b" / "deployment.toml"
    for path, text in ((good, GOOD), (bad, TYPO)):
        path.parent.mkdir()
        path.write_text(text)
    assert run_hook("k8s-migrate-validate", ["--version", "4.6"], [good]).code == 0
    failed = run_hook("k8s-migrate-validate", ["--version", "4.6"], [good, bad])
    assert failed.code == 1
    assert f"{bad}:4: error: unknown table [apim.throtling]" in failed.out


def test_validate_hook_takes_values_files_named_in_args(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("wso2:\n  apim:\n    portOffset: two\n")
    run = run_hook("k8s-migrate-validate", ["--version", "4.6", "--chart", "helm-apim/all-in-one@4.6.x", values], [])
    assert run.code == 1 and f"{values}:3: error: server.offset" in run.out


def test_check_hook_fails_a_file_not_yet_on_the_target_version(tmp_path):
    current, old = tmp_path / "deployment.toml", tmp_path / "old" / "deployment.toml"
    old.parent.mkdir()
    current.write_text(GOOD)
    old.write_text(OLD)
    assert run_hook("k8s-migrate-check", ["--version", "4.6"], [current]).code == 0
    failed = run_hook("k8s-migrate-check", ["--version", "4.6"], [current, old])
    assert failed.code == 1 and "removed in API-M 4.4.0" in failed.out
    assert run_hook("k8s-migrate-check", ["--version", "4.3"], [old]).code == 0  # 4.3 is its version


def git(repo: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                           *args], cwd=repo, env=env, capture_output=True, text=True)


@pytest.mark.skipif(not os.environ.get("K8S_MIGRATE_LONG"), reason="builds a virtualenv; set K8S_MIGRATE_LONG=1")
def test_pre_commit_try_repo_passes_one_commit_and_fails_the_next(tmp_path):
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if pre_commit is None:
        pytest.fail("pre-commit is not installed (it is in the test extra: pip install '.[test]')")
    repo = tmp_path / "gitops"
    repo.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "K8S_MIGRATE_VERSION": "4.6",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    assert git(repo, "init", "-q", env=env).returncode == 0
    conf = repo / "deployment.toml"

    def attempt(text: str, hook: str) -> subprocess.CompletedProcess:
        conf.write_text(text)
        git(repo, "add", "deployment.toml", env=env)
        return subprocess.run([pre_commit, "try-repo", str(REPO), hook], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=900)

    passing = attempt(GOOD, "k8s-migrate-validate")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert git(repo, "commit", "-q", "-m", "good", env=env).returncode == 0
    failing = attempt(TYPO, "k8s-migrate-validate")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "deployment.toml:4: error: unknown table [apim.throtling]" in failing.stdout
    check = attempt(OLD, "k8s-migrate-check")
    assert check.returncode == 1 and "removed in API-M 4.4.0" in check.stdout
