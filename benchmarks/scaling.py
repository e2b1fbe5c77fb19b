"""How cost grows with the input (not a test): wall time and peak RSS of whole `k8s-migrate` processes.

    python3 benchmarks/scaling.py [--timeout 300] [--only NAME ...]

Inputs are generated into a temp dir:
- toml-real-{0.1,1,10}MB: a customised 4.2 deployment.toml whose size comes from real shapes (gateway
  environments, throttling URL groups, system parameters), migrated 4.2 -> 4.6 (rebase; -edit: --mode edit);
- toml-split-real-{0.1,1,10}MB: the same keys with their sections interleaved, as Helm renders them and people
  edit them (a gateway environment, then a group of system parameters, and again), so the tables `apim` and
  `system` are split over the whole file (valid TOML);
- toml-split-unknown-{0.1,1,10}MB: `[apim.sN]`, `[transport.sN]`, ... each with one unknown key, 4.5 -> 4.6;
- values-real-{0.1,1,10}MB: a helm-apim 4.2.x values file grown the same way (gateway environments, extra
  annotations), migrated to 4.6.x;
- unknown-keys-{1k,10k,100k}: that many unknown keys (each gets a did-you-mean search);
- array-10k: a 10,000-element array in a known key (rebase builds it);
- string-10MB: one 10 MB string value (TOML and values);
- configmap-real-{0.1,1,10}MB: the real-shaped deployment.toml in a ConfigMap (the whole manifest under the size),
  migrated 4.2 -> 4.6 (edit mode, the configmap default);
- xml-environments-{0.1,1,10}MB: WSO2's 2.5.0 api-manager.xml (from ../shared/reference) with that many bytes of
  gateway environments, each its own name, migrated to 4.6 (skipped without the reference data).
Prints a Markdown table. Target: every 10 MB real-shaped input under 30 s and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
TOML_ARGS = ("--from", "4.2", "--to", "4.6")
VALUES_ARGS = ("--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x")

TOML_HEAD = """\
[server]
hostname = "am.example.com"
node_ip = "10.0.0.12"
offset = 0

[super_admin]
username = "admin"
password = "$secret{admin_password}"

[database.apim_db]
type = "mysql"
url = "jdbc:mysql://db.example.com:3306/apim_db?useSSL=false"
username = "apimuser"
password = "$secret{apim_db_password}"
pool_options.maxActive = 150

[apim.cors]
allow_origins = "*"
allow_headers = ["authorization", "Access-Control-Allow-Origin", "Content-Type"]

[system.parameter]
"""
TOML_GATEWAY = """
[[apim.gateway.environment]]
name = "gw-{i}"
type = "hybrid"
display_in_api_console = true
description = "Gateway environment {i} for region eu-west-{i}"
show_as_token_endpoint_url = true
service_url = "https://gw-{i}.internal.example.com:9443/services/"
username = "${{admin.username}}"
password = "${{admin.password}}"
ws_endpoint = "ws://gw-{i}.example.com:9099"
wss_endpoint = "wss://gw-{i}.example.com:8099"
http_endpoint = "http://gw-{i}.example.com:8280"
https_endpoint = "https://gw-{i}.example.com:8243"
"""
TOML_PARAM = '"org.wso2.custom.param{i}" = "value-{i}"\n'

VALUES_HEAD = """\
wso2:
  apim:
    configurations:
      adminUsername: admin
      databases:
        apim_db:
          url: "jdbc:mysql://db.example.com:3306/apim_db?useSSL=false"
          username: apimuser
      gateway:
        environments:
"""
VALUES_GATEWAY = """\
          - name: "gw-{i}"
            type: "hybrid"
            provider: "wso2"
            displayInApiConsole: true
            description: "Gateway environment {i} for region eu-west-{i}"
            showAsTokenEndpointUrl: true
            serviceUrl: "https://gw-{i}.internal.example.com:9443/services/"
            wsEndpoint: "ws://gw-{i}.example.com:9099"
            wssEndpoint: "wss://gw-{i}.example.com:8099"
            httpEndpoint: "http://gw-{i}.example.com:8280"
            httpsEndpoint: "https://gw-{i}.example.com:8243"
