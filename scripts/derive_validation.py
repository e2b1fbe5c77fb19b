#!/usr/bin/env python3
"""Derive what `k8s-migrate validate` checks beyond the key catalogs: mappings/validation/<version>.json.

Per API-M version (format: mappings/validation/README.md):
- value sets: the names infer.json gives `server.server_role`, the closed regexes of validator.json
  (`user_store.type`, `encryption.type`), and the analytics `type` values that WSO2's stock files
  and chart templates write plus the documented ones (mappings/validation/documented.yaml);
- requirements: validator.json's "if KEY = VALUE, KEY2 must match" entries;
- template types: keys the `.j2` templates test with `is sameas true|false` (bool), loop over or
  `join` (list), iterate with `.items()` (table), or print with a `default(...)` literal (its type).

Versions without their own validator.json or templates (3.1.0 partial, 4.7.0) take the previous
full version's, and say so in `source`.

    python scripts/derive_validation.py [--reference DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from derive_catalogs import (  # noqa: E402
    CONF,
    FOR_ITEMS,
    FOR_LIST,
    conf_dir_of,
    resolve,
    template_bindings,
    toml_versions,
    try_hub_text,
    version_tuple,
    write_json,
)

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
DEFAULT_OUT = REPO / "mappings" / "validation"
DOCUMENTED = REPO / "mappings" / "validation" / "documented.yaml"
CHART_MAPS = REPO / "mappings" / "charts"

ROLE_KEY = "server.server_role"
# validator.json writes a closed set as \Aone\Z|\Atwo\Z
CLOSED_REGEX = re.compile(r"^(?:\\A[\w.-]+\\Z)(?:\|\\A[\w.-]+\\Z)*$")
SAMEAS = re.compile(r"([A-Za-z_][\w.]*(?:\[['\"][^'\"]+['\"]\])?)\s+is\s+sameas\s+(?:true|false)")
JOINED = re.compile(r"\{\{-?\s*([A-Za-z_][\w.]*)\s*\|\s*join\b")
DEFAULTED = re.compile(
    r"\{\{-?\s*([A-Za-z_][\w.]*)\s*\|\s*default\(\s*(?:'([^']*)'|\"([^\"]*)\"|(true|false|True|False|-?\d+(?:\.\d+)?))\s*\)\s*-?\}\}"
)


def literal_kind(text: str) -> str:
    """The type a template's `default(...)` literal shows (quoted numbers are numbers: they render the same)."""
    if text.lower() in ("true", "false"):
        return "bool"
    if re.fullmatch(r"-?\d+", text):
        return "int"
    if re.fullmatch(r"-?\d+\.\d+", text):
        return "float"
    return "string"


