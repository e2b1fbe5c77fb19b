"""The fast path (k8s_migrate.clispec): help pages and the migrating commands without typer, with the same
output and exit codes as the typer path, and a spec file that cannot drift from the typer app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from k8s_migrate import clispec
from k8s_migrate.cli import command

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "deployment-3.2.0.toml"
COMMANDS = [path.split() for path in clispec.load()["commands"]]


def typer_only(monkeypatch):
    monkeypatch.setattr(clispec, "dispatch", lambda argv: None)


def both(monkeypatch, *args, stdin=None):
    fast = cli(*args, stdin=stdin)
    with monkeypatch.context() as patch:
        typer_only(patch)
        slow = cli(*args, stdin=stdin)
    return fast, slow


def test_the_spec_file_is_what_the_typer_app_gives():
    assert clispec.build(command()) == clispec.load(), "run python scripts/write_cli_spec.py"
    pages, fast = clispec.split(clispec.build(command()))
    assert json.loads(Path(clispec.FAST_SPEC).read_text()) == fast and set(fast["commands"]) == set(clispec.FAST)
    assert json.loads(Path(clispec.SPEC).read_text()) == pages


def test_a_fast_run_reads_no_help_page(monkeypatch, tmp_path):
    """A migrating command's run parses the small file of parameters, not the help pages."""
    monkeypatch.setattr(clispec, "load", lambda: pytest.fail("read the help pages"))
    monkeypatch.setattr(clispec, "run", lambda callback, arguments: (callback, arguments))
    code = clispec.dispatch(["toml", str(tmp_path / "deployment.toml"), "--to", "4.6.0"])
    assert code[0] == "k8s_migrate.commands.toml:toml_command" and code[1]["to_version"] == "4.6.0"


def test_the_spec_names_every_command_and_the_fast_ones_are_there():
    assert [] in COMMANDS and ["toml"] in COMMANDS and ["rules", "list"] in COMMANDS
    assert all("params" in clispec.load()["commands"][name] for name in clispec.FAST)


@pytest.mark.parametrize("columns", ["40", "60", "80", "120"])
@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "(root)")
def test_help_is_what_typer_prints(path, columns, monkeypatch):
    monkeypatch.setenv("COLUMNS", columns)
    asks = [[*path, "--help"], [*path, "-h"]] + ([path] if clispec.load()["commands"][" ".join(path)]["group"] else [])
    for args in asks:
        fast, slow = both(monkeypatch, *args)
        assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err) == (0, slow.out, "")
        assert slow.out.startswith(f"Usage: {' '.join(['k8s-migrate', *path])} [OPTIONS]")


def test_help_is_answered_without_typer():
    code = ("import sys; sys.argv=['k8s-migrate','toml','--help']; from k8s_migrate.cli import run_app; "
            "assert run_app() == 0; sys.stderr.write(repr([m for m in ('typer', 'json', 'k8s_migrate.pipeline') "
            "if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert done.stderr.decode() == "[]"


def click_params(name: str, args: list[str]) -> dict:
    """What typer passes the command for these arguments: click's parse, with its tuples made lists."""
    cmd = command().commands[name]
    ctx = cmd.make_context(name, list(args))
    return {k: list(v) if isinstance(v, tuple) else v for k, v in ctx.params.items()}


PARSED = [
    ("toml", ["f.toml", "--to", "4.6"]),
    ("toml", ["--from", "3.2", "f.toml", "--to=4.6.0", "-o", "-", "-q", "--report", "r.json", "--mode", "edit"]),
    ("toml", ["-", "--to", "4.6", "--in-place", "--backup", "--diff", "--check", "--strict", "--show-secrets",
              "--verbose", "--follow-symlinks", "--keep-old-defaults", "--profile", "gateway", "--answers", "a.yaml",
              "--onto", "stock.toml", "--from", ""]),
    ("values", ["v.yaml", "--to-chart", "helm-apim/all-in-one@4.6.x"]),
    ("values", ["v.yaml", "--chart", "c", "--to-chart", "a", "--to-chart=b", "--set", "x=1", "--set", "y=2",
                "--verify", "--subchart", "wso2"]),
    ("configmap", ["cm.yaml", "--to", "4.6", "--mode", "rebase", "-v"]),
    ("batch", ["dir", "--to", "4.6", "--workers", "2", "--manifest", "m.yaml", "--check"]),
    ("batch", ["dir", "--to", "4.6", "--workers", " 3 "]),
    ("render", ["v.yaml", "--chart", "helm-apim/all-in-one@4.6.x", "--instance", "instance-1"]),
    ("render", ["-", "--chart", "c", "--release-name", "r", "--namespace", "n", "--chart-dir", "d", "--renderer",
                "helm"]),
    ("verify", ["v.yaml", "--chart", "a", "--to-chart", "b", "--set", "x=1", "--set", "y=2", "--show-secrets"]),
    ("verify", ["old.toml", "new.toml", "--from", "4.2", "--to", "4.6", "--report", "r.json", "--profile", "gw"]),
]


@pytest.mark.parametrize("name,args", PARSED)
def test_the_fast_parse_is_clicks(name, args):
    spec = clispec.load()["commands"][name]
    assert clispec.parse(spec["params"], args) == click_params(name, args)


LEFT_TO_TYPER = [
    ("toml", []), ("toml", ["f.toml"]), ("toml", ["f.toml", "g.toml", "--to", "4.6"]),
    ("toml", ["f.toml", "--to"]), ("toml", ["f.toml", "--to", "--from"]), ("toml", ["f.toml", "--to", "4.6", "--nope"]),
    ("toml", ["f.toml", "--to", "4.6", "--to", "4.5"]), ("toml", ["f.toml", "--to", "4.6", "-qv"]),
    ("toml", ["f.toml", "--to", "4.6", "--check=yes"]), ("toml", ["--", "f.toml", "--to", "4.6"]),
    ("toml", ["f.toml", "--to", "4.6", "--help"]), ("toml", ["f.toml", "-o=out", "--to", "4.6"]),
    ("values", ["v.yaml"]), ("batch", ["dir", "--to", "4.6", "--workers", "two"]),
    ("render", ["--chart", "c"]), ("verify", []), ("verify", ["a", "b", "c"]),
]


@pytest.mark.parametrize("name,args", LEFT_TO_TYPER)
def test_what_the_fast_parse_does_not_understand_goes_to_typer(name, args):
    assert clispec.parse(clispec.load()["commands"][name]["params"], args) is None


@pytest.mark.parametrize("args", [
    ["toml"], ["toml", "f.toml"], ["toml", "f.toml", "--to", "4.6", "--nope"], ["toml", "f.toml", "--to"],
    ["toml", "a", "b", "--to", "4.6"], ["values", "v.yaml"], ["batch", "dir", "--to", "4.6", "--workers", "two"],
    ["configmap", "--check=1", "x", "--to", "4.6"], ["nosuch"], ["--nope"], ["toml", "f.toml", "--to", "4.6", "-qx"],
])
def test_bad_usage_is_the_same_one_line_error(args, monkeypatch):
    fast, slow = both(monkeypatch, *args)
    assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err)
    assert fast.code == 2 and fast.err.startswith("k8s-migrate: error: ") and fast.err.count("\n") == 1


