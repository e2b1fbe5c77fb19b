#!/usr/bin/env python3
"""Derive the fingerprints that `--from` and `--chart` detection read (mappings/detect/versions.json, charts.json).

From the committed catalogs (mappings/catalog/<version>.json):
- `keys`: every key a catalog names, with the versions that know it, where that is not every version
  (a key only 4.5.0+ knows says the file is 4.5.0+; one only 3.x knows says 3.x);
- `roles`: every `server.server_role` value infer.json knows, with its versions.
From WSO2's stock deployment.toml files (../shared/reference/apim/<version>/repository/conf and profiles/):
- `stock_lines`: stock lines (comments included, spaces collapsed) that only some versions' stock files
  hold, with the files that hold them ('4.2.0', '4.5.0/gateway'): a file copied from a stock file and
  edited keeps many of them.

From the committed chart maps (mappings/charts/<family>/<chart>/<branch>.json), charts.json:
- `paths`: every values path a chart reads or sets a default for (its map's links, guards, commented-out
  references and defaults; `*` is any one key), with the charts that know it.

    python scripts/derive_fingerprints.py [--reference DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.catalog import KnownKeys  # noqa: E402
from k8s_migrate.hub import KeyPathError, parse_key  # noqa: E402

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
DEFAULT_OUT = REPO / "mappings" / "detect"
CATALOGS = REPO / "mappings" / "catalog"
CHARTS = REPO / "mappings" / "charts"
ROLE_KEY = "server.server_role"
STOCK_FILES = ("repository/conf/deployment.toml", "profiles/*/deployment.toml")
MIN_LINE = 8  # shorter lines ("[server]", "enable = true") say nothing about a version


def stock_line(raw: str) -> str:
    return " ".join(raw.split())


def stock_files(reference: Path, version: str) -> dict[str, set[str]]:
    """Each stock file of a version ('4.5.0', '4.5.0/gateway'): its lines."""
    folder = reference / "apim" / version
    out = {}
    for pattern in STOCK_FILES:
        for path in sorted(folder.glob(pattern)):
            name = version if path.parent.parent.name != "profiles" else f"{version}/{path.parent.name}"
            lines = {stock_line(raw) for raw in path.read_text(encoding="utf-8").splitlines()}
            out[name] = {line for line in lines if len(line) >= MIN_LINE}
    return out


def versions_by(items: dict[str, set[str]], everyone: set[str]) -> dict[str, list[str]]:
    order = {v: i for i, v in enumerate(sorted(everyone, key=lambda v: tuple(map(int, v.split(".")))))}
    return {item: sorted(found, key=order.get) for item, found in sorted(items.items()) if found != everyone}


def chart_paths(data: dict) -> set[str]:
    paths = set(data.get("defaults", {})) | set(data.get("guard_only", []))
    for section in ("links", "guards", "commented"):
        paths.update(item["values"] for item in data.get(section, []) if item.get("values"))
    return {path.replace("[*]", "").replace("[]", "") for path in paths}


def derive_charts(out: Path) -> Path:
    index = json.loads((CHARTS / "index.json").read_text(encoding="utf-8"))
    paths: dict[str, set[str]] = {}
    for chart_id, file_name in index["charts"].items():
        data = json.loads((CHARTS / file_name).read_text(encoding="utf-8"))
        for path in chart_paths(data):
            paths.setdefault(path, set()).add(chart_id)
    order = list(index["charts"])
    data = {
        "source": "derived by scripts/derive_fingerprints.py from mappings/charts/index.json and the chart maps it lists",
        "charts": order,
        "paths": {path: sorted(found, key=order.index) for path, found in sorted(paths.items())},
    }
    return write(out / "charts.json", data)


def write(path: Path, data: dict) -> Path:
    """One line per entry of each table, so a regenerated file diffs line by line."""
    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    parts = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            body = ",\n".join(f"  {dump(k)}: {dump(v)}" for k, v in value.items())
            parts.append(f" {dump(key)}: {{\n{body}\n }}")
        else:
            parts.append(f" {dump(key)}: {dump(value)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    return path


def derive(reference: Path, out: Path) -> list[Path]:
    return [derive_versions(reference, out), derive_charts(out)]


def derive_versions(reference: Path, out: Path) -> Path:
    index = json.loads((CATALOGS / "index.json").read_text(encoding="utf-8"))
    versions = [v["version"] for v in index["versions"]]
    partial = [v["version"] for v in index["versions"] if v["partial"]]
    catalogs = {v: json.loads((CATALOGS / f"{v}.json").read_text(encoding="utf-8")) for v in versions}
    known = {v: KnownKeys.from_catalog_data(data, with_stock=False) for v, data in catalogs.items()}
    keys: dict[str, set[str]] = {}
    for text in sorted({text for k in known.values() for text in k.exact}):
        try:
            path = parse_key(text)
        except KeyPathError:
            continue
        keys[text] = {v for v in versions if known[v].is_known(path)}
    roles: dict[str, set[str]] = {}
    for version, data in catalogs.items():
        for role in data.get("infer", {}).get(ROLE_KEY, {}):
            roles.setdefault(role, set()).add(version)
    lines: dict[str, set[str]] = {}  # line -> the stock files that hold it
    for version in versions:
        for name, held in stock_files(reference, version).items():
            for line in held:
                lines.setdefault(line, set()).add(name)
    with_stock = {name.split("/")[0] for found in lines.values() for name in found}
    everyone = set(versions)
    data = {
        "source": ("derived by scripts/derive_fingerprints.py from mappings/catalog/<version>.json (known keys, "
                   "infer.json server roles) and ../shared/reference/apim/<version>/{repository/conf,profiles/*}/"
                   "deployment.toml (stock lines)"),
        "versions": versions,
        "partial": partial,
        "role_key": ROLE_KEY,
        "keys": versions_by(keys, everyone),
        "roles": versions_by(roles, everyone),
        "stock_lines": {line: sorted(found) for line, found in sorted(lines.items())
                        if {name.split("/")[0] for name in found} != with_stock},
    }
    return write(out / "versions.json", data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in derive(args.reference, args.out):
        data = json.loads(path.read_text(encoding="utf-8"))
        print(f"{path}: " + ", ".join(f"{len(v)} {k}" for k, v in data.items() if isinstance(v, (dict, list))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
