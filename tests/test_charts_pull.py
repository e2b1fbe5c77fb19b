"""`charts pull`: a chart repository (index.yaml + archives) served on 127.0.0.1 from a temp dir, built from a
reference chart; the pulled chart lands in the XDG cache and render/verify use it."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from k8s_migrate.charts import pull as pull_module
from tests.helpers import cli

CHART_ID = "helm-apim/all-in-one@4.6.x"
VALUES = Path(__file__).parent / "golden" / "values" / "repro-5-duplicate-keys-last-wins" / "input.yaml"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _archive(chart_dir: Path, top: str, extra: tuple[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        tar.add(chart_dir, arcname=top)
        if extra:
            info = tarfile.TarInfo(extra[0])
            info.size = len(extra[1])
            tar.addfile(info, io.BytesIO(extra[1]))
    return out.getvalue()


@pytest.fixture
def repository(reference_dir: Path, tmp_path: Path, monkeypatch):
    """Serve a repository; yields (url, folder, write_index(archive_bytes, digest=None))."""
    folder = tmp_path / "repo"
    folder.mkdir()
    chart_dir = reference_dir / "helm-apim/4.6.x/all-in-one"
    meta = YAML(typ="safe").load((chart_dir / "Chart.yaml").read_text())

    def publish(archive: bytes, digest: str | None = None) -> None:
        name = f"{meta['name']}-{meta['version']}.tgz"
        (folder / name).write_bytes(archive)
        entry = {"name": meta["name"], "version": meta["version"], "urls": [name],
                 "digest": digest or hashlib.sha256(archive).hexdigest()}
        older = {**entry, "version": "4.5.0-1", "urls": ["missing.tgz"], "digest": "0" * 64}
        index = {"apiVersion": "v1", "entries": {meta["name"]: [older, entry]}}
        with (folder / "index.yaml").open("w") as out:
            YAML(typ="safe").dump(index, out)

    publish(_archive(chart_dir, meta["name"]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("K8S_MIGRATE_REFERENCE", str(tmp_path / "no-reference"))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", publish, chart_dir, meta["name"]
    finally:
        server.shutdown()
        server.server_close()


def test_without_the_chart_the_message_names_charts_pull(repository):
    run = cli("render", VALUES, "--chart", CHART_ID)
    assert run.code == 2 and run.err.count("\n") == 1
    assert f"k8s-migrate charts pull {CHART_ID}" in run.err and "--chart-dir" not in run.err


@pytest.mark.parametrize("through_helm", [False, True], ids=["http", "helm-pull"])
def test_pull_then_render_and_verify_use_the_cache(repository, tmp_path, monkeypatch, through_helm):
    url, _, chart_dir, name = repository
    if through_helm:
        from k8s_migrate.charts.helm import helm_binary

        if helm_binary() is None:
            pytest.skip("no helm binary")
    else:
        monkeypatch.setattr("k8s_migrate.charts.helm.helm_binary", lambda: None)
    run = cli("charts", "pull", CHART_ID, "--repo", url)
    assert run.code == 0, run.err
    pulled = Path(run.out.strip())
    assert pulled == tmp_path / "cache" / "k8s-migrate" / "charts" / "helm-apim" / "all-in-one" / "4.6.x" / name
    assert (pulled / "confs/instance-1/deployment.toml").read_bytes() == (
        chart_dir / "confs/instance-1/deployment.toml"
    ).read_bytes()
    render = cli("render", VALUES, "--chart", CHART_ID)
    assert render.code == 0 and "[server]" in render.out, render.err
    check = cli("verify", VALUES, "--chart", CHART_ID, "--to-chart", CHART_ID)
    assert check.code == 0 and "verify: OK" in check.out, check.out + check.err


def test_a_digest_mismatch_caches_nothing(repository, tmp_path):
    url, publish, chart_dir, name = repository
    publish(_archive(chart_dir, name), digest="f" * 64)
    run = cli("charts", "pull", CHART_ID, "--repo", url)
    assert run.code == 2 and "sha256" in run.err and run.err.count("\n") == 1
    assert pull_module.cached_chart(CHART_ID) is None


def test_an_archive_reaching_outside_the_chart_is_refused(repository, monkeypatch):
    url, publish, chart_dir, name = repository
    monkeypatch.setattr("k8s_migrate.charts.helm.helm_binary", lambda: None)
    publish(_archive(chart_dir, name, ("../escape.txt", b"x")))
    run = cli("charts", "pull", CHART_ID, "--repo", url)
    assert run.code == 2 and "not a plain file inside the chart" in run.err
    assert pull_module.cached_chart(CHART_ID) is None


def test_an_unknown_branch_names_the_versions_there(repository):
    url = repository[0]
    run = cli("charts", "pull", "helm-apim/all-in-one@4.7.x", "--repo", url)
    assert run.code == 2 and "4.5.0-1" in run.err
