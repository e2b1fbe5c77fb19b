"""Benchmarks as users feel them: every figure is a fresh process, timed whole. Prints each figure with its target.

    python3 benchmarks/bench.py [--runs 9] [--batch-files 1000] [--peer DIR] [--only toml,values,...]
                                [--in-process]

Each round starts our process and its yardstick one after the other (the order alternating between rounds),
so both see the same machine load; a row gives the median of each and the median of the per-round ratios.
Timing is plain subprocess wall time (perf_counter around the run), nothing else needed. Processes run with
bytecode caches, as an installed copy does (PYTHONDONTWRITEBYTECODE is dropped; the caches go to a temporary
PYTHONPYCACHEPREFIX, filled by the warm-up round), and with the cache a user's second run finds (the data and code
k8s_migrate/datacache.py and codecache.py keep, in a temporary XDG_CACHE_HOME, also filled by the warm-up round).

Rows (needs ../shared/reference beside the repo):
  toml     a real 4.5.0 all-in-one file and examples/deployment-3.2.0.toml -> 4.6.0, each vs a tomlkit
           parse+dumps process of the same file (<= 1.5x)
  peer     the same 4.5.0 -> 4.6.0 job vs the public peer script (isamauny-wso2/wso2-upgrade-tools,
           wso2_migration.py on the `toml` package) (<= 1.5x). --peer DIR or $K8S_MIGRATE_BENCH_PEER names
           a checkout of it; --peer-python or $K8S_MIGRATE_BENCH_PEER_PYTHON an interpreter with `toml`
           (default DIR/venv/bin/python). Skipped with a message when absent.
  values   helm-apim all-in-one 4.2.x values.yaml -> 4.6.x vs a ruamel load+dump process (<= 1.5x)
  start    `k8s-migrate --help` and `k8s-migrate version` (<= 100 ms; `python -c pass` shown beside)
  render   `render` and `verify` of one chart instance vs `helm template` of the same chart (<= 2x);
           helm from $K8S_MIGRATE_HELM, PATH or .cache/helm (scripts/get-helm.sh); skipped without it
  batch    `batch` of N generated files: 2 workers >= 1.8x one worker (beside it, the most two CPU-bound processes
           got from the machine in the same run); peak RSS within 20% from N/10 to N files, with and without --report
--in-process adds the old in-process figures (warm caches, best of N) as a second table, labelled as such.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
REAL_45 = REFERENCE / "real-world" / "rgl-450-aio" / "deployment.toml"
EXAMPLE_32 = REPO / "examples" / "deployment-3.2.0.toml"
STOCK_46 = REFERENCE / "apim" / "4.6.0" / "repository" / "conf" / "deployment.toml"
VALUES_42 = REFERENCE / "helm-apim" / "4.2.x" / "all-in-one" / "values.yaml"
CHART_46 = REFERENCE / "helm-apim" / "4.6.x" / "all-in-one"
PY = sys.executable
OURS = [PY, "-m", "k8s_migrate"]
TOMLKIT_ROUND_TRIP = "import sys, tomlkit; sys.stdout.write(tomlkit.dumps(tomlkit.parse(open(sys.argv[1]).read())))"
RUAMEL_ROUND_TRIP = ("import sys; from ruamel.yaml import YAML; y = YAML(); "
                     "y.dump(y.load(open(sys.argv[1]).read()), sys.stdout)")


def environment() -> dict[str, str]:
    """As an installed copy runs: with bytecode (pip compiles it at install; the warm-up round writes it here,
    under a temporary PYTHONPYCACHEPREFIX, so the checkout stays clean), whatever PYTHONDONTWRITEBYTECODE says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    env["XDG_CACHE_HOME"] = USER_CACHE
    return env


PYCACHE = tempfile.mkdtemp(prefix="k8s-migrate-bench-pycache-")
USER_CACHE = tempfile.mkdtemp(prefix="k8s-migrate-bench-cache-")


def timed(cmd: list[str], cwd: Path = REPO) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-400:]}")
    return wall


def paired(ours: list[str], yardstick: list[str], runs: int, yard_cwd: Path = REPO) -> tuple[float, float, float]:
    """Median wall of ours, of the yardstick, and the median of the per-round ratios (one warm-up round)."""
    timed(ours), timed(yardstick, yard_cwd)
    mine, theirs = [], []
    for round_ in range(runs):
        if round_ % 2:
            theirs.append(timed(yardstick, yard_cwd))
            mine.append(timed(ours))
        else:
            mine.append(timed(ours))
            theirs.append(timed(yardstick, yard_cwd))
    ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
    return statistics.median(mine), statistics.median(theirs), ratio


