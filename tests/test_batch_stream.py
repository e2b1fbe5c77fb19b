"""A batch's JSON report is streamed (workers render the entries, the parent spools them to disk) and is the
same report, byte for byte, as render_json of the whole fleet report held in memory."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from k8s_migrate.batch.discovery import Manifest, read_batch_manifest
from k8s_migrate.batch.run import run_batch
from k8s_migrate.batch.worker import Target
from k8s_migrate.report import Entry, Report
from k8s_migrate.report.renderers import EntrySpool, entries_json, json_chunks, render_json
from k8s_migrate.request import Request

from helpers import cli

FLEET = Path(__file__).parent / "fixtures" / "fleet"


@pytest.mark.parametrize("count", [0, 1, 4])
def test_streamed_json_is_render_json(count):
    report = Report("fleet", "4.2.0", "4.6.0", notes=["one", "zwei ü"], changed=True)
    for i in range(count):
        report.add(Entry(("kept", "review", "removed")[i % 3], f"a.b{i}", "c", "x\ny",
                         {"d": [1, datetime.date(2024, 1, 2)], "e": None}, rule="r", message="m é", line=i or None))
    spool = EntrySpool()
    for start in range(0, count + 1, 2):  # in pieces, some empty
        spool.add(entries_json(report.entries[start:start + 2]))
        spool.add(entries_json([]))
    streamed = "".join(json_chunks(report, report.summary, spool))
    assert streamed == render_json(report)
    assert json.loads(streamed)["summary"] == report.summary


def held_in_memory(root: Path, workers: int, show_secrets: bool, manifest: Manifest | None = None) -> str:
    """The report as batch wrote it before streaming: every entry back in the parent, merged, masked, rendered."""
    result = run_batch(str(root), Request(to_version="4.6.0"), Target(str(root)), workers, manifest)
    return render_json(result.report.masked(show_secrets))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("flags", [["-q"], [], ["-q", "--show-secrets"]])
def test_the_fleet_report_is_the_same_streamed(tmp_path, workers, flags):
    root = tmp_path / "fleet"
    shutil.copytree(FLEET, root)
    (root / "control-plane" / "deployment.toml").write_text(
        (FLEET / "control-plane" / "deployment.toml").read_text()
        + '\n[apim.extra]\nurl = "https://admin:s3cret@db.example.com/x"\n')
    report = tmp_path / "r.json"
    manifest = root / "manifest.yaml"
    run = cli("batch", root, "--to", "4.6.0", "--manifest", manifest, "--report", report, "--workers", str(workers),
              *flags)
    assert run.code == 2, run.err  # the fixture's unversioned file fails; the rest migrate
    expected = held_in_memory(root, workers, "--show-secrets" in flags, read_batch_manifest(str(manifest)))
    assert report.read_text() == expected
    data = json.loads(expected)
    assert len(data["entries"]) > 50 and sum(data["summary"].values()) == len(data["entries"])
    assert ("s3cret" in expected) == ("--show-secrets" in flags)
    to_stdout = cli("batch", root, "--to", "4.6.0", "--manifest", manifest, "--report", "-", "--workers",
                    str(workers), *flags)
    assert to_stdout.out == expected
