#!/usr/bin/env python3
"""Derive per-version key catalogs (mappings/catalog/<version>.json) from WSO2's reference data.

Reads ../shared/reference/apim/<version>/ (relative to the repo root) for every version that
ships a deployment.toml (3.0.0 and later) and writes one JSON catalog per version plus
index.json.  See mappings/catalog/README.md for the format.

    python scripts/derive_catalogs.py [--reference DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.catalog import KnownKeys, infer_and_alias_keys  # noqa: E402
from k8s_migrate.hub import KeyPathError, format_key, parse_key  # noqa: E402

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
DEFAULT_OUT = REPO / "mappings" / "catalog"

CONF = Path("repository/resources/conf")
PARTIAL_CONF = Path("product-apim-source-partial/modules/distribution/product/src/main/resources/conf")
STOCK = Path("repository/conf/deployment.toml")
PROFILE_DIRS = {
    "all-in-one-apim": "all-in-one",
    "api-control-plane": "control-plane",
    "gateway": "gateway",
    "traffic-manager": "traffic-manager",
}
STOCK_FALLBACK_PROFILE_DIR = "all-in-one-apim"
VERSION_DIR = re.compile(r"^\d+\.\d+\.\d+$")
# infer.json writes a captured table name as `$1` (database.$1.type): any one segment.
CAPTURE_SEGMENT = re.compile(r"(?<=\.)\$\d+(?=\.|$)")


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def toml_versions(apim_dir: Path) -> list[str]:
    """Versions with a deployment.toml (stock or per-profile): the TOML era."""
    found = []
    for child in apim_dir.iterdir():
        if child.is_dir() and VERSION_DIR.match(child.name):
            if (child / STOCK).is_file() or (child / "profiles").is_dir():
                found.append(child.name)
    return sorted(found, key=version_tuple)


def hub_text(raw: str) -> str:
    return format_key(parse_key(CAPTURE_SEGMENT.sub("*", raw)))


def try_hub_text(raw: str) -> str | None:
    try:
        return hub_text(raw)
    except KeyPathError:
        return None


# ---------------------------------------------------------------- provenance

PROVENANCE_ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+/[^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|")
PROFILE_ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+)\s*\|\s*([0-9a-f]{40})\s*\|")


def read_provenance(apim_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Saved file -> "repo path @ commit", and version -> product-apim tag commit of the profile files."""
    files: dict[str, str] = {}
    profile_commits: dict[str, str] = {}
    text = (apim_dir / "PROVENANCE.md").read_text(encoding="utf-8")
    in_profiles = False
    for line in text.splitlines():
        if line.startswith("## "):
            in_profiles = "Per-profile" in line
        row = PROVENANCE_ROW.match(line)
        if row and not in_profiles:
            saved, repo, path, commit = row.groups()
            saved = saved.split(" (")[0].strip()
            files[saved] = f"{repo} {path} @ {commit}"
        prow = PROFILE_ROW.match(line)
        if prow and in_profiles:
            profile_commits[prow.group(1)] = prow.group(2)
    return files, profile_commits


def source_note(reference: Path, saved: Path, provenance: dict[str, str]) -> str:
    rel = saved.relative_to(reference / "apim").as_posix()
    origin = provenance.get(rel)
    note = f"../shared/reference/apim/{rel}"
    return f"{note} (from {origin})" if origin else note


# ---------------------------------------------------------------- TOML stock files