def row(job: str, yard_name: str, figures: tuple[float, float, float], limit: float) -> str:
    ours, yard, ratio = figures
    verdict = "met" if ratio <= limit else "MISSED"
    return (f"| {job} | {ours * 1000:.0f} ms | {yard_name} {yard * 1000:.0f} ms | {ratio:.2f}x | "
            f"<= {limit:g}x | {verdict} |")


def bench_toml(runs: int, tmp: Path) -> list[str]:
    out = []
    for label, source, versions in (("toml: real 4.5.0 all-in-one -> 4.6.0", REAL_45, ("4.5.0", "4.6.0")),
                                    ("toml: examples/deployment-3.2.0.toml -> 4.6.0", EXAMPLE_32, ("3.2.0", "4.6.0"))):
        ours = OURS + ["toml", str(source), "--from", versions[0], "--to", versions[1], "-o", str(tmp / "o.toml"),
                       "-q"]
        out.append(row(label, "tomlkit parse+dumps", paired(ours, [PY, "-c", TOMLKIT_ROUND_TRIP, str(source)], runs),
                       1.5))
    return out


def bench_peer(runs: int, tmp: Path, peer: str | None, peer_python: str | None) -> list[str]:
    label = "toml: real 4.5.0 all-in-one -> 4.6.0 vs the peer script"
    if not peer or not (Path(peer) / "wso2_migration.py").is_file():
        return [f"| {label} | skipped: no peer checkout (--peer DIR or $K8S_MIGRATE_BENCH_PEER) | | | <= 1.5x | |"]
    peer_dir = Path(peer).resolve()
    python = peer_python or str(peer_dir / "venv" / "bin" / "python")
    if not Path(python).exists():
        return [f"| {label} | skipped: no interpreter with `toml` at {python} | | | <= 1.5x | |"]
    ours = OURS + ["toml", str(REAL_45), "--from", "4.5.0", "--to", "4.6.0", "-o", str(tmp / "o.toml"), "-q"]
    theirs = [python, str(peer_dir / "wso2_migration.py"), str(REAL_45), str(STOCK_46), "-o", str(tmp / "peer.toml"),
              "--no-backup"]
    return [row(label, "wso2_migration.py", paired(ours, theirs, runs, peer_dir), 1.5)]


def bench_values(runs: int, tmp: Path) -> list[str]:
    ours = OURS + ["values", str(VALUES_42), "--chart", "helm-apim/all-in-one@4.2.x",
                   "--to-chart", "helm-apim/all-in-one@4.6.x", "-o", str(tmp / "v.yaml"), "-q"]
    return [row("values: helm-apim all-in-one 4.2.x -> 4.6.x", "ruamel load+dump",
                paired(ours, [PY, "-c", RUAMEL_ROUND_TRIP, str(VALUES_42)], runs), 1.5)]


def bench_start(runs: int) -> list[str]:
    out = []
    for label, args in (("start: k8s-migrate --help", ["--help"]), ("start: k8s-migrate version", ["version"])):
        ours, bare, _ = paired(OURS + args, [PY, "-c", "pass"], runs)
        verdict = "met" if ours <= 0.100 else "MISSED"
        out.append(
            f"| {label} | {ours * 1000:.0f} ms | python -c pass {bare * 1000:.0f} ms | | <= 100 ms | {verdict} |"
        )
    return out


