"""How a one-file run's process ends (cli.main): its output, exit code, and a profiler's file, all as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "deployment-3.2.0.toml"
ARGS = ["toml", str(EXAMPLE), "--from", "3.2.0", "--to", "4.6.0"]
FIXTURE = REPO / "tests" / "fixtures" / "values" / "aio-4.2.x-custom.yaml"


def process(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, *prefix, "-m", "k8s_migrate", *args], cwd=REPO, capture_output=True,
                          env=env, timeout=120)


def test_the_output_and_the_exit_code_are_those_of_the_run():
    for extra, code in (([], 0), (["--check"], 1)):
        done = process(*ARGS, *extra)
        same = cli(*ARGS, *extra)
        assert (done.returncode, done.stdout.decode(), done.stderr.decode()) == (code, same.out, same.err)
        assert len(done.stdout) > 1000 or extra


def test_verify_ends_with_its_output_and_exit_code(reference_dir):
    """verify is a one-file run too: both of its exit codes, as the in-process run gives them."""
    refused = reference_dir / "real-world" / "thomas-460-gw-values" / "apim-gw-values.yaml"
    for args, code in (([str(FIXTURE), "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart",
                         "helm-apim/all-in-one@4.2.x"], 0),
                       ([str(refused), "--chart", "helm-apim/gateway@4.6.x", "--to-chart", "helm-apim/gateway@4.7.x"], 1)):
        done = process("verify", *args)
        same = cli("verify", *args)
        assert (done.returncode, done.stdout.decode(), done.stderr.decode()) == (code, same.out, same.err)
        assert done.stdout.decode().endswith(("verify: OK\n", "verify: FAILED\n"))


def test_render_ends_with_its_output_and_exit_code():
    chart = REPO / "charts-fixtures" / "render" / "mini-chart"
    for args, code in (([str(chart / "values.yaml"), "--chart", str(chart)], 0),
                       ([str(chart / "values.yaml"), "--chart", str(chart), "--instance", "no-such-instance"], 2)):
        done = process("render", *args)
        same = cli("render", *args)
        assert (done.returncode, done.stdout.decode(), done.stderr.decode()) == (code, same.out, same.err)
        assert len(done.stdout) > 100 or code


def test_a_profiled_run_writes_its_profile(tmp_path):
    done = process(*ARGS, "-q", "-o", str(tmp_path / "out.toml"), prefix=("-m", "cProfile", "-o", str(tmp_path / "p")))
    assert done.returncode == 0 and (tmp_path / "out.toml").is_file()
    assert (tmp_path / "p").stat().st_size > 1000


def test_a_library_warning_is_not_printed(tmp_path):
    """ruamel.yaml puts a 'once' filter for its YAML 1.1 float warning ('1e3' has no dot) in front of the run's
    own on import; the operator sees the report, not the library's warning."""
    values = tmp_path / "values.yaml"
    values.write_text("wso2:\n  apim:\n    configurations:\n      ratio: 1e3\n")
    chart = REPO / "charts-fixtures" / "render" / "mini-chart"
    for args in (["values", str(values), "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart",
                  "helm-apim/all-in-one@4.6.x", "-q", "-o", str(tmp_path / "out.yaml")],
                 ["render", str(values), "--chart", str(chart)]):
        done = process(*args)
        assert done.returncode == 0, done.stderr.decode()
        assert done.stderr.decode() == ""
