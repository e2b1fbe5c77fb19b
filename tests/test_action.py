"""The composite GitHub Action (action.yml): its shape, and its run step (action/run.sh) executed with a
faked GITHUB_* environment, for validate and for pr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
GOOD = '[server]\nhostname = "am.example.com"\n'
TYPO = '[server]\nhostname = "am.example.com"\n\n[apim.throtling]\nenable_data_publishing = true\n'


def action() -> dict:
    return YAML(typ="safe").load((REPO / "action.yml").read_text())


def run_step(tmp_path: Path, workspace: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict, str]:
    """Run action/run.sh as the composite step does: INPUT_* from the step's env, GITHUB_* faked."""
    outputs, summary, runner_temp = tmp_path / "github_output", tmp_path / "step_summary.md", tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
        "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp), "GITHUB_ACTION_PATH": str(REPO), "GITHUB_ACTIONS": "true",
        "K8S_MIGRATE": f"{sys.executable} -m k8s_migrate", "PYTHONPATH": str(REPO),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    done = subprocess.run(
        ["bash", str(REPO / "action" / "run.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines()) if outputs.exists() else {}
    return done, found, summary.read_text() if summary.exists() else ""


def test_the_action_is_composite_and_hands_every_input_to_the_run_step():
    data = action()
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    run = next(s for s in steps if s.get("id") == "run")
    assert run["run"] == 'bash "$GITHUB_ACTION_PATH/action/run.sh"'
    for name in data["inputs"]:
        if name not in ("upload-sarif", "python-version"):
            assert run["env"][f"INPUT_{name.upper().replace('-', '_')}"] == f"${{{{ inputs.{name} }}}}"
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.run.outputs.sarif }}"
    assert any("pip install" in s.get("run", "") for s in steps)
    assert data["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"


def test_validate_writes_sarif_for_code_scanning_and_markdown_to_the_job_summary(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "nodes" / "gw").mkdir(parents=True)
    (workspace / "nodes" / "gw" / "deployment.toml").write_text(TYPO)
    (workspace / "nodes" / "cp").mkdir()
    (workspace / "nodes" / "cp" / "deployment.toml").write_text(GOOD)
    done, outputs, summary = run_step(tmp_path, workspace, command="validate", paths="nodes", to_version="4.6")
    assert done.returncode == 0, done.stderr
    assert outputs["exit-code"] == "1"
    sarif_path = Path(outputs["sarif"])
    assert sarif_path == workspace / ".." / "results" / "k8s-migrate.sarif"
    results = json.loads(sarif_path.read_text())["runs"][0]["results"]
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("nodes/gw/deployment.toml", 4)]
    assert "## k8s-migrate validate" in summary and "| `nodes/cp/deployment.toml` | 4.6.0 | 0 | 0 | 0 |" in summary


def test_validate_with_clean_files_exits_0_and_globs_work(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "a").mkdir(parents=True)
    (workspace / "a" / "deployment.toml").write_text(GOOD)
    done, outputs, summary = run_step(
        tmp_path, workspace, command="validate", paths="**/deployment.toml", version="4.6"
    )
    assert (done.returncode, outputs["exit-code"]) == (0, "0"), done.stderr
    assert "1 file: 0 errors" in summary


def test_an_unknown_command_fails_the_step(tmp_path):
    done, _, _ = run_step(tmp_path, tmp_path, command="deploy")
    assert done.returncode == 2 and "validate or pr" in done.stdout


def test_pr_on_a_schedule_commits_a_branch_and_puts_the_body_in_the_summary(tmp_path):
    workspace = tmp_path / "gitops"
    workspace.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    env = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=workspace, check=True, env=env)
    (workspace / "deployment.toml").write_text('[server]\nhostname = "am.example.com"\n\n[apim.ai]\ntoken = "abc"\n')
    subprocess.run([*git, "add", "."], cwd=workspace, check=True, env=env)
    subprocess.run([*git, "commit", "-q", "-m", "4.3 config"], cwd=workspace, check=True, env=env)
    done, outputs, summary = run_step(tmp_path, workspace, command="pr", paths=".", to_version="4.6",
                                      args="--from 4.3")
    assert (done.returncode, outputs["exit-code"]) == (0, "0"), done.stdout + done.stderr
    assert "apim.ai.token" in summary
    branches = subprocess.run(
        ["git", "branch", "--list"], cwd=workspace, capture_output=True, text=True, env=env
    ).stdout
    assert "k8s-migrate/" in branches


def test_pr_needs_a_target_version(tmp_path):
    done, _, _ = run_step(tmp_path, tmp_path, command="pr")
    assert done.returncode == 2 and "to-version" in done.stdout