def run_cases(tmp: Path) -> list[list[str]]:
    broken = tmp / "broken.toml"
    broken.write_text("[server\nhostname = 1\n")
    return [
        ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0", "-q"],
        ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0", "--check", "-q"],
        ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0", "--diff", "--report", str(tmp / "r.json"), "-q"],
        ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0", "--mode", "sideways"],
        ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0", "--report", str(tmp / "r.docx")],
        ["toml", str(tmp / "missing.toml"), "--to", "4.6.0"],
        ["toml", str(broken), "--from", "4.2.0", "--to", "4.6.0"],
        ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "9.9.9"],
    ]


def test_a_migration_gives_the_same_output_report_and_exit_code(tmp_path, monkeypatch):
    codes = set()
    for args in run_cases(tmp_path):
        fast, slow = both(monkeypatch, *args)
        assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err), args
        codes.add(fast.code)
        if "--report" in args and fast.code == 0:
            first = (tmp_path / "r.json").read_text()
            assert first.startswith("{")
    assert codes == {0, 1, 2}


def test_stdin_is_read_the_same(monkeypatch):
    args = ["toml", "-", "--from", "3.2.0", "--to", "4.6.0", "-q"]
    fast, slow = both(monkeypatch, *args, stdin=EXAMPLE.read_bytes())
    assert fast.code == 0 and (fast.out, fast.err) == (slow.out, slow.err) and "[server]" in fast.out


def test_a_migration_runs_without_typer(tmp_path):
    code = (f"import sys; sys.argv=['k8s-migrate','toml',{str(EXAMPLE)!r},'--from','3.2.0','--to','4.6.0','-o',"
            f"{str(tmp_path / 'out.toml')!r},'-q']; from k8s_migrate.cli import run_app; code = run_app(); "
            "sys.stderr.write(repr((code, [m for m in ('typer', 'click') if m in sys.modules])))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=120)
    assert done.stderr.decode() == "(0, [])"
    assert (tmp_path / "out.toml").read_text().startswith(cli("toml", str(EXAMPLE), "--from", "3.2.0", "--to",
                                                              "4.6.0", "-q").out[:200])



def test_render_and_verify_answer_as_typer_does(tmp_path, monkeypatch):
    chart = REPO / "charts-fixtures" / "direct"
    migrated = cli("toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0", "-q", "-o", str(tmp_path / "new.toml"))
    assert migrated.code == 0
    cases = [
        ["render", str(chart / "values.yaml"), "--chart", str(chart)],
        ["render", str(chart / "values.yaml"), "--chart", str(chart), "--instance", "no-such-instance"],
        ["verify", str(EXAMPLE), str(tmp_path / "new.toml"), "--from", "3.2.0", "--to", "4.6.0"],
        ["verify", str(EXAMPLE), "--chart", str(chart)],
    ]
    codes = set()
    for args in cases:
        fast, slow = both(monkeypatch, *args)
        assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err), args
        codes.add(fast.code)
    assert codes == {0, 2}


def test_a_render_loads_only_what_rendering_needs():
    chart = REPO / "charts-fixtures" / "render" / "mini-chart"
    unneeded = ("typer", "dataclasses", "k8s_migrate.hub", "k8s_migrate.charts.chartmap", "k8s_migrate.commands.common",
                "k8s_migrate.verify")
    code = (f"import sys, io, contextlib; sys.argv=['k8s-migrate','render',{str(chart / 'values.yaml')!r},'--chart',"
            f"{str(chart)!r}]; from k8s_migrate.cli import run_app\nwith contextlib.redirect_stdout(io.StringIO()): "
            f"code = run_app()\nsys.stderr.write(repr((code, [m for m in {unneeded!r} if m in sys.modules])))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert done.stderr.decode() == "(0, [])"
