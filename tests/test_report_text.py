"""The text report on a terminal: fitted to its width, coloured unless NO_COLOR, the rows that need attention
by default and every row with -v, never an empty KEY, a fleet grouped by file."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from k8s_migrate.migrate.toml import Options, migrate_toml
from k8s_migrate.report import Entry, Report, merge_reports
from k8s_migrate.report.renderers import key_cell, render_text, terminal_text

from helpers import cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def real_report(reference_dir: Path, name: str = "csdg-420-cp", label: str | None = None):
    path = reference_dir / "real-world" / name / "deployment.toml"
    return migrate_toml(path.read_bytes(), label or f"{name}/deployment.toml", Options("4.2", "4.6")).report


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_every_line_fits_the_terminal(reference_dir, width):
    for verbose in (False, True):
        text = render_text(real_report(reference_dir), verbose=verbose, width=width)
        # only a key longer than the terminal may overflow, alone after its action
        too_wide = [line for line in text.splitlines() if len(line) > width and len(line.split()) != 2]
        assert not too_wide, too_wide


def test_default_lists_attention_rows_and_counts_the_rest(reference_dir):
    report = real_report(reference_dir)
    text = render_text(report, verbose=False, width=200)
    rows = [line for line in text.splitlines() if line.startswith("  review") or line.startswith("  defaulted")]
    assert rows and all(r.startswith("  review") for r in rows)
    hidden = Counter(e.action for e in report.entries if e.action not in ("review", "unknown", "kept"))
    (line,) = [line for line in text.splitlines() if "not listed: -v lists every row" in line]
    assert hidden and all(f"{n} {action}" in line for action, n in hidden.items())
    verbose = render_text(report, verbose=True, width=200)
    assert sum(1 for line in verbose.splitlines()
               if re.match(r"  (kept|defaulted|review|added|changed|removed) ", line)) == len(report.entries)


def test_no_row_has_an_empty_key():
    report = Report("in.toml", "4.2.0", "4.6.0")
    report.add(Entry("review", None, None, message="whole-file finding"))
    report.add(Entry("review", None, "saml.digest_alg", message="default changes"))
    report.add(Entry("review", None, None, origin="ConfigMap/apim data.\"deployment.toml\"", message="x"))
    assert [key_cell(e, report.input) for e in report.entries] == [
        "(whole file in.toml)", "saml.digest_alg", 'ConfigMap/apim data."deployment.toml"']
    for width in (None, 80, 200):
        for line in render_text(report, width=width).splitlines()[2:]:
            assert (
                not re.match(r"  review\s{3,}\S", line)
                or "(whole file" in line
                or "saml" in line
                or "ConfigMap" in line
            )


def test_a_fleet_names_the_file_of_every_row(reference_dir):
    reports = [real_report(reference_dir, n, f"nodes/{n}/deployment.toml") for n in ("csdg-420-cp", "csdg-420-tm")]
    merged = merge_reports(reports, "nodes")
    for width in (80, 200, None):
        text = render_text(merged, verbose=False, width=width)
        assert "  nodes/csdg-420-cp/deployment.toml (" in text and "  nodes/csdg-420-tm/deployment.toml (" in text
        current = None
        for line in text.splitlines():
            if line.startswith("  nodes/"):
                current = line
            elif line.startswith("    review"):
                assert current is not None


def test_colour_on_a_terminal_and_never_with_no_color(reference_dir, monkeypatch):
    class Terminal:
        def isatty(self):
            return True

        def fileno(self):
            raise OSError

    report = real_report(reference_dir)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    coloured = terminal_text(report, stream=Terminal())
    assert "\x1b[33mreview" in coloured
    assert all(len(ANSI.sub("", line)) <= 100 for line in coloured.splitlines())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in terminal_text(report, stream=Terminal())


def test_not_a_terminal_keeps_each_row_on_one_line(reference_dir, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    text = terminal_text(real_report(reference_dir), stream=open(__file__))
    assert "\x1b[" not in text
    rows = [line for line in text.splitlines() if line.startswith("  review")]
    assert all("[r" in row for row in rows)


def test_cli_verbose_lists_every_row(reference_dir):
    path = reference_dir / "real-world" / "csdg-420-cp" / "deployment.toml"
    quiet = cli("toml", path, "--from", "4.2", "--to", "4.6")
    loud = cli("toml", path, "--from", "4.2", "--to", "4.6", "-v")
    assert "  kept " not in quiet.err and "  kept " in loud.err
    assert loud.out == quiet.out


def test_stdin_is_labelled_stdin():
    done = cli("toml", "-", "--from", "4.2", "--to", "4.6", "--mode", "edit", stdin=b'[server]\nhostname = "a"\n')
    assert done.code == 0 and done.err.startswith("<stdin>: 4.2.0 -> 4.6.0: ")


def test_markdown_groups_a_fleet_by_file_and_asks_each_step_once(reference_dir):
    from k8s_migrate.report.renderers import render_markdown

    reports = [real_report(reference_dir, n, f"nodes/{n}/deployment.toml") for n in ("csdg-420-cp", "csdg-420-tm")]
    text = render_markdown(merge_reports(reports, "nodes"))
    assert "#### `nodes/csdg-420-cp/deployment.toml`" in text and "#### `nodes/csdg-420-tm/deployment.toml`" in text
    steps = [line for line in text.splitlines() if line.startswith("- [ ] ")]
    assert len(steps) == len(set(steps))
    saml = [s for s in steps if s.startswith("- [ ] `saml.digest_alg`")]
    assert len(saml) == 1 and "in `nodes/csdg-420-cp/deployment.toml`, `nodes/csdg-420-tm/deployment.toml`:" in saml[0]