def value_sets_from_validator(validator: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    out = {}
    for key, checks in validator.items():
        for check in checks:
            regex = check.get("regex")
            if "if" in check or not isinstance(regex, str) or not CLOSED_REGEX.match(regex):
                continue
            names = [part[2:-2] for part in regex.split("|")]
            out[try_hub_text(key) or key] = {"values": names, "closed": True, "source": where}
    return out


def requirements_from_validator(validator: dict[str, Any], where: str) -> list[dict[str, Any]]:
    out = []
    for key, checks in validator.items():
        for check in checks:
            pattern = check.get("match_regex", check.get("regex"))
            if "if" not in check or not pattern:
                continue
            out.append(
                {
                    "key": try_hub_text(key) or key,
                    "when": {try_hub_text(k) or k: v for k, v in check["if"].items()},
                    "match": pattern,
                    "message": check.get("error_message") or f"{key} must match {pattern}",
                    "source": where,
                }
            )
    return out


def role_set(infer: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    roles = infer.get(ROLE_KEY)
    if not roles:
        return {}
    return {ROLE_KEY: {"values": list(roles), "closed": True, "source": where}}


def template_types(template_dir: Path, template_keys: set[str]) -> dict[str, str]:
    """Types the templates demand of keys: a `for x in KEY` or `KEY|join` is a list, `KEY.items()` a
    table, `KEY is sameas true` a bool. Only keys the catalog lists as template keys count."""
    found: dict[str, str] = {}

    def note(raw: str, kind: str) -> None:
        for expr in resolve(raw, bindings):
            key = try_hub_text(expr.replace("[]", "[*]").replace("['", '."').replace("']", '"')
                               .replace('["', '."').replace('"]', '"'))
            if key and key in template_keys:
                found.setdefault(key, kind)

    for path in sorted(template_dir.rglob("*.j2")):
        text = path.read_text(encoding="utf-8", errors="replace")
        bindings = template_bindings(text)
        lines = text.splitlines()
        for raw in _found(SAMEAS, lines, "sameas"):
            note(raw, "bool")
        for _var, raw in FOR_ITEMS.findall(text):
            note(raw, "table")
        for _var, raw in FOR_LIST.findall(text):
            note(raw, "list")
        for raw in _found(JOINED, lines, "join"):
            note(raw, "list")
        for raw, single, double, bare in _found(DEFAULTED, lines, "default("):
            note(raw, literal_kind(single or double or bare))
    return dict(sorted(found.items()))


def _found(pattern: re.Pattern[str], lines: list[str], word: str) -> list:
    """``pattern.findall`` over the lines that hold ``word`` (the patterns are slow on whole files)."""
    return [hit for line in lines if word in line for hit in pattern.findall(line)]


def analytics_values(
    reference: Path, version: str, stock_files: list[Path], documented: dict[str, Any]
) -> dict[str, Any] | None:
    spec = documented.get("apim.analytics.type")
    if not spec or version_tuple(version) < version_tuple(spec["since"]):
        return None
    import tomllib

    values: dict[str, str] = {}
    for path in stock_files:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        value = data.get("apim", {}).get("analytics", {}).get("type")
        if isinstance(value, str):
            values.setdefault(value, f"../shared/reference/{path.relative_to(reference).as_posix()}")
    branch = ".".join(version.split(".")[:2]) + ".x"
    for map_file in sorted(CHART_MAPS.glob(f"*/*/{branch}.json")):
        chart = json.loads(map_file.read_text(encoding="utf-8"))
        for constant in chart.get("constants", []):
            if constant.get("toml") == "apim.analytics.type" and isinstance(constant.get("value"), str):
                values.setdefault(constant["value"], f"chart map {chart['id']} (constants)")
    for name, entry in spec["values"].items():
        if version_tuple(version) >= version_tuple(entry.get("since", spec["since"])):
            values.setdefault(name, entry["source"])
    return {"values": sorted(values), "closed": False,
            "source": "WSO2's stock files and chart templates, and mappings/validation/documented.yaml",
            "value_sources": dict(sorted(values.items()))}


def read_documented() -> dict[str, Any]:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(DOCUMENTED.read_text(encoding="utf-8")) or {}


def derive(reference: Path, out: Path) -> list[Path]:
    apim = reference / "apim"
    documented = read_documented()
    catalogs = {v: json.loads((REPO / "mappings" / "catalog" / f"{v}.json").read_text(encoding="utf-8"))
                for v in toml_versions(apim)}
    written = []
    previous: dict[str, Any] | None = None
    for version, catalog in catalogs.items():
        vdir = apim / version
        conf, partial = conf_dir_of(vdir)
        data: dict[str, Any] = {
            "version": version,
            "source": {},
            "value_sets": {},
            "requirements": [],
            "template_types": {},
        }
        validator_path = conf / "validator.json" if conf else None
        if validator_path and validator_path.is_file():
            where = f"../shared/reference/apim/{validator_path.relative_to(apim).as_posix()}"
            validator = json.loads(validator_path.read_text(encoding="utf-8"))
            data["value_sets"].update(value_sets_from_validator(validator, where))
            data["requirements"] = requirements_from_validator(validator, where)
            data["source"]["validator.json"] = where
        elif previous:
            data["value_sets"].update({k: v for k, v in previous["value_sets"].items() if k != ROLE_KEY})
            data["requirements"] = previous["requirements"]
            data["source"]["validator.json"] = f"none for {version}: {previous['version']}'s is used"
        if catalog["infer"]:
            where = catalog["source"].get("infer.json", "infer.json")
            data["value_sets"].update(role_set(catalog["infer"], where))
        elif previous and ROLE_KEY in previous["value_sets"]:
            data["value_sets"][ROLE_KEY] = previous["value_sets"][ROLE_KEY]
            data["source"]["infer.json"] = f"none for {version}: {previous['version']}'s is used"
        template_dir = vdir / CONF / "templates"
        if template_dir.is_dir():
            data["template_types"] = template_types(template_dir, set(catalog["template_keys"]))
            data["source"]["template_types"] = f"../shared/reference/apim/{version}/{CONF}/templates/**/*.j2"
        elif previous:
            data["template_types"] = previous["template_types"]
            data["source"]["template_types"] = f"no templates for {version}: {previous['version']}'s are used"
        stock_files = sorted(
            p
            for p in [vdir / "repository/conf/deployment.toml", *vdir.glob("profiles/*/deployment.toml")]
            if p.is_file()
        )
        analytics = analytics_values(reference, version, stock_files, documented)
        if analytics:
            data["value_sets"]["apim.analytics.type"] = analytics
        data["value_sets"] = dict(sorted(data["value_sets"].items()))
        written.append(write_json(out / f"{version}.json", data))
        if not partial:
            previous = data
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in derive(args.reference, args.out):
        data = json.loads(path.read_text(encoding="utf-8"))
        print(f"{path.name}: {len(data['value_sets'])} value sets, {len(data['requirements'])} requirements, "
              f"{len(data['template_types'])} template types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