"""


def grow(head: str, block: str, size: float) -> str:
    parts, total, i = [head], len(head), 0
    while total < size:
        text = block.format(i=i)
        parts.append(text)
        total += len(text)
        i += 1
    return "".join(parts)


def toml_real(size: float) -> str:
    gateways = grow("", TOML_GATEWAY, size * 0.5)
    params = grow("", TOML_PARAM, size * 0.5)
    return TOML_HEAD + params + gateways


def toml_split_real(size: float) -> str:
    """toml_real's gateway environments and system parameters, one after the other: each parameter group a table
    of its own under the free-form `system.parameter`."""
    parts, total, i = [TOML_HEAD.replace("[system.parameter]\n", "")], 0, 0
    while total < size:
        params = "".join(TOML_PARAM.format(i=i * 10 + j) for j in range(10))
        text = TOML_GATEWAY.format(i=i) + f"\n[system.parameter.group{i}]\n{params}"
        parts.append(text)
        total += len(text)
        i += 1
    return "".join(parts)


def toml_split_unknown(size: float) -> str:
    parts, total, i = [], 0, 0
    while total < size:
        text = f"[apim.s{i}]\nk = {i}\n[transport.s{i}]\nk = {i}\n"
        parts.append(text)
        total += len(text)
        i += 1
    return "".join(parts)


def unknown_keys(count: int) -> str:
    lines = [TOML_HEAD.replace("[system.parameter]\n", ""), "[apim.throttling]\n"]
    lines += [f"custom_limit_{i:06d}_window = {i}\n" for i in range(count)]
    return "".join(lines)


def cases() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """name -> (file name, text, command and its arguments)."""
    out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for size in (0.1, 1, 10):
        out[f"toml-real-{size:g}MB"] = ("deployment.toml", toml_real(size * MB * 0.98), ("toml", *TOML_ARGS))
        out[f"toml-real-{size:g}MB-edit"] = ("deployment.toml", toml_real(size * MB * 0.98),
                                             ("toml", *TOML_ARGS, "--mode", "edit"))
        for mode in ((), ("--mode", "edit")):
            suffix = "-edit" if mode else ""
            out[f"toml-split-real-{size:g}MB{suffix}"] = ("deployment.toml", toml_split_real(size * MB * 0.98),
                                                          ("toml", *TOML_ARGS, *mode))
            out[f"toml-split-unknown-{size:g}MB{suffix}"] = ("deployment.toml", toml_split_unknown(size * MB * 0.98),
                                                             ("toml", "--from", "4.5", "--to", "4.6", *mode))
        out[f"values-real-{size:g}MB"] = ("values.yaml", grow(VALUES_HEAD, VALUES_GATEWAY, size * MB * 0.98),
                                          ("values", *VALUES_ARGS))
    for count in (1_000, 10_000, 100_000):
        out[f"unknown-keys-{count // 1000}k"] = ("deployment.toml", unknown_keys(count), ("toml", *TOML_ARGS))
    items = ", ".join(f'"https://app-{i}.example.com"' for i in range(10_000))
    out["array-10k"] = ("deployment.toml", TOML_HEAD.replace('allow_origins = "*"', f"allow_origins = [{items}]"),
                        ("toml", *TOML_ARGS))
    big = "x" * int(9.9 * MB)
    out["toml-string-10MB"] = ("deployment.toml", f'[server]\nhostname = "{big}"\n', ("toml", *TOML_ARGS))
    out["values-string-10MB"] = ("values.yaml", f"wso2:\n  apim:\n    configurations:\n      adminUsername: {big}\n",
                                 ("values", *VALUES_ARGS))
    out.update(embedded_cases())
    out.update(xml_cases())
    return out


def configmap_of(toml: str) -> str:
    body = "\n".join("    " + line if line else "" for line in toml.splitlines())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apim-conf\ndata:\n  deployment.toml: |\n{body}\n"


def embedded_cases() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """The real-shaped file embedded in a ConfigMap (the whole manifest under the size)."""
    return {f"configmap-real-{size:g}MB": ("configmap.yaml", configmap_of(toml_real(size * MB * 0.85)),
                                           ("configmap", *TOML_ARGS)) for size in (0.1, 1, 10)}


def xml_cases() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """A 2.x api-manager.xml grown by its gateway environments (a fleet of gateways in one file)."""
    import re

    stock = REPO.parent / "shared" / "reference" / "apim" / "2.5.0" / "repository" / "conf" / "api-manager.xml"
    if not stock.is_file():
        return {}
    text = stock.read_text()
    found = re.search(r"<Environment type=\"hybrid\".*?</Environment>", text, re.S)
    if found is None:
        return {}
    environment = found.group(0)
    out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for size in (0.1, 1, 10):
        count = int(size * MB * 0.95 / len(environment))
        grown = "\n".join(environment.replace("<Name>Production and Sandbox</Name>", f"<Name>gateway-{i}</Name>")
                          for i in range(count))
        out[f"xml-environments-{size:g}MB"] = ("api-manager.xml", text.replace(environment, grown, 1),
                                               ("xml", "--from", "2.5.0", "--to", "4.6"))
    return out


def run(path: Path, command: tuple[str, ...], timeout: float) -> tuple[str, float, float, float, int]:
    """(outcome, wall seconds, CPU seconds, peak RSS in MB, exit code) of one fresh process. On a shared machine
    the CPU seconds (user + system) are the steadier figure. The process is started by a small launcher (this
    script with --measure): Linux counts in a child's peak RSS what its parent held when it forked, and this
    process holds the generated inputs."""
    argv = [sys.executable, "-m", "k8s_migrate", command[0], str(path), *command[1:], "-q", "-o",
            str(path.with_name("out" + path.suffix))]
    launched = subprocess.run([sys.executable, __file__, "--measure", str(timeout), *argv], capture_output=True,
                              text=True, check=True)
    outcome, seconds, cpu, rss, code = json.loads(launched.stdout)
    return outcome, seconds, cpu, rss, code


def measure(argv: list[str], timeout: float) -> tuple[str, float, float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return (f"timeout {timeout:g} s", time.perf_counter() - start, usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss / 1024, -9)
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    return (("ok" if code in (0, 1) else (err[-1][:60] if err else f"exit {code}")), seconds,
            usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--only", nargs="*")
    if sys.argv[1:2] == ["--measure"]:  # the launcher: --measure TIMEOUT ARGV...
        print(json.dumps(measure(sys.argv[3:], float(sys.argv[2]))))
        return
    args = parser.parse_args()
    print("| input | size | seconds | CPU seconds | peak RSS MB | outcome |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        planned = []
        for name, (file_name, text, command) in cases().items():
            if args.only and name not in args.only:
                continue
            path = Path(tmp) / name / file_name
            path.parent.mkdir()
            path.write_text(text)
            planned.append((name, path, len(text.encode()), command))
        # the texts are gone before the first run: a child's peak RSS counts what this process held when it forked
        for name, path, size, command in planned:
            outcome, seconds, cpu, rss, _ = run(path, command, args.timeout)
            print(f"| {name} | {size / MB:.2f} MB | {seconds:.1f} | {cpu:.1f} | {rss:.0f} | {outcome} |", flush=True)

if __name__ == "__main__":
    main()
