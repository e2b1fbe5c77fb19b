"""Smaller things that cost a new user time: report formats, --check's lines, did-you-mean, grammar."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "deployment-3.2.0.toml"


@pytest.mark.parametrize("name", ["r.yaml", "r.html", "report"])
@pytest.mark.parametrize("command", [["toml", str(EXAMPLE), "--from", "3.2", "--to", "4.6"], ["batch", "DIR", "--to", "4.6", "--from", "3.2"]])
def test_an_unknown_report_format_is_refused_before_anything_is_written(tmp_path, name, command):
    command = [str(tmp_path) if a == "DIR" else a for a in command]
    (tmp_path / "deployment.toml").write_bytes(EXAMPLE.read_bytes())
    done = cli(*command, "--report", str(tmp_path / name), "-o", str(tmp_path / "out"))
    assert done.code == 2
    assert done.err == (f"k8s-migrate: error: --report {tmp_path / name}: name the format with the file's suffix: "
                        ".json, .md, .sarif, .txt (or - for JSON on stdout)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]
