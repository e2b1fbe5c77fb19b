"""Smaller things that cost a new user time: report formats, --check's lines, did-you-mean, grammar."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "deployment-3.2.0.toml"


@pytest.mark.parametrize("name", ["r.yaml", "r.html", "report"])
@pytest.mark.parametrize(
    "command",
    [["toml", str(EXAMPLE), "--from", "3.2", "--to", "4.6"], ["batch", "DIR", "--to", "4.6", "--from", "3.2"]],
)
def test_an_unknown_report_format_is_refused_before_anything_is_written(tmp_path, name, command):
    command = [str(tmp_path) if a == "DIR" else a for a in command]
    (tmp_path / "deployment.toml").write_bytes(EXAMPLE.read_bytes())
    done = cli(*command, "--report", str(tmp_path / name), "-o", str(tmp_path / "out"))
    assert done.code == 2
    assert done.err == (f"k8s-migrate: error: --report {tmp_path / name}: name the format with the file's suffix: "
                        ".json, .md, .sarif, .txt (or - for JSON on stdout)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]


def small_fleet(root: Path, reference_dir: Path) -> Path:
    real = reference_dir / "real-world"
    for node, name in (("aio", "aobregonmx-430-aio"), ("cp", "csdg-420-cp")):
        (root / node).mkdir(parents=True)
        (root / node / "deployment.toml").write_bytes((real / name / "deployment.toml").read_bytes())
    (root / "values.yaml").write_bytes((real / "petro-420-pattern1-values" / "values.yaml").read_bytes())
    (root / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n")
    return root


def test_batch_lists_every_file_it_skips_and_says_the_missing_version_once(tmp_path, reference_dir):
    root = small_fleet(tmp_path / "fleet", reference_dir)
    done = cli("batch", root, "--to", "4.6", "--report", str(tmp_path / "r.json"))
    assert done.code == 2
    import json

    report = json.loads((tmp_path / "r.json").read_text())
    notes = report["notes"]
    assert notes[0] == "4 files found: 2 migrated (1 changed, 1 failed), 2 skipped"
    assert (
        "skipped deploy.yaml: not a ConfigMap with a deployment.toml, and its values paths match no built-in chart"
        in notes
    )
    assert ("skipped values.yaml: a values file for kubernetes-apim/am-pattern-1@4.2.x (detected); give --to-chart "
            "to migrate it") in notes
    assert any(n.startswith("aio/deployment.toml: from 4.3.0 (detected: ") for n in notes)
    said = done.err + "\n".join(notes)
    assert said.count("cannot tell which API-M version") == 1  # the failure is one row, not a note besides
    failure = [e for e in report["entries"] if e["rule"] == "batch-error"]
    assert [e["file"] for e in failure] == ["cp/deployment.toml"]
    quiet = cli("batch", root, "--to", "4.6", "-q")
    assert quiet.code == 2 and quiet.err.startswith(
        "k8s-migrate: error: cp/deployment.toml: cannot tell which API-M version this file is for: it fits 4.1.0 to 4.6.0"
    )
    assert quiet.err.count("\n") == 1


def test_batch_with_a_manifest_lists_the_files_no_entry_matches(tmp_path, reference_dir):
    root = small_fleet(tmp_path / "fleet", reference_dir)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text('files:\n  - glob: "cp/*"\n    from: "4.2"\n')
    done = cli("batch", root, "--to", "4.6", "--manifest", manifest, "--report", str(tmp_path / "r.json"), "-q")
    assert done.code == 0, done.err
    import json

    notes = json.loads((tmp_path / "r.json").read_text())["notes"]
    assert ("skipped deploy.yaml: not a ConfigMap with a deployment.toml, and its values paths match no built-in "
            "chart and matches no --manifest entry") in notes
    assert notes[0] == "4 files found: 2 migrated (2 changed, 0 failed), 2 skipped"


def test_keys_with_no_match_exits_1_with_a_did_you_mean():
    done = cli("keys", "--version", "4.6", "apim.cach")
    assert done.code == 1 and done.out == ""
    assert done.err == "k8s-migrate: 4.6.0 knows no key under 'apim.cach'; did you mean apim.cache?\n"
    nothing = cli("keys", "--version", "4.6", "nope.nothing")
    assert nothing.code == 1 and nothing.err.startswith("k8s-migrate: 4.6.0 knows no key under 'nope.nothing'")
    assert cli("keys", "--version", "4.6", "apim.cache").code == 0


def test_ctrl_c_during_batch_says_what_was_written_and_what_not(tmp_path, reference_dir, monkeypatch):
    import k8s_migrate.batch.run as run

    root = tmp_path / "fleet"
    for i in range(4):
        (root / f"n{i}").mkdir(parents=True)
        (root / f"n{i}" / "deployment.toml").write_bytes(EXAMPLE.read_bytes())
    real_chunk, calls = run.run_chunk, []

    def interrupted_chunk(jobs, target):
        calls.append(jobs)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_chunk(jobs, target)

    monkeypatch.setattr(run, "run_chunk", interrupted_chunk)
    out = tmp_path / "out"
    done = cli("batch", root, "--to", "4.6", "--from", "3.2", "-o", out, "--workers", "1", "-q")
    assert done.code == 130
    assert done.err == (f"k8s-migrate: interrupted: 2 of 4 files written to {out} (each one complete); "
                        "not written (2):\n  n2/deployment.toml\n  n3/deployment.toml\n")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.toml")) == [
        "n0/deployment.toml",
        "n1/deployment.toml",
    ]


def test_counted_nouns_agree_with_their_number():
    from k8s_migrate.counting import counted

    assert [counted(n, "key") for n in (0, 1, 2)] == ["0 keys", "1 key", "2 keys"]
    sources = "\n".join(p.read_text() for p in (REPO / "k8s_migrate").rglob("*.py"))
    assert "file(s)" not in sources and "} keys" not in sources


def test_check_prints_one_line_per_file_that_would_change(tmp_path):
    done = cli("toml", EXAMPLE, "--from", "3.2", "--to", "4.6", "--check", "-q")
    assert done.code == 1 and done.out == "" and done.err == f"would migrate {EXAMPLE}\n"
    same = cli(
        "toml", "-", "--from", "4.6", "--to", "4.6", "--mode", "edit", "--check", "-q", stdin=b"[server]\na = 1\n"
    )
    assert same.code == 0 and same.err == ""
    changed = cli("toml", "-", "--from", "3.2", "--to", "4.6", "--check", "-q", stdin=EXAMPLE.read_bytes())
    assert changed.err == "would migrate <stdin>\n"
    root = tmp_path / "fleet"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        (root / name / "deployment.toml").write_bytes(EXAMPLE.read_bytes())
    fleet = cli("batch", root, "--to", "4.6", "--from", "3.2", "--check", "-q")
    assert fleet.code == 1 and fleet.err == "would migrate a/deployment.toml\nwould migrate b/deployment.toml\n"


def test_diff_exits_0_and_with_check_exits_1_on_changes():
    diff = cli("toml", EXAMPLE, "--from", "3.2", "--to", "4.6", "--diff", "-q")
    assert diff.code == 0 and diff.out.startswith("---")
    both = cli("toml", EXAMPLE, "--from", "3.2", "--to", "4.6", "--diff", "--check", "-q")
    assert both.code == 1 and both.out == diff.out and both.err == f"would migrate {EXAMPLE}\n"


def test_xml_from_stdin_is_the_documented_exception():
    done = cli("xml", "-", "--from", "2.6.0", "--to", "4.6", stdin=b"<x/>")
    assert done.code == 2 and done.err == ("k8s-migrate: error: xml reads a repository/conf folder or an XML file, "
                                           "not stdin\n")
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "Every command reads `-` from stdin and writes stdout, except `xml`" in readme


def test_a_new_output_file_gets_the_usual_mode(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        done = cli("toml", EXAMPLE, "--from", "3.2", "--to", "4.6", "-o", tmp_path / "new.toml",
                   "--report", tmp_path / "r.md", "-q")
    finally:
        os.umask(umask)
    assert done.code == 0
    assert (tmp_path / "new.toml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "r.md").stat().st_mode & 0o777 == 0o644
