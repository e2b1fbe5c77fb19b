"""Deployment profiles (all-in-one, control-plane, gateway, ...): names, roles, baselines, detection.

The facts are data: ``mappings/profiles.json`` (profile -> server roles, the 4.5+ stock file that
baselines it, aliases) and each version's catalog (the roles ``infer.json`` knows, what each implies,
the 4.5+ per-distribution stock files).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .catalog import Catalog
from .data import load_json
from .errors import UsageError
from .hub import KeyPath, document_keys, parse_key


@dataclass(frozen=True)
class ProfileDetection:
    """The profile a deployment.toml is for, the server role it runs as, and how that was decided."""

    profile: str
    role: str | None  # the server role of the old version this profile runs as
    how: str  # one line for the report


@lru_cache(maxsize=1)
def profile_data() -> dict[str, Any]:
    return load_json("profiles.json")


def profile_names() -> list[str]:
    return list(profile_data()["profiles"])


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every accepted spelling (name, alias) -> the profile name."""
    out = {}
    for name, spec in profile_data()["profiles"].items():
        for spelling in (name, *spec.get("aliases", [])):
            out[spelling.lower()] = name
    return out


def canonical(name: str) -> str:
    found = _names().get(name.strip().lower())
    if found is None:
        raise UsageError(f"unknown profile {name!r} (known: {', '.join(profile_names())})")
    return found


def profile_of_role(role: str) -> str | None:
    for name, spec in profile_data()["profiles"].items():
        if role in spec["roles"]:
            return name
    return None


def known_roles(catalog: Catalog) -> list[str]:
    return list(catalog.infer.get(profile_data()["detection"]["role_key"], {}))


def role_for(profile: str, catalog: Catalog) -> str | None:
    """The server role this profile has in this version's infer.json (None: the version has no such role)."""
    roles = known_roles(catalog)
    return next((r for r in profile_data()["profiles"][profile]["roles"] if r in roles), None)


def stock_name(profile: str | None) -> str | None:
    """The name of the 4.5+ stock file (catalog.profiles) that baselines this profile."""
    if profile is None:
        return None
    spec = profile_data()["profiles"].get(profile)
    return spec["stock"] if spec else profile


def implied_by_role(catalog: Catalog, role: str | None) -> dict[KeyPath, Any]:
    """The values infer.json sets for a server role: a user value equal to one of them is not a customisation."""
    if not role:
        return {}
    implied = catalog.infer.get(profile_data()["detection"]["role_key"], {}).get(role, {})
    return {parse_key(key): value for key, value in implied.items()}


def role_path() -> KeyPath:
    return parse_key(profile_data()["detection"]["role_key"])


def user_role(data: dict[str, Any]) -> str | None:
    value: Any = data
    for seg in role_path():  # the one key, not the whole file flattened
        value = value.get(seg) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def detect(data: dict[str, Any], catalog: Catalog, given: str | None = None) -> ProfileDetection:
    """The profile of a deployment.toml: as given, else from its server role, else from the keys present."""
    role = user_role(data)
    role_key = profile_data()["detection"]["role_key"]
    if given:
        profile = canonical(given)
        how = f"profile {profile} (given with --profile)"
        return ProfileDetection(profile, role or role_for(profile, catalog), how)
    by_role = profile_of_role(role) if role else None
    default = profile_data()["default_profile"]
    if by_role and by_role != default:
        return ProfileDetection(by_role, role, f"profile {by_role} (detected from {role_key} = \"{role}\")")
    if catalog.profiles:
        return closest_stock_file(data, catalog, role)
    why = f"{role_key} = \"{role}\"" if role else f"no {role_key} in the file"
    return ProfileDetection(default, role or role_for(default, catalog), f"profile {default} (detected: {why})")


def closest_stock_file(data: dict[str, Any], catalog: Catalog, role: str | None) -> ProfileDetection:
    """4.5+ distributions all say server_role = "default": pick the stock file whose keys the file shares most."""
    default = profile_data()["default_profile"]
    keys = document_keys(data)
    scores = {name: _jaccard(keys, catalog.stock_key_shapes(name)) for name in catalog.profiles}
    by_stock = {stock_name(p): p for p in reversed(profile_names())}
    best = max(scores, key=lambda n: (scores[n], n == stock_name(default)))
    margin = profile_data()["detection"]["min_margin"]
    chosen = by_stock.get(best, default)
    if chosen != default and scores[best] - scores.get(stock_name(default) or "", 0.0) < margin:
        chosen = default
    ranked = ", ".join(f"{n} {scores[n]:.2f}" for n in sorted(scores, key=lambda n: scores[n], reverse=True))
    how = (f"profile {chosen} (detected from the keys present: closest {catalog.version} stock file by "
           f"shared keys: {ranked})")
    return ProfileDetection(chosen, role or role_for(chosen, catalog), how)


def _jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def profile_in_notes(notes: list[str]) -> str | None:
    """The profile a report's note (written by ``detect``, maybe prefixed 'ConfigMap/x: ') names."""
    import re

    for note in notes:
        m = re.search(r"(?:^|: )profile (\S+) \(", note)
        if m and m.group(1) in profile_data()["profiles"]:
            return m.group(1)
    return None
