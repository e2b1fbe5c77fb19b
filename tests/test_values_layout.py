"""Untouched lines keep their bytes: block sequences at the file's own offsets (even mixed in one file),
multi-line flow collections, quotes and comments stay as written; only the lines the report changes differ."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from k8s_migrate.migrate.values import ValuesOptions, migrate_values

LAYOUT = Path(__file__).resolve().parent.parent / "charts-fixtures" / "values-layout.yaml"
MOVING = ("changed", "defaulted", "moved", "renamed", "removed")


def test_only_the_changed_line_differs():
    text = LAYOUT.read_text()
    result = migrate_values(
        text.encode(), "values.yaml", ValuesOptions(chart="helm-apim/all-in-one@4.5.x", to_chart="helm-apim/all-in-one@4.6.x")
    )
    assert result.output == text.replace('version: "4.5.0"', 'version: "4.6.0"')
    leaves = [e for e in result.report.entries if e.old_key is not None]  # the entries of the file's own keys
    assert [(e.action, e.old_key) for e in leaves if e.action in MOVING] == [("defaulted", "wso2.apim.version")]


REAL = [
    (
        "chilcano-450-aio-values/wso2-am-pattern-0-all-in-one-values.yaml",
        "helm-apim/all-in-one@4.5.x",
        "helm-apim/all-in-one@4.7.x",
    ),
    ("thomas-460-gw-values/apim-gw-values.yaml", "helm-apim/gateway@4.6.x", "helm-apim/gateway@4.7.x"),
    ("petro-420-pattern1-values/values.yaml", "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x"),
]


@pytest.mark.parametrize(("name", "chart", "to_chart"), REAL, ids=[r[0].split("/")[0] for r in REAL])
def test_real_world_files_lose_only_the_lines_the_report_changes(reference_dir, name, chart, to_chart):
    text = (reference_dir / "real-world" / name).read_text()
    result = migrate_values(text.encode(), name, ValuesOptions(chart=chart, to_chart=to_chart))
    removed = [line for line in difflib.ndiff(text.splitlines(), result.output.splitlines()) if line.startswith("- ")]
    assert all(not line[2:].lstrip().startswith("#") for line in removed), "a comment line was lost"
    changing = [e for e in result.report.entries if e.action in MOVING]
    valued = [line for line in removed if not re.fullmatch(r"\s*[\w.-]+:\s*", line[2:])]  # a bare `key:` holds no value
    assert len(valued) <= len(changing), valued