def find_helm() -> str | None:
    for candidate in (os.environ.get("K8S_MIGRATE_HELM"), shutil.which("helm"), str(REPO / ".cache" / "helm" / "helm")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def bench_render(runs: int) -> list[str]:
    helm = find_helm()
    if not helm:
        return ["| render / verify | skipped: no helm ($K8S_MIGRATE_HELM, PATH, or scripts/get-helm.sh) "
                "| | | <= 2x | |"]
    values_46 = CHART_46 / "values.yaml"
    yardstick = [helm, "template", "release", str(CHART_46), "-f", str(values_46)]
    render = OURS + ["render", str(values_46), "--chart", "helm-apim/all-in-one@4.6.x", "--instance", "instance-1"]
    verify = OURS + ["verify", str(VALUES_42), "--chart", "helm-apim/all-in-one@4.2.x",
                     "--to-chart", "helm-apim/all-in-one@4.6.x", "--instance", "instance-1"]
    return [
        row("render: all-in-one 4.6.x, instance-1", "helm template (4.6.x chart)", paired(render, yardstick, runs), 2),
        row(
            "verify: all-in-one 4.2.x -> 4.6.x, instance-1",
            "helm template (4.6.x chart)",
            paired(verify, yardstick, runs),
            2,
        ),
    ]


BATCH_ROUNDS = 3


def bench_batch(files: int) -> list[str]:
    sys.path.insert(0, str(Path(__file__).parent))
    from batch_bench import generate, parallel_ceiling, run

    os.environ.update(PYTHONPYCACHEPREFIX=PYCACHE, XDG_CACHE_HOME=USER_CACHE)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    out = []
    small = max(files // 10, 1)
    with tempfile.TemporaryDirectory() as tmp:
        rss: dict[tuple[int, bool], float] = {}
        for count in (small, files):
            root = Path(tmp) / f"fleet{count}"
            generate(root, count)
            if count == small:
                run(root, Path(tmp) / "warm-up", 1, "4.6.0", False)  # the data cache filled, as after a first run
            for report in (False, True):
                rss[count, report] = run(root, Path(tmp) / f"out{count}-{report}", 2, "4.6.0", report)[1]
        # the speed-up: the median of paired rounds (one worker, two workers, and the machine's own two-process
        # ratio, back to back), since one round on a shared VM moves by a third
        rounds = []
        for i in range(BATCH_ROUNDS):
            one = run(root, Path(tmp) / f"one-{i}", 1, "4.6.0", False)[0]
            two = run(root, Path(tmp) / f"two-{i}", 2, "4.6.0", False)[0]
            rounds.append((one / two, parallel_ceiling(), one, two))
        speedup, ceiling, one, two = sorted(rounds)[len(rounds) // 2]
        out.append(f"| batch {files} files: 1 worker {one:.2f} s, 2 workers {two:.2f} s (median of {BATCH_ROUNDS} "
                   f"rounds) | {speedup:.2f}x | two CPU-bound processes side by side, same round: {ceiling:.2f}x "
                   f"| | >= 1.8x | {'met' if speedup >= 1.8 else 'MISSED'} |")
        for report in (False, True):
            growth = rss[files, report] / rss[small, report] - 1
            out.append(f"| batch peak RSS{' with --report' if report else ''}: {rss[small, report]:.0f} MB at {small} "
                       f"files, {rss[files, report]:.0f} MB at {files} | {growth * 100:+.0f}% | | | within 20% | "
                       f"{'met' if abs(growth) <= 0.2 else 'MISSED'} |")
    return out


def in_process(repeat: int) -> list[str]:
    """The old figures: the pipeline called in this process, after a warm-up call that fills the caches."""
    sys.path.insert(0, str(REPO))
    import io

    import tomlkit
    from ruamel.yaml import YAML

    from k8s_migrate.migrate.toml import Options, migrate_toml
    from k8s_migrate.migrate.values import ValuesOptions, migrate_values

    def best(fn) -> float:
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    toml_data = REAL_45.read_bytes()
    values_data = VALUES_42.read_bytes()
    options = ValuesOptions(chart="helm-apim/all-in-one@4.2.x", to_chart="helm-apim/all-in-one@4.6.x")

    def ruamel_round_trip():
        yaml = YAML()
        yaml.dump(yaml.load(values_data.decode()), io.StringIO())

    pairs = (("toml real 4.5.0 -> 4.6.0", lambda: migrate_toml(toml_data, "deployment.toml", Options("4.5.0", "4.6.0")),
              lambda: tomlkit.dumps(tomlkit.parse(toml_data.decode()))),
             ("values 4.2.x -> 4.6.x", lambda: migrate_values(values_data, "values.yaml", options), ruamel_round_trip))
    out = []
    for label, ours, floor in pairs:
        a, b = best(ours), best(floor)
        out.append(f"| {label} (in-process, warm) | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {a / b:.2f}x |")
    return out


def machine() -> str:
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, nproc {os.cpu_count()}, {model}, Python {sys.version.split()[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--batch-files", type=int, default=1000)
    parser.add_argument("--peer", default=os.environ.get("K8S_MIGRATE_BENCH_PEER"))
    parser.add_argument("--peer-python", default=os.environ.get("K8S_MIGRATE_BENCH_PEER_PYTHON"))
    parser.add_argument("--only", default="toml,peer,values,start,render,batch")
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"Whole processes, median of {args.runs} paired runs; {machine()}")
    print()
    print("| job | k8s-migrate | yardstick, same rounds | ratio | target | |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        jobs = (("toml", lambda: bench_toml(args.runs, Path(tmp))),
                ("peer", lambda: bench_peer(args.runs, Path(tmp), args.peer, args.peer_python)),
                ("values", lambda: bench_values(args.runs, Path(tmp))),
                ("start", lambda: bench_start(args.runs)),
                ("render", lambda: bench_render(args.runs)),
                ("batch", lambda: bench_batch(args.batch_files)))
        for name, job in jobs:
            if name in only:
                for text in job():
                    print(text, flush=True)
    if args.in_process:
        print()
        print("In-process (warm caches, best of the runs; not what a user sees):")
        print()
        print("| job | k8s-migrate | floor | ratio |")
        print("|---|---|---|---|")
        for text in in_process(args.runs):
            print(text)


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(PYCACHE, ignore_errors=True)
        shutil.rmtree(USER_CACHE, ignore_errors=True)