def plain_json(value: Any) -> Any:
    """tomllib output as JSON data (dates become ISO strings)."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    return value


def read_toml(path: Path) -> tuple[dict[str, Any], str | None]:
    try:
        with open(path, "rb") as fh:
            return plain_json(tomllib.load(fh)), None
    except tomllib.TOMLDecodeError as exc:
        return {}, f"{path.name}: {exc}"


def leaf_paths(data: Any, prefix: tuple = ()) -> Iterable[tuple]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaf_paths(value, prefix + (key,))
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, item in enumerate(data):
            yield from leaf_paths(item, prefix + (i,))
    else:
        yield prefix


# ---------------------------------------------------------------- templates

FOR_ITEMS = re.compile(r"\{%-?\s*for\s+\w+\s*,\s*(\w+)\s+in\s+([\w.]+)\.items\(\)")
FOR_LIST = re.compile(r"\{%-?\s*for\s+(\w+)\s+in\s+([\w.]+)\s*(?:if\b[^%]*)?-?%\}")
SET_ALIAS = re.compile(r"\{%-?\s*set\s+(\w+)\s*=\s*([A-Za-z_][\w.]*)\s*-?%\}")


def template_bindings(text: str) -> dict[str, set[str]]:
    """Loop and `set` variables of one template -> the key patterns they may stand for (unresolved)."""
    bindings: dict[str, set[str]] = {}
    for var, expr in FOR_ITEMS.findall(text):
        bindings.setdefault(var, set()).add(expr + ".*")
    for var, expr in FOR_LIST.findall(text):
        bindings.setdefault(var, set()).add(expr + "[]")
    for var, expr in SET_ALIAS.findall(text):
        bindings.setdefault(var, set()).add(expr)
    return bindings


def resolve(expr: str, bindings: dict[str, set[str]], depth: int = 0) -> set[str]:
    head, _, rest = expr.partition(".")
    if head not in bindings or depth > 8:
        return {expr}
    out = set()
    for bound in bindings[head]:
        for base in resolve(bound, bindings, depth + 1):
            out.add(f"{base}.{rest}" if rest else base)
    return out


def free_form_tables(template_dir: Path, template_keys: list[str]) -> list[str]:
    """Tables the templates iterate with `.items()` and whose entries are plain values.

    Each entry is written `<table>.*`: any key below it is accepted.  A table whose entries the
    templates read field by field (`custom_keystore.*.alias`) is not free-form.
    """
    known = set(template_keys)
    found: set[str] = set()
    for path in sorted(template_dir.rglob("*.j2")):
        text = path.read_text(encoding="utf-8", errors="replace")
        bindings = template_bindings(text)
        for _var, expr in FOR_ITEMS.findall(text):
            for raw in resolve(expr, bindings):
                table = try_hub_text(raw.replace("[]", "[*]"))
                if table is None or table not in known:
                    continue
                if any(k.startswith(table + ".*.") or k.startswith(table + ".*[") for k in known):
                    continue
                found.add(table + ".*")
    return sorted(found)


def read_template_keys(version_dir: Path) -> list[str]:
    path = version_dir / "template-keys.txt"
    if not path.is_file():
        return []
    keys = {hub_text(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    return sorted(keys)


# ---------------------------------------------------------------- JSON conf files


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def convert_defaults(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    defaults: dict[str, Any] = {}
    malformed: list[str] = []
    collisions: list[str] = []
    for key, value in raw.items():
        text = try_hub_text(key)
        if text is None:
            malformed.append(key)
            continue
        if text in defaults:
            collisions.append(key)
        defaults[text] = value
    return defaults, malformed, collisions


def convert_aliases(raw: dict[str, Any]) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    aliases: dict[str, list[str]] = {}
    malformed: list[dict[str, str]] = []
    for new, old in raw.items():
        new_text = try_hub_text(new)
        olds = old if isinstance(old, list) else [old]
        converted = []
        for item in olds:
            text = try_hub_text(item) if isinstance(item, str) else None
            if text is None or new_text is None:
                malformed.append({"key": new, "old": str(item)})
            else:
                converted.append(text)
        if new_text is not None and converted:
            aliases[new_text] = converted
    return aliases, malformed


def convert_infer(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        hub_text(cond_key): {
            cond_value: {hub_text(k): v for k, v in implied.items()}
            for cond_value, implied in by_value.items()
        }
        for cond_key, by_value in raw.items()
    }


# ---------------------------------------------------------------- one version


def conf_dir_of(version_dir: Path) -> tuple[Path | None, bool]:
    if (version_dir / CONF / "default.json").is_file():
        return version_dir / CONF, False
    if (version_dir / PARTIAL_CONF / "default.json").is_file():
        return version_dir / PARTIAL_CONF, True
    return None, True


def partial_note(version: str, has_product_files: bool, prev: str | None, nxt: str | None) -> str:
    neighbours = [v for v in (prev, nxt) if v]
    if has_product_files:
        return (
            f"{version}: only the product-level default.json, key-mappings.json and infer.json of "
            "wso2/product-apim are available (the build merges them with per-feature defaults); "
            f"keys missing here are interpolated from {' and '.join(neighbours)} where they agree"
        )
    return (
        f"{version}: no distribution default.json, templates or key-mappings were available; "
        f"defaults and known keys are taken from {' and '.join(neighbours)}"
    )


def read_version(reference: Path, version: str, provenance: dict[str, str], profile_commits: dict[str, str]) -> dict:
    vdir = reference / "apim" / version
    conf, partial = conf_dir_of(vdir)
    source: dict[str, str] = {}
    problems: list[str] = []

    defaults: dict[str, Any] = {}
    malformed: list[str] = []
    aliases: dict[str, list[str]] = {}
    bad_aliases: list[dict[str, str]] = []
    infer: dict[str, Any] = {}
    units: dict[str, Any] = {}
    if conf is not None:
        defaults, malformed, collisions = convert_defaults(read_json(conf / "default.json"))
        problems += [f"default.json: {k!r} repeats a key already given in another spelling" for k in collisions]
        source["default.json"] = source_note(reference, conf / "default.json", provenance)
        if (conf / "key-mappings.json").is_file():
            aliases, bad_aliases = convert_aliases(read_json(conf / "key-mappings.json"))
            source["key-mappings.json"] = source_note(reference, conf / "key-mappings.json", provenance)
        if (conf / "infer.json").is_file():
            infer = convert_infer(read_json(conf / "infer.json"))
            source["infer.json"] = source_note(reference, conf / "infer.json", provenance)
        if (conf / "unit-resolve.json").is_file():
            units = read_json(conf / "unit-resolve.json")
            source["unit-resolve.json"] = source_note(reference, conf / "unit-resolve.json", provenance)

    template_keys = read_template_keys(vdir)
    if template_keys:
        source["template-keys.txt"] = (
            f"../shared/reference/apim/{version}/template-keys.txt (generated in the reference from the "
            "saved templates/ tree; see apim/PROVENANCE.md)"
        )
    template_dir = vdir / CONF / "templates"
    free_form = free_form_tables(template_dir, template_keys) if template_dir.is_dir() else []
    if free_form:
        source["free_form_tables"] = f"`.items()` loops in ../shared/reference/apim/{version}/{CONF}/templates/**/*.j2"

    profiles: dict[str, Any] = {}
    for dirname, profile in PROFILE_DIRS.items():
        path = vdir / "profiles" / dirname / "deployment.toml"
        if path.is_file():
            data, error = read_toml(path)
            profiles[profile] = data
            if error:
                problems.append(f"profiles/{dirname}/{error}")
            commit = profile_commits.get(version, "?")
            source[f"profiles/{profile}"] = (
                f"../shared/reference/apim/{version}/profiles/{dirname}/deployment.toml (from wso2/product-apim "
                f"{dirname}/modules/distribution/product/src/main/conf/deployment.toml @ {commit})"
            )

    stock_path = vdir / STOCK
    if not stock_path.is_file():
        stock_path = vdir / "profiles" / STOCK_FALLBACK_PROFILE_DIR / "deployment.toml"
    stock, error = read_toml(stock_path)
    if error:
        problems.append(f"stock {error}")
    source["stock"] = source_note(reference, stock_path, provenance)
    if stock_path.parent.parent.name == "profiles":
        source["stock"] += f" (no repository/conf/deployment.toml for {version}; the all-in-one profile file is used)"

    return {
        "version": version,
        "source": source,
        "partial": partial,
        "partial_note": "",
        "defaults": defaults,
        "interpolated_defaults": {},
        "malformed_default_keys": malformed,
        "template_keys": template_keys,
        "free_form_tables": free_form,
        "interpolated_known": {},
        "stock": stock,
        "stock_unknown_keys": [],
        "profiles": profiles,
        "aliases": aliases,
        "malformed_aliases": bad_aliases,
        "infer": infer,
        "units": units,
        "problems": problems,
    }


def interpolate(catalogs: dict[str, dict], order: list[str]) -> None:
    """Fill interpolated_defaults / interpolated_known of partial versions from the full neighbours."""
    full = [v for v in order if not catalogs[v]["partial"]]
    for version in order:
        cat = catalogs[version]
        if not cat["partial"]:
            continue
        prev = max((v for v in full if version_tuple(v) < version_tuple(version)), key=version_tuple, default=None)
        nxt = min((v for v in full if version_tuple(v) > version_tuple(version)), key=version_tuple, default=None)
        neighbours = [v for v in (prev, nxt) if v]
        cat["partial_note"] = partial_note(version, bool(cat["defaults"]), prev, nxt)
        first = catalogs[neighbours[0]]
        interpolated = {}
        for key, value in first["defaults"].items():
            if key in cat["defaults"]:
                continue
            if all(key in catalogs[v]["defaults"] and catalogs[v]["defaults"][key] == value for v in neighbours):
                interpolated[key] = {"value": value, "from": neighbours}
        cat["interpolated_defaults"] = interpolated
        if not cat["template_keys"]:
            shared = set(first["template_keys"])
            shared_free = set(first["free_form_tables"])
            shared_other = infer_and_alias_keys(first)
            for v in neighbours[1:]:
                shared &= set(catalogs[v]["template_keys"])
                shared_free &= set(catalogs[v]["free_form_tables"])
                shared_other &= infer_and_alias_keys(catalogs[v])
            cat["interpolated_known"] = {
                "from": neighbours,
                "template_keys": sorted(shared),
                "free_form_tables": sorted(shared_free),
                "other_keys": sorted(shared_other - infer_and_alias_keys(cat)),
            }


def stock_unknown_keys(cat: dict) -> list[str]:
    """Stock leaf keys that neither default.json nor the templates know (typos, or keys read elsewhere)."""
    known = KnownKeys.from_catalog_data(cat, with_stock=False)
    unknown = set()
    for doc in [cat["stock"], *cat["profiles"].values()]:
        for path in leaf_paths(doc):
            if not known.is_known(path):
                unknown.add(format_key(path))
    return sorted(unknown)


def derive(reference: Path, out: Path) -> list[Path]:
    apim = reference / "apim"
    provenance, profile_commits = read_provenance(apim)
    order = toml_versions(apim)
    catalogs = {v: read_version(reference, v, provenance, profile_commits) for v in order}
    interpolate(catalogs, order)
    for cat in catalogs.values():
        cat["stock_unknown_keys"] = stock_unknown_keys(cat)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for version in order:
        written.append(write_json(out / f"{version}.json", catalogs[version]))
    index = {
        "source": "derived by scripts/derive_catalogs.py from ../shared/reference/apim/ (see apim/PROVENANCE.md)",
        "versions": [{"version": v, "partial": catalogs[v]["partial"]} for v in order],
    }
    written.append(write_json(out / "index.json", index))
    return written


def write_json(path: Path, data: Any) -> Path:
    text = json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in derive(args.reference, args.out):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "defaults" in data:
            print(
                f"{path.name}: {len(data['defaults'])} defaults, {len(data['interpolated_defaults'])} interpolated, "
                f"{len(data['template_keys'])} template keys, {len(data['free_form_tables'])} free-form tables, "
                f"{len(data['stock_unknown_keys'])} stock keys unknown, problems: {len(data['problems'])}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
