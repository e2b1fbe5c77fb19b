"""Loading rule packs from mappings/apim/*.yaml, and the version chain they form."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..data import mappings_dir
from ..versions import normalise_version, version_key
from .model import RuleError, RulePack, rule_from_data


def _yaml_load(path: Path):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def load_pack(path: Path) -> RulePack:
    data = _yaml_load(path)
    if not isinstance(data, dict) or "from" not in data or "to" not in data:
        raise RuleError(f"{path.name}: a rule pack needs 'from', 'to' and 'rules'")
    src, dst = normalise_version(str(data["from"])), normalise_version(str(data["to"]))
    if version_key(src) >= version_key(dst):
        raise RuleError(f"{path.name}: 'from' {src} must be older than 'to' {dst}")
    name = f"{src}->{dst}"
    rules = tuple(
        rule_from_data(item, name, f"{path.name} rule {i + 1}") for i, item in enumerate(data.get("rules") or [])
    )
    return RulePack(src, dst, rules, str(path))


@lru_cache(maxsize=None)
def load_packs(directory: str | None = None) -> tuple[RulePack, ...]:
    folder = Path(directory) if directory else mappings_dir() / "apim"
    packs = tuple(load_pack(p) for p in sorted(folder.glob("*.yaml")))
    seen: dict[str, str] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.id in seen:
                raise RuleError(f"rule id {rule.id} is used twice ({seen[rule.id]} and {pack.name})")
            seen[rule.id] = pack.name
    return packs


def plan(from_version: str, to_version: str, packs: tuple[RulePack, ...] | None = None) -> list[RulePack]:
    """The chain of packs that leads from one version to another, like alembic's revision walk."""
    packs = load_packs() if packs is None else packs
    src, dst = normalise_version(from_version), normalise_version(to_version)
    if src == dst:
        return []
    if version_key(src) > version_key(dst):
        raise RuleError(f"cannot migrate backwards from {src} to {dst}")
    by_from: dict[str, list[RulePack]] = {}
    for pack in packs:
        by_from.setdefault(pack.from_version, []).append(pack)
    # breadth-first over the graph; the shortest chain wins, ties go to the smaller steps
    frontier: list[tuple[str, list[RulePack]]] = [(src, [])]
    seen = {src}
    while frontier:
        nxt: list[tuple[str, list[RulePack]]] = []
        for version, path in frontier:
            for pack in sorted(by_from.get(version, []), key=lambda p: version_key(p.to_version)):
                if pack.to_version == dst:
                    return path + [pack]
                if pack.to_version not in seen and version_key(pack.to_version) < version_key(dst):
                    seen.add(pack.to_version)
                    nxt.append((pack.to_version, path + [pack]))
        frontier = nxt
    raise RuleError(f"no chain of rule packs leads from {src} to {dst}")
