"""WSO2's own values files through every same-chart upgrade the tool knows (not a test; about 90 s on 2 cores).

    python3 scripts/stock_upgrade_matrix.py [--empty | --change K [--seed S]] [--workers N] [--only FAMILY/NAME]

For each built-in chart id and each later version of the same chart, runs
`k8s-migrate values STOCK --chart A --to-chart B` as its own process, where STOCK is the chart's values.yaml in
../shared/reference (--empty: a file holding `{}`, a user who customised nothing; --change K: the stock file with K
of its leaves changed as a user might, chosen and changed by a generator seeded with S and the pair: a boolean
flipped, a number raised, a string replaced). Prints one row per pair that did not exit 0 or 1 (2 = refused,
3 = the proof failed, with the report's last line and the changed paths) and the counts by exit code.
tests/test_stock_upgrades.py and tests/test_values_customised_stock.py keep one case per class found; this is the
whole matrix.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
sys.path.insert(0, str(REPO))

from k8s_migrate.charts.builtin import builtin_ids  # noqa: E402


def stock_values(chart: str) -> Path | None:
    family_name, version = chart.split("@")
    family, name = family_name.split("/")
    for path in (REFERENCE / family / version / name / "values.yaml",
                 REFERENCE / family / version / "distributed" / name / "values.yaml"):
        if path.exists():
            return path
    found = sorted((REFERENCE / family / version).glob(f"**/{name}/values.yaml"))
    return found[0] if found else None


def version_key(chart: str) -> tuple[int, ...]:
    return tuple(int(part) for part in chart.rsplit("@", 1)[1].removesuffix(".x").split("."))


def pairs(only: str | None) -> list[tuple[str, str]]:
    by_chart: dict[str, list[str]] = {}
    for chart in builtin_ids():
        by_chart.setdefault(chart.split("@")[0], []).append(chart)
    found = []
    for name, charts in sorted(by_chart.items()):
        if only and name != only:
            continue
        charts.sort(key=version_key)
        found += [(old, new) for i, old in enumerate(charts) for new in charts[i + 1:]]
    return found


def leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from leaves(value, (*path, i))
    else:
        yield path, node


def changed(value, rnd: random.Random):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + rnd.choice([1, 7, 100])
    if isinstance(value, str):
        return rnd.choice([value + "-custom", "custom.example.com", "" if value else "set"])
    return "custom" if value is None else value


def change_leaves(source: Path, target: Path, count: int, seed: str) -> list[str]:
    """The stock file with ``count`` leaves changed (not image names or tags), written to ``target``."""
    from ruamel.yaml import YAML

    yaml = YAML()
    data = yaml.load(source.read_text())
    rnd = random.Random(seed)
    candidates = [p for p in leaves(data) if not str(p[0][-1:]).startswith(("('image", "('tag"))]
    picks = rnd.sample(candidates, min(count, len(candidates)))
    for path, value in picks:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = changed(value, rnd)
    with target.open("w") as fh:
        yaml.dump(data, fh)
    return [".".join(map(str, p)) for p, _ in picks]


def run(old: str, new: str, empty: Path | None, folder: Path, change: int = 0, seed: int = 1
        ) -> tuple[str, str, int, str]:
    source = empty or stock_values(old)
    if source is None:
        return old, new, -1, "no stock values.yaml in the reference"
    out = folder / f"{old}-{new}.yaml".replace("/", "_")
    picks: list[str] = []
    if change:
        source = folder / f"{old}-{new}.in.yaml".replace("/", "_")
        picks = change_leaves(stock_values(old), source, change, f"{seed}-{old}-{new}")
    done = subprocess.run([sys.executable, "-m", "k8s_migrate", "values", str(source), "--chart", old,
                           "--to-chart", new, "-o", str(out), "-q"], capture_output=True, text=True, cwd=REPO)
    last = (done.stderr.strip().splitlines() or [""])[-1]
    return old, new, done.returncode, last[:160] + (f" (changed: {', '.join(picks)})" if picks else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--empty", action="store_true", help="migrate a values file holding {} instead")
    parser.add_argument("--change", type=int, default=0, metavar="K", help="change K leaves of each stock file")
    parser.add_argument("--seed", type=int, default=1, help="with --change: the generator's seed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="one chart, FAMILY/NAME (helm-apim/control-plane)")
    args = parser.parse_args()
    if not REFERENCE.is_dir():
        print(f"reference data not found at {REFERENCE}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty = None
        if args.empty:
            empty = folder / "empty.yaml"
            empty.write_text("{}\n")
        with ThreadPoolExecutor(args.workers) as pool:
            results = list(pool.map(lambda pair: run(*pair, empty, folder, args.change, args.seed), pairs(args.only)))
    counts = Counter(code for _, _, code, _ in results)
    for old, new, code, last in results:
        if code not in (0, 1):
            print(f"exit {code}  {old} -> {new}: {last}")
    print(f"{len(results)} pairs: " + ", ".join(f"exit {code}: {n}" for code, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
