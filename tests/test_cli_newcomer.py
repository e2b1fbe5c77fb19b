"""What a kubectl/helm user expects on a first run: normal help, version, completion, named placeholders."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from k8s_migrate.about import chart_ids, rule_count
from k8s_migrate.rules.load import load_packs

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ["toml", "values", "configmap", "batch", "render", "verify", "xml", "keys", "pr", "version",
            "completion", "rules list", "rules show", "rules lint", "rules new"]


@pytest.mark.parametrize("args", [[], ["rules"]])
def test_no_command_prints_the_normal_help(args):
    done = cli(*args)
    assert done.code == 0 and done.err == ""
    assert done.out.startswith(f"Usage: k8s-migrate {' '.join(args)}".rstrip() + " [OPTIONS] COMMAND")
    assert "\nCommands:\n" in done.out and "error" not in done.out
    assert len(done.out.splitlines()) > 8  # not squashed onto one line


def test_kubectl_plugin_without_a_command_prints_help(tmp_path):
    wrapper = tmp_path / "kubectl-apim_migrate"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m k8s_migrate "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([str(wrapper)], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith(b"Usage: ") and b"\nCommands:\n" in done.stdout


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_version_names_the_tool_and_its_data(args):
    done = cli(*args)
    assert done.code == 0 and done.out.startswith("k8s-migrate ")
    assert f"rules: {sum(len(p.rules) for p in load_packs())} in mappings/apim" in done.out
    for chart in chart_ids():
        assert f"  {chart}\n" in done.out
    assert re.search(r"API-M versions: 3\.0\.0, .*4\.6\.0", done.out)


def test_rule_count_matches_the_loader():
    assert rule_count() == sum(len(p.rules) for p in load_packs())


def test_version_does_not_load_the_migration_engine():
    code = ("import sys; sys.argv=['k8s-migrate','--version']; from k8s_migrate.cli import run_app; run_app(); "
            "heavy=[m for m in ('ruamel.yaml','tomlkit','deepdiff','k8s_migrate.migrate.toml','pydantic','typer',"
            "'importlib.metadata') if m in sys.modules]; "
            "sys.stderr.write(repr(heavy))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert done.stderr.decode() == "[]"


def test_the_version_printed_is_the_installed_distributions():
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("k8s-migrate")
    except PackageNotFoundError:
        pytest.skip("k8s-migrate is not installed in this interpreter")
    assert cli("version").out.splitlines()[0] == f"k8s-migrate {installed}"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script(shell):
    done = cli("completion", shell)
    assert done.code == 0 and "_K8S_MIGRATE_COMPLETE" in done.out and "k8s-migrate" in done.out


def test_completion_refuses_an_unknown_shell():
    done = cli("completion", "tcsh")
    assert (
        done.code == 2
        and done.err == "k8s-migrate: error: completion: unknown shell 'tcsh' (choose from bash, zsh, fish)\n"
    )


def test_bash_completion_completes_commands_and_options():
    env = dict(os.environ, PYTHONPATH=str(REPO), _K8S_MIGRATE_COMPLETE="complete_bash",
               COMP_WORDS="k8s-migrate to", COMP_CWORD="1")
    done = subprocess.run([sys.executable, "-m", "k8s_migrate"], env=env, capture_output=True, timeout=60)
    assert "toml" in done.stdout.decode().split(), done.stderr.decode()
    env.update(COMP_WORDS="k8s-migrate toml --pro", COMP_CWORD="2")
    done = subprocess.run([sys.executable, "-m", "k8s_migrate"], env=env, capture_output=True, timeout=60)
    assert "--profile" in done.stdout.decode().split()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_its_placeholders(command):
    done = cli(*command.split(), "--help")
    assert done.code == 0
    assert not re.search(r"\{\w+\}|<(str|int|float|bool|path)>|<list\[|\bTEXT\b", done.out), done.out
    assert done.out.startswith(f"Usage: k8s-migrate {command} [OPTIONS]")


@pytest.mark.parametrize("command", ["toml", "configmap"])
def test_help_lists_mode_and_profile_choices(command):
    out = " ".join(cli(command, "--help").out.split())
    assert "--mode rebase|edit" in out
    for profile in ("all-in-one", "control-plane", "gateway", "traffic-manager", "key-manager",
                    "api-publisher", "api-devportal"):
        assert f" {profile}," in out or f" {profile} (" in out


@pytest.mark.parametrize("columns", ["60", "80", "120"])
def test_help_never_breaks_an_id_mid_word(columns, monkeypatch):
    monkeypatch.setenv("COLUMNS", columns)
    for command in ([], ["values"], ["toml"]):
        out = cli(*command, "--help").out
        assert not re.search(r"[\w@.]-\n", out), out
        assert all(len(line) <= max(int(columns), 80) + 40 for line in out.splitlines())


def test_ci_runs_the_long_property_tests_and_fails_on_no_tests():
    script = (REPO / ".ci" / "run").read_text()
    assert script.index("export K8S_MIGRATE_LONG=1") < script.index("-m pytest")
    assert '"$code" -eq 5' in script and "exit 1" in script


def test_usage_errors_name_arguments_as_the_help_does():
    done = cli("toml")
    assert (
        done.code == 2 and done.err == "k8s-migrate: error: Missing argument 'FILE'. (see 'k8s-migrate toml --help')\n"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_short_options_first(command):
    out = cli(*command.split(), "--help").out
    assert "--help, -h" not in out and "  -h, --help" in out
