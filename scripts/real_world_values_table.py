"""The values migration of every real-world values file, checked with real helm renders (issue 15).

For each values file under ../shared/reference/real-world/ (to the newest chart of its family; pattern-1 also to
all-in-one 4.6.x): the customisations (TOML keys the file changes from the old chart's own render) that reach the
new render with the value the TOML migration gives (through) or not (lost), the instances before/after, the
differences no report entry explains, and the comment lines in the input and the output.

Usage: python scripts/real_world_values_table.py [--renderer helm|builtin]   (helm on PATH or $K8S_MIGRATE_HELM)
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8s_migrate.charts.chartmap import load_map  # noqa: E402
from k8s_migrate.charts.render import load_values_text  # noqa: E402
from k8s_migrate.migrate.values import ValuesOptions, migrate_values  # noqa: E402
from k8s_migrate.verify import chart_directory, differences, reference_root, render_instances, verify  # noqa: E402

KEY = {"wso2.apim.configurations.encryption.key": "0123456789abcdef0123456789abcdef"}
CASES = [
    (
        "chilcano-450-aio-values/wso2-am-pattern-0-all-in-one-values.yaml",
        "helm-apim/all-in-one@4.5.x",
        "helm-apim/all-in-one@4.7.x",
    ),
    ("thomas-460-gw-values/apim-gw-values.yaml", "helm-apim/gateway@4.6.x", "helm-apim/gateway@4.7.x"),
    ("petro-420-pattern1-values/values.yaml", "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.7.x"),
    ("petro-420-pattern1-values/values.yaml", "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x"),
]


def comment_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.lstrip().startswith("#"))


def row(name: str, chart: str, to_chart: str, renderer: str) -> dict:
    path = Path(reference_root()) / "real-world" / name
    data = path.read_bytes()
    result = migrate_values(data, path.name, ValuesOptions(chart=chart, to_chart=to_chart))
    given = KEY if to_chart.endswith("@4.7.x") else {}
    check = verify(data, path.name, chart, to_chart, given=given, renderer=renderer, values_result=result)
    src_dir = chart_directory(chart, load_map(chart))
    mine = render_instances(src_dir, load_values_text(data.decode("utf-8-sig")), renderer)
    stock = render_instances(src_dir, {}, renderer)
    first = next(iter(mine))
    customised = {d.key for d in differences(tomllib.loads(stock.get(first, "")), tomllib.loads(mine[first]))}
    changed = {d.key for d in check.explained + check.unexplained if d.instance == (check.instances_after or [""])[0]}
    lost = sorted(customised & changed)
    return {"file": name.split("/")[0], "from": chart, "to": to_chart,
            "through": len(customised) - len(lost), "lost": len(lost), "lost_keys": lost,
            "before": len(check.instances_before), "after": len(check.instances_after),
            "unexplained": len(check.unexplained), "errors": check.errors,
            "comments_in": comment_lines(data.decode("utf-8-sig")), "comments_out": comment_lines(result.output)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renderer", default="helm", choices=["helm", "builtin"])
    args = parser.parse_args()
    print(
        "| file | from | to | customisations through | lost | instances before | after | unexplained | comment lines in | out |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = [row(*case, args.renderer) for case in CASES]
    for r in rows:
        print(
            f"| {r['file']} | {r['from']} | {r['to']} | {r['through']} | {r['lost']} | {r['before']} | {r['after']} | "
            f"{r['unexplained']} | {r['comments_in']} | {r['comments_out']} |"
        )
    for r in rows:
        if r["lost_keys"] or r["errors"]:
            print(
                f"\n{r['file']} -> {r['to']}: changed customisations (each explained by a report entry unless counted "
                f"unexplained): {', '.join(r['lost_keys'])} {'; '.join(r['errors'])}"
            )
    return 1 if any(r["unexplained"] or r["errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
