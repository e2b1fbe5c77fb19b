"""Batch benchmark: N generated fleet files, migrated with 1 and with 2 workers; wall time and peak RSS.

    python3 benchmarks/batch_bench.py [--files 500] [--to 4.6.0]

The files are variations of tests/fixtures/fleet (control plane, traffic manager, gateway, ConfigMap),
each with its own hostname. Each run is a fresh `python -m k8s_migrate batch` process; peak RSS is the
largest resident set of that process and its workers (wait4's ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLEET = REPO / "tests" / "fixtures" / "fleet"
TEMPLATES = ["control-plane/deployment.toml", "traffic-manager/deployment.toml", "gateway/deployment.toml",
             "k8s/gateway-conf.yaml"]


def generate(root: Path, count: int) -> None:
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        text = (FLEET / template).read_text().replace(".apim.internal", f".node{i}.apim.internal")
        dest = root / f"node-{i:04d}" / Path(template).name
        dest.parent.mkdir(parents=True)
        dest.write_text(text)


def run(root: Path, out: Path, workers: int, to: str, with_report: bool) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "k8s_migrate", "batch", str(root), "--from", "4.2.0", "--to", to, "-o", str(out),
           "--workers", str(workers), "-q"] + (["--report", str(out) + ".json"] if with_report else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"batch failed: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


SPIN = "s = 0\nfor i in range(3_000_000):\n    s += i % 7"


def parallel_ceiling() -> float:
    """How much sooner two processes of a pure-CPU loop finish side by side than one after the other, now: what
    this machine (2 cores shared with whatever else runs) can give 2 workers at best."""
    cmd = [sys.executable, "-c", SPIN]
    start = time.perf_counter()
    for _ in range(2):
        subprocess.run(cmd, check=True)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    for proc in [subprocess.Popen(cmd) for _ in range(2)]:
        proc.wait()
    return serial / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--to", default="4.6.0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in sorted({100, args.files}):
            root = Path(tmp) / f"fleet{count}"
            generate(root, count)
            for workers, with_report in ((1, False), (2, False), (2, True)):
                wall, rss = run(root, Path(tmp) / f"out{count}-{workers}", workers, args.to, with_report)
                print(f"files={count} workers={workers} json_report={with_report} wall={wall:.2f}s "
                      f"peak_rss={rss:.0f}MB per_file={1000 * wall / count:.1f}ms")


if __name__ == "__main__":
    main()
