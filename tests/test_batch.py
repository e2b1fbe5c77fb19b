"""`k8s-migrate batch`: a fleet migrates as one, each file on its own profile, checked against the others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from k8s_migrate.batch.discovery import Manifest, discover
from k8s_migrate.batch.progress import Progress
from k8s_migrate.batch.run import FILES_PER_CHUNK, chunks, run_batch
from k8s_migrate.batch.worker import Target
from k8s_migrate.request import Request

from helpers import cli

FLEET = Path(__file__).parent / "fixtures" / "fleet"


def fleet_rules(report: dict) -> list[tuple[str, str, str]]:
    return [(e["file"], e["rule"], e["old_key"]) for e in report["entries"]
            if (e.get("rule") or "").startswith(("fleet-", "batch-"))]


def test_real_distributed_nodes_migrate_as_one_batch(reference_dir, tmp_path):
    root = tmp_path / "fleet"
    for name in ("csdg-420-cp", "csdg-420-tm", "ibay-400-gw"):
        (root / name).mkdir(parents=True)
        shutil.copy(reference_dir / "real-world" / name / "deployment.toml", root / name)
    (tmp_path / "m.yaml").write_text(
        'files:\n  - {glob: "csdg-*/*", from: "4.2"}\n  - {glob: "ibay-*/*", from: "4.0"}\n'
    )
    out, report = tmp_path / "out", tmp_path / "r.json"
    run = cli("batch", root, "--to", "4.6.0", "--manifest", tmp_path / "m.yaml", "-o", out, "--report", report,
              "--workers", "2", "-q")
    assert run.code == 0, run.err
    data = json.loads(report.read_text())
    assert data["from"] == "4.0.0,4.2.0" and data["to"] == "4.6.0"
    assert {e["file"] for e in data["entries"]} >= {
        f"{n}/deployment.toml" for n in ("csdg-420-cp", "csdg-420-tm", "ibay-400-gw")
    }
    notes = "\n".join(data["notes"])
    for name, profile in (
        ("csdg-420-cp", "control-plane"),
        ("csdg-420-tm", "traffic-manager"),
        ("ibay-400-gw", "gateway"),
    ):
        assert f"{name}/deployment.toml: profile {profile} (detected from server.server_role" in notes
        assert (out / name / "deployment.toml").is_file()
    # each on its own profile's 4.6.0 baseline: the gateway's output has the universal gateway's own keys
    gateway = (out / "ibay-400-gw" / "deployment.toml").read_text()
    assert "[apim.cache.gateway_token]" in gateway or "gateway_token" in gateway
    assert "[apim.ai]" not in gateway  # an all-in-one stock table the gateway distribution does not have
    assert ("csdg-420-cp/deployment.toml", "fleet-peer-host", "apim.key_manager.service_url") in fleet_rules(data)


def test_planted_inconsistency_is_flagged_and_unversioned_file_is_a_per_file_error(tmp_path):
    report = tmp_path / "r.json"
    run = cli("batch", FLEET, "--to", "4.6", "--manifest", FLEET / "manifest.yaml", "--report", report, "-q")
    assert run.code == 2  # one file failed; the others still migrated
    data = json.loads(report.read_text())
    found = fleet_rules(data)
    assert ("gateway/deployment.toml", "fleet-peer-host", "apim.throttling.url_group[0].traffic_manager_urls") in found
    assert (
        "gateway/deployment.toml",
        "fleet-gateway-label",
        "apim.sync_runtime_artifacts.gateway.gateway_labels",
    ) in found
    assert ("unversioned/deployment.toml", "batch-error", None) in found
    assert not any(f.startswith(("control-plane", "traffic-manager", "k8s")) for f, _, _ in found)
    assert any("k8s/gateway-conf.yaml: ConfigMap/apim-gw-2-conf: profile gateway" in n for n in data["notes"])


def test_same_database_check_flags_the_odd_one(tmp_path):
    root = tmp_path / "f"
    shutil.copytree(FLEET, root)
    tm = root / "traffic-manager" / "deployment.toml"
    tm.write_text(tm.read_text().replace("db.apim.internal:3306/shared_db", "other-db:3306/shared_db"))
    result = run_batch(str(root), Request("4.2.0", "4.6.0"), Target(str(root)), workers=1,
                       manifest=Manifest(known_hosts=["db.apim.internal", "other-db"]))
    flagged = [(e.file, e.old_key) for e in result.report.entries if e.rule == "fleet-database-url"]
    assert flagged == [("traffic-manager/deployment.toml", "database.shared_db.url")]


def test_discovery_kinds_and_in_place(tmp_path):
    root = tmp_path / "f"
    shutil.copytree(FLEET, root)
    jobs = {j.path: j for j in discover(root, Request("4.2.0", "4.6.0"))}
    assert jobs["k8s/gateway-conf.yaml"].kind == "configmap"
    assert jobs["gateway/deployment.toml"].kind == "toml" and "manifest.yaml" not in jobs
    before = (root / "k8s" / "gateway-conf.yaml").read_text()
    result = run_batch(str(root), Request("4.2.0", "4.6.0", mode="edit"), Target(str(root), in_place=True), workers=2)
    assert not result.failed
    after = (root / "k8s" / "gateway-conf.yaml").read_text()
    assert after.startswith(before.split("[server]")[0])  # the manifest around the scalar is untouched
    assert after.endswith("kind: Service\nmetadata:\n  name: apim-gw-2\n")


def test_values_file_without_chart_is_a_per_file_error(tmp_path):
    (tmp_path / "values.yaml").write_text("wso2:\n  apim: {}\n")
    jobs = discover(tmp_path, Request("4.2.0", "4.6.0"), Manifest([{"glob": "*.yaml", "kind": "values"}]))
    assert jobs[0].kind == "values" and "no chart" in jobs[0].error


def test_chunks_cover_every_job_once_and_shrink_towards_the_end():
    jobs = list(range(1001))
    parts = chunks(jobs, 2)
    assert [j for p in parts for j in p] == jobs
    sizes = [len(p) for p in parts]
    assert max(sizes) == FILES_PER_CHUNK and sizes == sorted(sizes, reverse=True) and sizes[-3:] == [1, 1, 1]
    assert [len(p) for p in chunks(list(range(5)), 2)] == [1, 1, 1, 1, 1]
    assert [len(p) for p in chunks(list(range(20)), 1)] == [5, 5, 5, 5], "one worker waits for no other"


def test_progress_only_on_a_tty():
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    plain, tty = io.StringIO(), Tty()
    for stream in (plain, tty):
        bar = Progress(2, stream)
        bar.advance("a")
        bar.advance("b")
        bar.close()
    assert plain.getvalue() == "" and "2/2" in tty.getvalue()


def test_bad_arguments_are_usage_errors(tmp_path):
    assert cli("batch", tmp_path / "nope", "--to", "4.6").code == 2
    run = cli("batch", FLEET, "--to", "4.6", "-o", tmp_path, "--in-place")
    assert run.code == 2 and "either --in-place or -o" in run.err


def generated_fleet(root: Path, count: int) -> Path:
    templates = ["control-plane/deployment.toml", "gateway/deployment.toml", "k8s/gateway-conf.yaml"]
    for i in range(count):
        template = templates[i % len(templates)]
        dest = root / f"node-{i:03d}" / Path(template).name
        dest.parent.mkdir(parents=True)
        dest.write_text((FLEET / template).read_text().replace(".apim.internal", f".node{i}.apim.internal"))
    return root


def test_two_workers_are_this_process_and_one_forked_both_going_through_the_fleet_in_order(tmp_path, monkeypatch):
    import os

    import k8s_migrate.batch.run as run

    root = generated_fleet(tmp_path / "fleet", 40)
    here, real_chunk = os.getpid(), run.run_chunk
    ran_here: list[str] = []

    def chunk(jobs, target):
        if os.getpid() == here:
            ran_here.extend(job.path for job in jobs)
        return real_chunk(jobs, target)

    monkeypatch.setattr(run, "run_chunk", chunk)
    delivered: list[str] = []
    jobs = discover(root, Request("4.2.0", "4.6.0"))
    results = run.migrate_jobs(jobs, Target(str(root), out_dir=str(tmp_path / "two")), 2, Progress(len(jobs)),
                               lambda result: delivered.append(result.path))
    assert [r.path for r in results] == delivered == [job.path for job in jobs]
    assert not any(r.error for r in results)
    firsts = {"node-000/deployment.toml", "node-002/gateway-conf.yaml"}
    assert firsts <= set(ran_here), "the first file of each kind and version pair warms the caches here, before the fork"
    assert len(firsts) < len(ran_here) < len(jobs), "this process takes chunks beside the pool, not all of them"
    one = run.migrate_jobs(jobs, Target(str(root), out_dir=str(tmp_path / "one")), 1, Progress(len(jobs)))
    assert [r.report.to_dict() for r in one] == [r.report.to_dict() for r in results]
    for job in jobs:
        assert (tmp_path / "one" / job.path).read_bytes() == (tmp_path / "two" / job.path).read_bytes()


def test_ctrl_c_while_this_process_migrates_beside_the_pool_accounts_for_every_file_once(tmp_path, monkeypatch):
    import os

    import pytest

    import k8s_migrate.batch.run as run

    root = generated_fleet(tmp_path / "fleet", 40)
    here, real_chunk, calls = os.getpid(), run.run_chunk, []

    def chunk(jobs, target):
        if os.getpid() == here:
            calls.append(jobs)
            if len(calls) == 3:  # the first toml and ConfigMap to warm up (one chunk), then this process's second
                raise KeyboardInterrupt
        return real_chunk(jobs, target)

    monkeypatch.setattr(run, "run_chunk", chunk)
    jobs = discover(root, Request("4.2.0", "4.6.0"))
    out = tmp_path / "out"
    with pytest.raises(run.Interrupted) as stop:
        run.migrate_jobs(jobs, Target(str(root), out_dir=str(out)), 2, Progress(len(jobs)))
    done = [r.path for r in stop.value.results]
    not_run = [job.path for job in stop.value.not_run]
    assert sorted(done + not_run) == sorted(job.path for job in jobs) and not set(done) & set(not_run)
    assert {job.path for job in calls[-1]} <= set(not_run), "the chunk cut short is not counted as done"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(r.path for r in stop.value.results if r.written), "only whole files, and all of them"
