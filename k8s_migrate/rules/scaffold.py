"""`rules new FROM TO`: a rule pack chained to the newest one, and a golden case for its example rule.

As `alembic revision` writes a revision already linked to its parent, the new pack's `from` is the end of
the newest pack in the checkout. The example rule is a rename whose message and source say TODO, so
`rules lint` fails until a contributor has made it true.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..hub import ANY_ITEM, ANY_KEY, KeyPathError, format_key, parse_key
from ..versions import VersionError, normalise_version, version_key
from .model import RuleError

EXAMPLE_KEY = "example.old_key"
EXAMPLE_NEW_KEY = "example.new_key"
PLACEHOLDER_VALUE = "CHANGE-ME"


class ScaffoldError(ValueError):
    pass


@dataclass(frozen=True)
class Scaffold:
    checkout: Path
    from_version: str
    to_version: str
    rule_id: str
    key: str
    new_key: str

    @property
    def pack_path(self) -> Path:
        return self.checkout / "mappings" / "apim" / f"{self.from_version}-{self.to_version}.yaml"

    @property
    def golden_dir(self) -> Path:
        return self.checkout / "tests" / "golden" / "toml" / self.rule_id


def default_checkout() -> Path:
    """The checkout whose data this k8s-migrate reads; an installed wheel has none to write into."""
    from ..data import mappings_dir

    data = mappings_dir()
    package = Path(__file__).resolve().parents[1]
    if data.parent == package:
        raise ScaffoldError(f"k8s-migrate is installed ({data} is the package's own data): "
                            "give --dir CHECKOUT, a clone of the k8s-migrate repository")
    return data.parent


def plan_scaffold(from_text: str, to_text: str, checkout: Path, rule_id: str | None = None,
                  key: str = EXAMPLE_KEY, new_key: str = EXAMPLE_NEW_KEY) -> Scaffold:
    """Every refusal happens here, before anything is written."""
    try:
        src, dst = normalise_version(from_text), normalise_version(to_text)
    except VersionError as exc:
        raise ScaffoldError(str(exc)) from None
    if version_key(src) >= version_key(dst):
        raise ScaffoldError(f"FROM {src} must be older than TO {dst}")
    packs = checkout / "mappings" / "apim"
    if not packs.is_dir():
        raise ScaffoldError(f"{checkout}: no mappings/apim folder (not a k8s-migrate checkout)")
    if not os.access(packs, os.W_OK):
        raise ScaffoldError(f"{packs}: read-only; give --dir CHECKOUT, a clone you can write to")
    if (packs / f"{src}-{dst}.yaml").exists():
        raise ScaffoldError(f"{packs / f'{src}-{dst}.yaml'}: already exists")
    newest = newest_pack_end(packs)
    if newest is not None and src != newest[0]:
        raise ScaffoldError(f"FROM {src} is not where the chain ends: the newest pack {newest[1]} ends at "
                            f"{newest[0]}, so the next pack is 'rules new {newest[0]} {dst}'")
    plan = Scaffold(checkout, src, dst, rule_id or f"r{dst.replace('.', '')}-example-rename",
                    _plain_key(key, "--key"), _plain_key(new_key, "--new-key"))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", plan.rule_id):
        raise ScaffoldError(f"--rule-id {plan.rule_id!r}: use lower-case letters, digits and '-'")
    if plan.golden_dir.exists():
        raise ScaffoldError(f"{plan.golden_dir}: a golden case with this rule id already exists")
    return plan


def newest_pack_end(packs: Path) -> tuple[str, str] | None:
    """(the newest `to` version, its pack's file name) among the packs of a folder."""
    from .load import load_pack

    ends = []
    for path in sorted(packs.glob("*.yaml")):
        try:
            ends.append((load_pack(path).to_version, path.name))
        except (RuleError, VersionError, OSError, ValueError) as exc:
            raise ScaffoldError(f"{path}: {exc}") from None
    return max(ends, key=lambda end: version_key(end[0]), default=None)


def _plain_key(text: str, option: str) -> str:
    try:
        path = parse_key(text)
    except KeyPathError as exc:
        raise ScaffoldError(f"{option} {text!r}: {exc}") from None
    if any(isinstance(seg, int) or seg in (ANY_KEY, ANY_ITEM) for seg in path):
        raise ScaffoldError(f"{option} {text!r}: give a plain key (no [], * or index); "
                            "write a golden case for array items by hand")
    return format_key(path)


def write_scaffold(plan: Scaffold) -> list[Path]:
    value = _example_value(plan.checkout, plan.from_version, plan.key)
    files = {
        plan.pack_path: pack_text(plan),
        plan.golden_dir / "input.toml": _toml_text(plan.key, value),
        plan.golden_dir / "expected.toml": _toml_text(plan.new_key, value),
        plan.golden_dir / "case.json": json.dumps(case_data(plan), indent=1) + "\n",
    }
    plan.golden_dir.mkdir(parents=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


def pack_text(plan: Scaffold) -> str:
    golden = plan.golden_dir.relative_to(plan.checkout)
    return (
        f"from: {plan.from_version}\n"
        f"to: {plan.to_version}\n"
        "rules:\n"
        "  # The example rule of `k8s-migrate rules new`: make it true or replace it (schema and ops:\n"
        f"  # mappings/README.md); its golden case is {golden}/.\n"
        "  # `rules lint` fails until its message and source are real.\n"
        f"  - id: {plan.rule_id}\n"
        "    op: rename\n"
        f"    key: {_yaml_scalar(plan.key)}\n"
        f"    to: {_yaml_scalar(plan.new_key)}\n"
        "    message: TODO one line for the report\n"
        "    source: TODO a URL (a docs-apim page, a PR, or a release file of"
        f" github.com/wso2/product-apim/blob/v{plan.to_version}/)\n"
        "    confidence: high\n"
    )


def case_data(plan: Scaffold) -> dict[str, Any]:
    entry = {"action": "renamed", "old_key": plan.key, "new_key": plan.new_key, "rule": plan.rule_id}
    return {"from": plan.from_version, "to": plan.to_version, "mode": "edit", "entries": [entry]}


def _yaml_scalar(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_.-]+", text) else json.dumps(text)


def _example_value(checkout: Path, version: str, key: str) -> Any:
    """The key's default in the FROM version's catalog when it is a plain value, else a placeholder."""
    catalog = checkout / "mappings" / "catalog" / f"{version}.json"
    try:
        data = json.loads(catalog.read_text(encoding="utf-8"))
        value = data["defaults"].get(key, (data.get("interpolated_defaults") or {}).get(key, {}).get("value"))
    except (OSError, ValueError, KeyError, AttributeError):
        return PLACEHOLDER_VALUE
    return value if isinstance(value, (str, bool, int, float)) else PLACEHOLDER_VALUE


def _toml_text(key: str, value: Any) -> str:
    import tomlkit

    path = parse_key(key)
    nested: dict[str | int, Any] = {path[-1]: value}
    for segment in reversed(path[:-1]):
        nested = {segment: nested}
    return tomlkit.dumps({str(k): v for k, v in nested.items()})
