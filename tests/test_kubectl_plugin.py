"""The kubectl plugin: `kubectl-apim_migrate` on PATH makes `kubectl apim-migrate` work (real kubectl)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
kubectl = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(kubectl is None, reason="kubectl is not installed")


def plugin_env(tmp_path: Path) -> dict[str, str]:
    """A PATH holding only the plugin (as pip would install the console script), plus what kubectl needs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "kubectl-apim_migrate"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m k8s_migrate "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["KUBECONFIG"] = str(tmp_path / "no-kubeconfig")
    return env


def run(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl, *args], env=env, input=stdin, capture_output=True, timeout=60)


@needs_kubectl
def test_kubectl_lists_the_plugin(tmp_path):
    done = run(["plugin", "list"], plugin_env(tmp_path))
    assert str(tmp_path / "bin" / "kubectl-apim_migrate") in done.stdout.decode(), done.stderr.decode()


@needs_kubectl
def test_kubectl_runs_the_plugin(tmp_path):
    env = plugin_env(tmp_path)
    done = run(["apim-migrate", "--help"], env)
    assert done.returncode == 0, done.stderr.decode()
    assert b"configmap" in done.stdout and b"batch" in done.stdout
    toml = b'[server]\nhostname = "apim.example.com"\n\n[integration.transaction_counter]\nenable = true\n'
    done = run(["apim-migrate", "toml", "-", "--from", "4.3", "--to", "4.4", "--mode", "edit", "-q"], env, toml)
    assert done.returncode == 0, done.stderr.decode()
    assert b"[apim.transaction_counter]" in done.stdout


def test_helm_plugin_script(tmp_path):
    """plugin.yaml points at the script; 'release REL' pipes `helm get values` into `values -`."""
    from ruamel.yaml import YAML

    plugin = YAML(typ="safe").load((REPO / "helm-plugin" / "plugin.yaml").read_text())
    assert plugin["name"] == "apim-migrate" and plugin["command"] == "$HELM_PLUGIN_DIR/apim-migrate.sh"
    env = plugin_env(tmp_path)
    fake_helm = tmp_path / "bin" / "fake-helm"
    fake_helm.write_text('#!/bin/sh\necho "$@" > "$0.args"\nprintf "wso2:\\n  apim: {}\\n"\n')
    fake_helm.chmod(0o755)
    env.update(HELM_PLUGIN_DIR=str(REPO / "helm-plugin"), HELM_BIN=str(fake_helm), HELM_NAMESPACE="apim")
    script = str(REPO / "helm-plugin" / "apim-migrate.sh")
    done = subprocess.run([script, "--help"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0 and b"configmap" in done.stdout
    done = subprocess.run([script, "release", "my-apim", "--chart", "no-such-chart", "--to-chart", "x"],
                          env=env, capture_output=True, timeout=60)
    assert (tmp_path / "bin" / "fake-helm.args").read_text().split() == ["get", "values", "my-apim", "-o", "yaml",
                                                                         "--namespace", "apim"]
    assert done.returncode == 2 and done.stderr.decode().startswith("k8s-migrate: error:")


def test_helm_plugin_without_the_tool_says_how_to_install_it(tmp_path):
    """No k8s-migrate on PATH and a python without it: one line on how to install, no traceback."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    bare_python = bin_dir / "python-without-k8s-migrate"
    bare_python.write_text("#!/bin/sh\nexit 1\n")
    bare_python.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin", "PYTHON": str(bare_python),
           "HELM_PLUGIN_DIR": str(REPO / "helm-plugin")}
    done = subprocess.run([str(REPO / "helm-plugin" / "apim-migrate.sh"), "--help"], env=env,
                          capture_output=True, timeout=60)
    lines = done.stderr.decode().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr.decode()
    assert lines[0].startswith("k8s-migrate: error: k8s-migrate is not installed") and "pip install" in lines[0]
    assert done.stdout == b""
