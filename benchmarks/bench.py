"""Benchmarks against the floor, in one run (not a test). Prints one line per figure with its target.

    python3 benchmarks/bench.py [--repeat 15] [--batch-files 1000]

a. values: helm-apim all-in-one 4.2.x values.yaml -> 4.6.x, in-process, vs a bare ruamel round trip.
b. toml: the 3.2.0 stock deployment.toml with 20 customisations -> 4.6.0 (rebase), in-process, vs a bare
   tomlkit parse + dumps of the same file.
c. `k8s-migrate --help` cold start (a fresh process, best of N) vs `python -c pass`.
d. batch over N generated files, 1 vs 2 workers (speed-up), peak RSS at N/10 and N files.
A figure whose command does not exist yet prints "n/a: <why>". Needs ../shared/reference beside the repo.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
sys.path.insert(0, str(REPO))


def best(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls, after one warm-up call (catalogs and rule packs are cached)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def registered(name: str) -> bool:
    from k8s_migrate.cli import app

    return name in [c.name for c in app.registered_commands]


def line(label: str, ours: float, floor: float, target: str) -> str:
    return f"{label}: {ours * 1000:.1f} ms vs floor {floor * 1000:.1f} ms = {ours / floor:.2f}x (target {target})"


# ---- b. toml --------------------------------------------------------------------------------
def customised_stock(count: int = 20) -> bytes:
    """The 3.2.0 stock file with ``count`` scalar values changed (a typical operator's edits)."""
    import tomlkit

    from k8s_migrate.formats.toml import walk

    doc = tomlkit.parse((REFERENCE / "apim/3.2.0/repository/conf/deployment.toml").read_text())
    changed = 0
    for path, item in list(walk(doc)):
        value = item.unwrap() if hasattr(item, "unwrap") else item
        if changed == count or isinstance(value, (list, dict)):
            continue
        node = doc
        for seg in path[:-1]:
            node = node[seg]
        node[path[-1]] = (not value) if isinstance(value, bool) else value + 1 if isinstance(value, int) \
            else f"{value}-custom" if isinstance(value, str) else value
        changed += 1
    doc.add("custom_note", "added by the benchmark")
    return tomlkit.dumps(doc).encode()


def bench_toml(repeat: int) -> str:
    import tomlkit

    from k8s_migrate.pipeline import Options, migrate_toml

    data = customised_stock()
    ours = best(lambda: migrate_toml(data, "deployment.toml", Options("3.2.0", "4.6.0")), repeat)
    floor = best(lambda: tomlkit.dumps(tomlkit.parse(data.decode())), repeat)
    return line("b. toml 3.2.0 stock + 20 edits -> 4.6.0", ours, floor, "<= 1.5x")


# ---- a. values ------------------------------------------------------------------------------
def bench_values(repeat: int) -> str:
    if not registered("values"):
        return "a. values: n/a: the values command is not registered"
    from ruamel.yaml import YAML

    from k8s_migrate.pipeline_values import ValuesOptions, migrate_values

    data = (REFERENCE / "helm-apim/4.2.x/all-in-one/values.yaml").read_bytes()
    options = ValuesOptions("helm-apim/all-in-one@4.2.x", "helm-apim/all-in-one@4.6.x")
    ours = best(lambda: migrate_values(data, "values.yaml", options), repeat)

    def round_trip():
        yaml = YAML()
        out = io.StringIO()
        yaml.dump(yaml.load(data.decode()), out)

    floor = best(round_trip, repeat)
    return line("a. values all-in-one 4.2.x -> 4.6.x", ours, floor, "<= 1.5x")


# ---- c. cold start --------------------------------------------------------------------------
def bench_cold_start(repeat: int) -> str:
    def spawn(*args: str):
        return lambda: subprocess.run([sys.executable, *args], cwd=REPO, check=True, stdout=subprocess.DEVNULL)

    ours = best(spawn("-m", "k8s_migrate", "--help"), repeat)
    floor = best(spawn("-c", "pass"), repeat)
    return (f"c. k8s-migrate --help cold start: {ours * 1000:.0f} ms vs python -c pass {floor * 1000:.0f} ms "
            f"(+{(ours - floor) * 1000:.0f} ms; target <= 150 ms absolute)")


# ---- d. batch -------------------------------------------------------------------------------
def bench_batch(files: int) -> list[str]:
    if not registered("batch"):
        return ["d. batch: n/a: the batch command is not registered"]
    sys.path.insert(0, str(Path(__file__).parent))
    from batch_bench import generate, run

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        rss = {}
        for count in (max(files // 10, 1), files):
            root = Path(tmp) / f"fleet{count}"
            generate(root, count)
            walls = {w: run(root, Path(tmp) / f"out{count}-{w}", w, "4.6.0", False) for w in (1, 2)}
            rss[count] = walls[2][1]
            if count == files:
                out.append(f"d. batch {count} files: 1 worker {walls[1][0]:.2f}s, 2 workers {walls[2][0]:.2f}s = "
                           f"{walls[1][0] / walls[2][0]:.2f}x speed-up (target >= 1.8x)")
        small, large = sorted(rss)
        out.append(f"   peak RSS (2 workers): {rss[small]:.0f} MB at {small} files, {rss[large]:.0f} MB at {large} files "
                   f"(target: flat)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--batch-files", type=int, default=1000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, best of {args.repeat}")
    print(bench_values(args.repeat))
    print(bench_toml(args.repeat))
    print(bench_cold_start(args.repeat))
    for text in bench_batch(args.batch_files):
        print(text)


if __name__ == "__main__":
    main()
