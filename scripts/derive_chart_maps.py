#!/usr/bin/env python3
"""Derive the built-in chart maps from WSO2's charts in ../shared/reference.

Writes mappings/charts/<family>/<chart>/<branch>.json and mappings/charts/index.json, then prints
the per-chart count table.  Every chart directory with a Chart.yaml under helm-apim/<branch>/ and
kubernetes-apim/<branch>/ is read; the branch commits come from the reference README.

    python scripts/derive_chart_maps.py [--reference DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.charts.derive import derive_chart  # noqa: E402

FAMILIES = ("helm-apim", "kubernetes-apim")
COMMIT_LINE = re.compile(r"^- (?P<repo>[\w.-]+/(?P<family>[\w.-]+)): (?P<pairs>.+)$")


def branch_commits(reference: Path) -> dict[str, dict[str, str]]:
    """family -> {"repo": "wso2/x", branch: commit} from the reference README's commit list."""
    out: dict[str, dict[str, str]] = {}
    for line in (reference / "README.md").read_text(encoding="utf-8").splitlines():
        m = COMMIT_LINE.match(line.strip())
        if not m:
            continue
        entry = {"repo": m.group("repo")}
        for pair in m.group("pairs").split(","):
            branch, _, commit = pair.strip().partition(" ")
            entry[branch] = commit.strip()
        out[m.group("family")] = entry
    return out


def chart_dirs(reference: Path) -> list[tuple[str, str, str, Path]]:
    """(family, chart, branch, dir) for every chart; the chart is named by its directory."""
    found = []
    for family in FAMILIES:
        for chart_yaml in sorted((reference / family).glob("*/**/Chart.yaml")):
            branch = chart_yaml.relative_to(reference / family).parts[0]
            if "docs" in chart_yaml.relative_to(reference / family).parts:
                continue
            found.append((family, chart_yaml.parent.name, branch, chart_yaml.parent))
    return found


def dump_map(data: dict) -> str:
    """JSON with one record per line: small to ship, easy to diff."""
    lines = ["{"]
    items = list(data.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list) and value:
            rows = [json.dumps(v, ensure_ascii=False) for v in value]
            lines.append(f" {json.dumps(key)}: [\n  " + ",\n  ".join(rows) + f"\n ]{comma}")
        elif isinstance(value, dict) and value and key == "defaults":
            rows = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
            lines.append(f" {json.dumps(key)}: {{\n  " + ",\n  ".join(rows) + f"\n }}{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    return "\n".join(lines) + "\n}\n"


def derive_all(reference: Path, out: Path) -> list[dict]:
    commits = branch_commits(reference)
    index: dict[str, str] = {}
    maps = []
    for family, chart, branch, directory in chart_dirs(reference):
        chart_id = f"{family}/{chart}@{branch}"
        source = {
            "repo": commits.get(family, {}).get("repo"),
            "branch": branch,
            "commit": commits.get(family, {}).get(branch),
            "path": directory.relative_to(reference).as_posix(),
            "note": "derived by scripts/derive_chart_maps.py from the reference copy of this chart",
        }
        data = derive_chart(directory, chart_id=chart_id, source=source)
        relative = f"{family}/{chart}/{branch}.json"
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_map(data), encoding="utf-8")
        index[chart_id] = relative
        maps.append(data)
    index_doc = {"source": "scripts/derive_chart_maps.py over ../shared/reference (helm-apim, kubernetes-apim)",
                 "charts": dict(sorted(index.items()))}
    (out / "index.json").write_text(json.dumps(index_doc, indent=1) + "\n", encoding="utf-8")
    return maps


def print_table(maps: list[dict]) -> None:
    head = f"{'chart':44} {'inst':>4} {'keys':>5} {'mapd':>5} {'const':>5} {'unmp':>5} | {'refs':>5} {'link':>5} {'guard':>5} {'comm':>5} {'unmp':>5} {'cov':>6}"
    print(head)
    print("-" * len(head))
    reasons: Counter[str] = Counter()
    for data in maps:
        keys, refs = data["counts"]["toml_keys"], data["counts"]["values_refs"]
        print(
            f"{data['id']:44} {len(data['instances']):>4} {keys['total']:>5} {keys['mapped']:>5} {keys['constant']:>5} "
            f"{keys['unmapped']:>5} | {refs['total']:>5} {refs['mapped']:>5} {refs['guard']:>5} {refs['commented']:>5} "
            f"{refs['unmapped']:>5} {refs['coverage']:>6.1%}"
        )
        reasons.update(u["reason"] for u in data["unmapped"])
    print("\nunmapped entries by reason:")
    for reason, n in reasons.most_common():
        print(f"  {n:5}  {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument("--out", type=Path, default=REPO / "mappings" / "charts")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    maps = derive_all(args.reference, args.out)
    if not args.quiet:
        print_table(maps)


if __name__ == "__main__":
    main()
